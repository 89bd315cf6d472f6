import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SkillframeError } from '../../core/errors.ts';
import { copiedBy } from '../../testkit/clipboard.ts';
import type { Capture } from '../../native/screen/index.ts';
import type { Rect } from '../../core/geometry.ts';
import { galculatorRows } from './tasks.ts';
import type { RunningApp } from './x11-drift.ts';

/**
 * X11 ground truth, independent of replay: where the app's buttons really are (found from the
 * pixels' structure, no OCR and no templates), what galculator shows (its own copy to the
 * clipboard), what mousepad saved (the file), and every click the X server saw (OS hooks).
 */

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Connected regions that differ from the window's background colour, within `area`. */
export function foregroundComponents(capture: Capture, area: Rect, tolerance = 12): Rect[] {
  const x0 = Math.max(0, area.x);
  const y0 = Math.max(0, area.y);
  const x1 = Math.min(capture.width, area.x + area.width);
  const y1 = Math.min(capture.height, area.y + area.height);
  const width = x1 - x0;
  const height = y1 - y0;
  if (width <= 0 || height <= 0) return [];
  const counts = new Map<number, number>();
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) {
      const offset = (y * capture.width + x) * 4;
      const key = (capture.data[offset] << 16) | (capture.data[offset + 1] << 8) | capture.data[offset + 2];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  let background = 0;
  let best = -1;
  for (const [key, count] of counts) if (count > best) [background, best] = [key, count];
  const red = background >> 16;
  const green = (background >> 8) & 255;
  const blue = background & 255;
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const offset = ((y + y0) * capture.width + x + x0) * 4;
      const difference = Math.max(Math.abs(capture.data[offset] - red), Math.abs(capture.data[offset + 1] - green), Math.abs(capture.data[offset + 2] - blue));
      if (difference > tolerance) mask[y * width + x] = 1;
    }
  }
  const boxes: Rect[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start += 1) {
    if (mask[start] !== 1) continue;
    mask[start] = 2;
    stack.push(start);
    let left = width;
    let top = height;
    let right = 0;
    let bottom = 0;
    while (stack.length) {
      const index = stack.pop()!;
      const x = index % width;
      const y = (index - x) / width;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
      // 8-connected: the rounded corners of a button frame only touch diagonally.
      for (let dy = -1; dy <= 1; dy += 1) {
        for (let dx = -1; dx <= 1; dx += 1) {
          const nx = x + dx;
          const ny = y + dy;
          if ((dx === 0 && dy === 0) || nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const neighbour = ny * width + nx;
          if (mask[neighbour] === 1) {
            mask[neighbour] = 2;
            stack.push(neighbour);
          }
        }
      }
    }
    boxes.push({ x: left + x0, y: top + y0, width: right - left + 1, height: bottom - top + 1 });
  }
  const contains = (outer: Rect, inner: Rect) => outer !== inner && inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
  return boxes.filter((box) => !boxes.some((other) => contains(other, box)));
}

/**
 * A calculator's buttons by label in the live window: the button frames are the components below
 * the display, grouped into rows by their top edge, then read row by row as `rows` says. Throws
 * when the structure does not match (the judge then cannot vouch for clicks).
 */
export function calculatorButtons(capture: Capture, client: Rect, rows: readonly (readonly string[])[], name: string): Map<string, Rect> {
  const components = foregroundComponents(capture, insideBorder(client));
  const display = calculatorDisplay(capture, client);
  if (!display) throw new SkillframeError('internal', `${name}: no display found in the window`);
  const candidates = components.filter((box) => box.y > display.y + display.height && box.width >= 16 && box.height >= 16 && box.width < client.width * 0.6);
  candidates.sort((a, b) => a.y - b.y || a.x - b.x);
  const found: Rect[][] = [];
  for (const box of candidates) {
    const row = found.find((existing) => Math.abs(existing[0].y - box.y) <= 4);
    if (row) row.push(box);
    else found.push([box]);
  }
  const shape = found.map((row) => row.length).join(',');
  const expected = rows.map((row) => row.length).join(',');
  if (shape !== expected) throw new SkillframeError('internal', `${name}: found button rows ${shape}, expected ${expected}`);
  const buttons = new Map<string, Rect>();
  found.forEach((row, index) => {
    row.sort((a, b) => a.x - b.x);
    row.forEach((box, column) => buttons.set(rows[index][column], box));
  });
  return buttons;
}

