import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { OcrOutput } from '../../core/commands/vision.ts';
import { runProgram } from '../../native/process/run.ts';
import { launchApp, type LaunchedApp } from '../../native/window/launch.ts';
import { repoRoot, runCli } from '../support/cli.ts';
import { startDesktopSession, type DesktopSession } from '../support/desktop.ts';

// Word boxes on a real menu bar: mousepad's "File Edit Search View Document Help" is read by the
// OCR as one line. A recording clicks File › Save As…; the window is then moved and resized and
// the skill replayed with only the OCR rung allowed to find "File". Judged by the app: its own
// "Save As" dialog window appears.

let session: DesktopSession;
let home: DesktopSession['home'];
let env: NodeJS.ProcessEnv;
let windows: DesktopSession['windows'];
let app: LaunchedApp;
let windowId: string;
let skill: string;

async function readScreen(name: string): Promise<OcrOutput['lines']> {
  const file = join(home.path, `${name}.png`);
  const shot = await runCli(['screen', 'capture', '--out', file, '--json'], { env, timeoutMs: 60_000 });
  assert.equal(shot.code, 0, shot.stderr);
  const read = await runCli(['ocr', file, '--json'], { env, timeoutMs: 120_000 });
  assert.equal(read.code, 0, read.stderr);
  return (JSON.parse(read.stdout) as OcrOutput).lines;
}

function centreOfWord(lines: OcrOutput['lines'], pattern: RegExp): { x: number; y: number } {
  for (const line of lines) {
    const word = line.words?.find((candidate) => pattern.test(candidate.text));
    if (word) return { x: Math.round(word.box[0] + word.box[2] / 2), y: Math.round(word.box[1] + word.box[3] / 2) };
  }
  assert.fail(`no word like ${pattern} on screen: ${lines.map((line) => line.text).join(' | ')}`);
}

async function saveAsDialogs(): Promise<string[]> {
  const found = await runProgram('xdotool', ['search', '--onlyvisible', '--name', '^Save As'], { env, timeoutMs: 5_000 }).catch(() => ({ stdout: '' }));
  return found.stdout.trim().split('\n').filter(Boolean);
}

async function closeDialogs(): Promise<void> {
  for (const id of await saveAsDialogs()) {
    await runProgram('xdotool', ['windowactivate', id], { env, timeoutMs: 5_000 }).catch(() => undefined);
    await runProgram('xdotool', ['key', 'Escape'], { env, timeoutMs: 5_000 });
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}

before(async () => {
  session = await startDesktopSession();
  ({ env, windows, home } = session);
  app = await launchApp('mousepad', { env });
  windowId = (await windows.waitFor({ pid: app.pid }, { timeoutMs: 30_000 })).id!;
  await windows.move(windowId, 40, 40);
  await windows.resize(windowId, 760, 520);
  await new Promise((resolve) => setTimeout(resolve, 800));
  // Where the person would click: found on screen the way a person finds it, by reading.
  const file = centreOfWord(await readScreen('menu-bar'), /^File$/);
  await runProgram('xdotool', ['mousemove', String(file.x), String(file.y), 'click', '1'], { env, timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 800));
  const menuLines = await readScreen('file-menu');
  const saveAsLine = menuLines.find((line) => /^Save As/.test(line.text));
  assert.ok(saveAsLine, `Save As… in the File menu: ${menuLines.map((line) => line.text).join(' | ')}`);
  const saveAs = { x: Math.round(saveAsLine.box[0] + saveAsLine.box[2] / 2), y: Math.round(saveAsLine.box[1] + saveAsLine.box[3] / 2) };
  await runProgram('xdotool', ['key', 'Escape'], { env, timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const script = join(home.path, 'script.json');
  writeFileSync(script, JSON.stringify([{ action: 'click', ...file }, { action: 'wait', ms: 800 }, { action: 'click', ...saveAs }, { action: 'wait', ms: 1500 }]));
  const recording = join(home.path, 'recording');
  const recorded = await runCli(['record', '--attach', 'Mousepad', '--out', recording, '--script', script, '--json'], { env, timeoutMs: 120_000 });
  assert.equal(recorded.code, 0, recorded.stderr);
  assert.ok((await saveAsDialogs()).length > 0, 'the recording itself opened Save As');
  await closeDialogs();
  skill = join(home.path, 'skill');
  const built = await runCli(['build', recording, '--out', skill, '--name', 'mousepad-save-as', '--json'], { env, timeoutMs: 240_000 });
  assert.equal(built.code, 0, built.stderr);
});

after(async () => {
  await app?.dispose();
  await session?.dispose();
});

test('after a move and resize, OCR word boxes ground "File" inside the one-line menu bar', async () => {
  const plan = JSON.parse((await import('node:fs')).readFileSync(join(skill, 'plan.json'), 'utf8'));
  const first = plan.steps.find((step: { action: string }) => step.action === 'click');
  assert.equal(first.target.ocr?.text, 'File', 'the label is the word under the pointer, not the whole menu bar');
  await windows.move(windowId, 300, 180);
  await windows.resize(windowId, 900, 560);
  await new Promise((resolve) => setTimeout(resolve, 800));
  // Only OCR may find the targets: no template, no window-relative point, no accessibility tree.
  const child = await runProgram(process.execPath, ['--import', 'tsx', join(repoRoot, 'testkit/replay-child.ts'), JSON.stringify({ skill, title: 'Mousepad', disabledTiers: ['a11y', 'window', 'template', 'anchor', 'vlm'] })], { env, timeoutMs: 240_000 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  assert.ok(line.startsWith('{'), `replay-child: ${child.stdout.slice(-400)} ${child.stderr.slice(-800)}`);
  const { report } = JSON.parse(line);
  const clicks = report.steps.filter((step: { action: string }) => step.action === 'click');
  assert.equal(clicks[0]?.tier, 'ocr', JSON.stringify(report.steps));
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.ok((await saveAsDialogs()).length > 0, 'mousepad opened its Save As dialog');
  await closeDialogs();
});
