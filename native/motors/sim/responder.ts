import type { SerialLink } from '../../serial/link.ts';
import type { SimServoBus } from './servos.ts';

/** Wires simulated servos to the device end of a link: parse instructions, answer like servos. */
export function attachSimulator(link: SerialLink, servos: SimServoBus): () => void {
  const parser = servos.protocol.createParser();
  const timers = new Set<NodeJS.Timeout>();
  const stop = link.onData((chunk) => {
    for (const frame of parser.push(chunk)) {
      for (const reply of servos.handle(frame)) {
        if (reply.delayMs > 0) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            link.write(reply.bytes).catch(() => undefined);
          }, reply.delayMs);
          timers.add(timer);
        } else link.write(reply.bytes).catch(() => undefined);
      }
    }
    parser.takeErrors();
  });
  return () => {
    stop();
    for (const timer of timers) clearTimeout(timer);
  };
}
