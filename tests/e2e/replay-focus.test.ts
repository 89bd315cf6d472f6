import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { replaySkill } from '../../engine/computer/replay/replay.ts';
import { runProgram } from '../../native/process/run.ts';
import { copiedBy } from '../../testkit/clipboard.ts';
import { repoRoot, runCli } from '../support/cli.ts';
import { startDesktopSession, type DesktopSession } from '../support/desktop.ts';

// Keys go only into the replayed window. A real window (xev, which logs every key it receives)
// takes the focus between two keyboard steps of a galculator skill: replay must stop with
// `unsafe` and name both windows; xev must have received no key, and galculator must not have
// computed the result. Without the intruder the same skill computes 12+7 = 19 (the control).

let session: DesktopSession;
let home: DesktopSession['home'];
let env: NodeJS.ProcessEnv;
let skill: string;

before(async () => {
  session = await startDesktopSession();
  ({ env, home } = session);
  const script = join(home.path, 'script.json');
  writeFileSync(script, JSON.stringify([{ action: 'type', text: '12+7' }, { action: 'press', key: 'Return' }]));
  const recording = join(home.path, 'recording');
  const recorded = await runCli(['record', '--app', 'galculator', '--out', recording, '--script', script, '--json'], { env, timeoutMs: 120_000 });
  assert.equal(recorded.code, 0, recorded.stderr);
  skill = join(home.path, 'skill');
  const built = await runCli(['build', recording, '--out', skill, '--name', 'galculator-add', '--skip-ocr', '--json'], { env, timeoutMs: 120_000 });
  assert.equal(built.code, 0, built.stderr);
});

after(async () => {
  await session?.dispose();
});

/** What galculator shows, copied by galculator itself to the clipboard. */
function shownValue(windowId: string): Promise<string> {
  return copiedBy(windowId, env);
}

/**
 * The replay runs in its own process (testkit/replay-child.ts): robotjs keeps an X
 * connection for the life of a process, and closing the display under it is a fatal XIO error.
 */
async function replayWith(intrude: boolean) {
  const evidenceDirectory = join(home.path, `evidence-${intrude}`);
  const child = await runProgram(process.execPath, ['--import', 'tsx', join(repoRoot, 'testkit/replay-child.ts'), JSON.stringify({ skill, app: 'galculator', intrude, evidenceDirectory })], { env, timeoutMs: 120_000 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  assert.ok(line.startsWith('{'), `replay-child: ${child.stdout.slice(-400)} ${child.stderr.slice(-800)}`);
  const { report, windowId, keysSeen } = JSON.parse(line) as { report: Awaited<ReturnType<typeof replaySkill>>; windowId: string; keysSeen: string };
  const value = await shownValue(windowId);
  await runProgram('xdotool', ['windowclose', windowId], { env, timeoutMs: 5_000 }).catch(() => undefined);
  return { report, value, keysSeen, evidenceDirectory };
}

test('control: with the focus left alone, the skill types 12+7 and galculator shows 19', async () => {
  const { report, value } = await replayWith(false);
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(value, '19');
});

test('a window that steals the focus stops the replay before its next key, with evidence', async () => {
  const { report, value, keysSeen, evidenceDirectory } = await replayWith(true);
  assert.equal(report.ok, false);
  assert.equal(report.error?.code, 'unsafe', JSON.stringify(report));
  assert.match(report.error?.message ?? '', /active window is .*not the replay's window/);
  assert.equal(report.steps[1].status, 'aborted');
  assert.doesNotMatch(keysSeen, /KeyPress/, 'the intruder received no key');
  assert.notEqual(value, '19', 'galculator never got the Return');
  assert.ok(existsSync(evidenceDirectory) && readdirSync(evidenceDirectory).some((file) => file.endsWith('-live.png')));
  const details = JSON.parse(readFileSync(join(evidenceDirectory, 'step-2.json'), 'utf8')).details;
  assert.match(details.active.title, /Intruder|Event Tester/);
});