/**
 * Inside the window's own border (xcalc draws one): a ring around everything would hold every
 * button inside it, and components inside another are dropped.
 */
function insideBorder(client: Rect): Rect {
  return { x: client.x + 3, y: client.y + 3, width: client.width - 6, height: client.height - 6 };
}

/** A calculator's display: the first component that spans most of the window's width. */
export function calculatorDisplay(capture: Capture, client: Rect): Rect | undefined {
  return foregroundComponents(capture, insideBorder(client))
    .filter((box) => box.width > client.width * 0.6 && box.height > 20)
    .sort((a, b) => a.y - b.y)[0];
}

/** galculator's buttons by label (`=` spans the last two rows). */
export function galculatorButtons(capture: Capture, client: Rect): Map<string, Rect> {
  return calculatorButtons(capture, client, galculatorRows, 'galculator');
}

/** mousepad's text area: the uniform region around the middle of the window. */
export function mousepadTextArea(capture: Capture, client: Rect, tolerance = 6): Rect {
  const cx = Math.round(client.x + client.width / 2);
  const cy = Math.round(client.y + client.height / 2);
  const at = (x: number, y: number) => (y * capture.width + x) * 4;
  const seed = at(cx, cy);
  const colour = [capture.data[seed], capture.data[seed + 1], capture.data[seed + 2]];
  const same = (x: number, y: number) => {
    const offset = at(x, y);
    return Math.abs(capture.data[offset] - colour[0]) <= tolerance && Math.abs(capture.data[offset + 1] - colour[1]) <= tolerance && Math.abs(capture.data[offset + 2] - colour[2]) <= tolerance;
  };
  // Grow along the centre row and column: text and the cursor sit inside, never across them.
  let left = cx;
  while (left - 1 >= client.x && same(left - 1, cy)) left -= 1;
  let right = cx;
  while (right + 1 < client.x + client.width && same(right + 1, cy)) right += 1;
  let top = cy;
  while (top - 1 >= client.y && same(cx, top - 1)) top -= 1;
  let bottom = cy;
  while (bottom + 1 < client.y + client.height && same(cx, bottom + 1)) bottom += 1;
  return { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

/** What galculator shows, as galculator itself copies it (ctrl+c), read back with xclip. */
export function galculatorValue(app: RunningApp): Promise<string> {
  return copiedBy(app.windowId, app.env);
}

export function mousepadSaved(app: RunningApp): string {
  return app.file ? readFileSync(app.file, 'utf8').replace(/\n$/, '') : '';
}

const clickLoggerSource = `
const { uIOhook } = require(require.resolve('uiohook-napi', { paths: [process.cwd()] }));
uIOhook.on('mousedown', (event) => process.stdout.write(JSON.stringify({ x: event.x, y: event.y, button: event.button }) + '\\n'));
uIOhook.start();
process.stdout.write('{"ready":true}\\n');
process.stdin.on('end', () => { uIOhook.stop(); process.exit(0); });
process.stdin.resume();
`;

export interface ClickLog {
  clicks: { x: number; y: number }[];
  /** Clicks heard so far; `clear()` forgets them (between runs on the same display). */
  clear(): void;
  dispose(): Promise<void>;
}

/**
 * Every mouse press on the display, heard through XRecord in a child process (the hook is
 * per-process and reads the child's DISPLAY), so what replay claims is never the evidence.
 */
export async function startClickLog(env: NodeJS.ProcessEnv): Promise<ClickLog> {
  const child: ChildProcess = spawn(process.execPath, ['-e', clickLoggerSource], { cwd: repositoryRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const clicks: { x: number; y: number }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SkillframeError('unavailable', `click log did not start: ${stderr}`)), 10_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { ready?: boolean; x: number; y: number };
      if (event.ready) {
        clearTimeout(timer);
        resolve();
      } else clicks.push({ x: event.x, y: event.y });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new SkillframeError('unavailable', `click log exited with ${code}: ${stderr}`));
    });
  });
  return {
    clicks,
    clear: () => void clicks.splice(0),
    async dispose() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The intended target box of an X11 action in this condition. */
export function targetBox(app: 'galculator' | 'mousepad', action: { kind: string; button?: string }, boxes: { buttons?: Map<string, Rect>; text?: Rect }): Rect | undefined {
  if (action.kind === 'click' && action.button) return boxes.buttons?.get(action.button);
  if (action.kind === 'click-text') return boxes.text;
  return undefined;
}
