import { createRequire } from 'node:module';
import { SkillframeError } from '../../core/errors.ts';
import type { Point } from '../../core/schemas/trajectory.ts';
import { approachPoint, pointerRestMs, type InputDriver } from './input.ts';
import { keyForRobot, modifiersForRobot, parseChord } from './keys.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Robot {
  moveMouse(x: number, y: number): void;
  mouseClick(button?: string, double?: boolean): void;
  typeString(text: string): void;
  typeStringDelayed(text: string, cpm: number): void;
  keyTap(key: string, modifiers?: string[]): void;
  scrollMouse(x: number, y: number): void;
  getMousePos(): { x: number; y: number };
  setKeyboardDelay(ms: number): void;
  setMouseDelay(ms: number): void;
  screen: { capture(x?: number, y?: number, width?: number, height?: number): { width: number; height: number; byteWidth: number; bytesPerPixel: number; image: Buffer }; };
  getScreenSize(): { width: number; height: number };
  setXDisplayName(name: string): void;
}

let robot: Robot | undefined;
let robotDisplay: string | undefined;

/**
 * Loads robotjs once. It segfaults without an X display, so the check comes first and the module
 * is only required on demand (the CLI must start without a display).
 */
export function loadRobot(env: NodeJS.ProcessEnv = process.env): Robot {
  if (!env.DISPLAY) throw new SkillframeError('unavailable', 'no X display: DISPLAY is not set (run under a desktop or xvfb-run)');
  if (robotDisplay !== undefined && robotDisplay !== env.DISPLAY) {
    // robotjs keeps one X connection per process, opened on first use.
    throw new SkillframeError('bad_input', `robotjs in this process already drives display ${robotDisplay}, not ${env.DISPLAY}`);
  }
  if (!robot) {
    const require = createRequire(import.meta.url);
    try {
      robot = require('robotjs') as Robot;
    } catch (error) {
      throw new SkillframeError('unavailable', `robotjs failed to load: ${(error as Error).message}`);
    }
    // robotjs ignores DISPLAY and opens ":0.0" unless told otherwise — which may be someone else's screen.
    robot.setXDisplayName(env.DISPLAY);
    robotDisplay = env.DISPLAY;
  }
  return robot;
}

/**
 * Synthetic input through robotjs (XTEST), in this process. Fast (no process per action), but its
 * calls block the event loop while they run; do not use it in the same process as the uiohook
 * recorder (the hook thread stalls on shifted keys there) — the recorder drives scripts with
 * XdotoolInput instead.
 */
export class RobotInput implements InputDriver {
  private readonly robot: Robot;
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.robot = loadRobot(env);
    this.robot.setMouseDelay(10);
    this.robot.setKeyboardDelay(10);
  }
  async move(x: number, y: number): Promise<void> {
    this.robot.moveMouse(Math.round(x), Math.round(y));
  }
  async click(x: number, y: number, options: { button?: 'left' | 'right' | 'middle'; double?: boolean } = {}): Promise<void> {
    // Arriving from the pixel beside and resting, as a person's pointer does (approachPoint).
    const [fromX, fromY] = approachPoint(x, y);
    this.robot.moveMouse(fromX, fromY);
    await sleep(pointerRestMs);
    this.robot.moveMouse(Math.round(x), Math.round(y));
    await sleep(pointerRestMs);
    this.robot.mouseClick(options.button ?? 'left', options.double ?? false);
  }
  async type(text: string, options: { delayMs?: number } = {}): Promise<void> {
    if (options.delayMs && options.delayMs > 0) this.robot.typeStringDelayed(text, Math.round(60_000 / options.delayMs));
    else this.robot.typeString(text);
  }
  async press(chordText: string): Promise<void> {
    const chord = parseChord(chordText);
    if (!chord) throw new SkillframeError('bad_input', `key: cannot read chord ${JSON.stringify(chordText)} (try "Enter" or "ctrl+s")`);
    this.robot.keyTap(keyForRobot(chord.key), modifiersForRobot(chord.modifiers));
  }
  async scroll(dx: number, dy: number, at?: Point): Promise<void> {
    if (at) this.robot.moveMouse(Math.round(at.x), Math.round(at.y));
    // robotjs: positive y scrolls up; ours scrolls down.
    this.robot.scrollMouse(Math.round(dx), -Math.round(dy));
  }
  async pointer(): Promise<Point> {
    return this.robot.getMousePos();
  }
  dispose(): void {
    /* robotjs holds no per-instance resources */
  }
}
