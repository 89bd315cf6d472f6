import { SkillframeError } from '../../core/errors.ts';
import type { Point } from '../../core/schemas/trajectory.ts';
import { runProgram } from '../process/run.ts';
import { approachPoint, pointerRestMs, type InputDriver } from './input.ts';
import { chordForXdotool, parseChord } from './keys.ts';

/**
 * Synthetic input through xdotool (XTEST), one short process per action. It never blocks this
 * process's event loop, so a recorder in the same process hears it through its OS hooks exactly
 * as it hears a person — this is the driver behind `record --script` on X11.
 */
export class XdotoolInput implements InputDriver {
  private readonly env: NodeJS.ProcessEnv;
  private readonly signal: AbortSignal | undefined;
  constructor(options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}) {
    this.env = options.env ?? process.env;
    this.signal = options.signal;
    if (!this.env.DISPLAY) throw new SkillframeError('unavailable', 'no X display: DISPLAY is not set');
  }
  private async xdotool(args: string[]): Promise<string> {
    const result = await runProgram('xdotool', args, { env: this.env, timeoutMs: 30_000, signal: this.signal }).catch((error: Error) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new SkillframeError('unavailable', 'xdotool is not installed (apt-get install xdotool)');
      if (error.name === 'AbortError') throw new SkillframeError('aborted', 'input cancelled');
      throw error;
    });
    if (result.code !== 0) throw new SkillframeError('unavailable', `xdotool ${args.join(' ')} failed: ${result.stderr.trim().slice(0, 200)}`);
    return result.stdout;
  }
  async move(x: number, y: number): Promise<void> {
    await this.xdotool(['mousemove', String(Math.round(x)), String(Math.round(y))]);
  }
  async click(x: number, y: number, options: { button?: 'left' | 'right' | 'middle'; double?: boolean } = {}): Promise<void> {
    const button = { left: '1', middle: '2', right: '3' }[options.button ?? 'left'];
    const repeat = options.double ? ['--repeat', '2', '--delay', '80'] : [];
    // The pointer comes to rest on its point before the press, as a person's does (see approachPoint).
    const [fromX, fromY] = approachPoint(x, y);
    const rest = String(pointerRestMs / 1000);
    await this.xdotool(['mousemove', String(fromX), String(fromY), 'sleep', rest, 'mousemove', String(Math.round(x)), String(Math.round(y)), 'sleep', rest, 'click', ...repeat, button]);
  }
  async type(text: string, options: { delayMs?: number } = {}): Promise<void> {
    await this.xdotool(['type', '--delay', String(options.delayMs ?? 40), '--', text]);
  }
  async press(chordText: string): Promise<void> {
    const chord = parseChord(chordText);
    if (!chord) throw new SkillframeError('bad_input', `key: cannot read chord ${JSON.stringify(chordText)} (try "Enter" or "ctrl+s")`);
    await this.xdotool(['key', '--clearmodifiers', chordForXdotool(chord)]);
  }
  async scroll(dx: number, dy: number, at?: Point): Promise<void> {
    const args: string[] = [];
    if (at) args.push('mousemove', String(Math.round(at.x)), String(Math.round(at.y)));
    const steps: [number, string][] = [
      [dy, dy > 0 ? '5' : '4'],
      [dx, dx > 0 ? '7' : '6'],
    ];
    for (const [amount, button] of steps) {
      const count = Math.abs(Math.round(amount));
      if (count > 0) args.push('click', '--repeat', String(count), '--delay', '30', button);
    }
    if (args.length) await this.xdotool(args);
  }
  async pointer(): Promise<Point> {
    const text = await this.xdotool(['getmouselocation', '--shell']);
    const x = Number(/X=(-?\d+)/.exec(text)?.[1]);
    const y = Number(/Y=(-?\d+)/.exec(text)?.[1]);
    return { x, y };
  }
  dispose(): void {
    /* nothing held between actions */
  }
}
