// The simulated arm as its own process: opens one end of a socat pty pair and answers as N servos.
//   node --import tsx engine/robot/arm/sim/process.ts --model so101-feetech --ids 1,2,3,4,5,6
// It prints one JSON line {"ready":true,"port":"/dev/pts/N"} (the end clients open), then takes
// JSON lines on stdin: {"faults":{…}}, {"set":{"id":1,"position":2048}}, {"handGuided":true},
// {"query":1} (answered with {"state":[…]}). It exits when stdin closes or on SIGTERM.
import { closeSync, constants, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { openPtyPair } from '../../native/serial/pty-pair.ts';
import { openSerialPort } from '../../native/serial/link.ts';
import { armLayout } from '../../engine/robot/arm/config.ts';
import { ArmModel } from '../../core/schemas/arm.ts';
import { attachSimulator } from '../../native/motors/sim/responder.ts';
import { SimServoBus } from '../../native/motors/sim/servos.ts';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}

async function main() {
  const model = ArmModel.parse(argument('model', 'so101-feetech'));
  const layout = armLayout(model);
  const ids = argument('ids', layout.joints.map((joint) => joint.id).join(',')).split(',').map(Number);
  const motors = ids.map((id) => ({ id, model: layout.joints.find((joint) => joint.id === id)?.motor ?? layout.joints[0].motor }));
  const servos = new SimServoBus(layout.protocol, motors, Number(argument('seed', '1')));
  servos.faults = JSON.parse(argument('faults', '{}'));
  const pair = await openPtyPair();
  const link = await openSerialPort({ path: pair.ends[0], baudRate: 1_000_000 });
  const detach = attachSimulator(link, servos);
  // socat exits when the last holder of a pty's slave side closes it; each CLI command opens and
  // closes the port, so keep one idle descriptor on the client end for the life of the simulator.
  const keeper = openSync(pair.ends[1], constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    detach();
    closeSync(keeper);
    await link.dispose();
    await pair.dispose();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  const write = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line);
    } catch {
      write({ error: `not JSON: ${line.slice(0, 80)}` });
      return;
    }
    if (message.faults) servos.faults = message.faults as SimServoBus['faults'];
    if (typeof message.handGuided === 'boolean') servos.handGuided = message.handGuided;
    const set = message.set as { id: number; position: number } | undefined;
    if (set) servos.setPosition(set.id, set.position);
    if (message.query !== undefined) write({ state: servos.state(), query: message.query });
    else write({ ok: true });
  });
  lines.on('close', () => void shutdown());
  write({ ready: true, port: pair.ends[1], model, ids, socat: pair.pid });
}

main().catch((error) => {
  process.stderr.write(`simulated arm failed: ${(error as Error).message}\n`);
  process.exit(1);
});
