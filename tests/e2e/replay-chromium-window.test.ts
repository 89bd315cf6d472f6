import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { desktopApps } from '../../bench/replay/desktop-apps.ts';
import { launchDesktop } from '../../bench/replay/desktop-run.ts';
import { windowGeometry } from '../../bench/replay/x11-drift.ts';
import { actionableInWindow } from '../../engine/computer/accessibility.ts';
import type { Accessibility, AccessibilityBus } from '../../native/a11y/index.ts';
import type { VirtualDisplay } from '../../native/display/xvfb.ts';
import { runCli } from '../support/cli.ts';
import { startAccessibleDisplay, type AccessibleDisplay } from '../support/desktop.ts';
import { temporaryHome } from '../support/home.ts';

// Debian's Chromium as a desktop window (the many-app benchmark's unseen app) on a note page whose
// File menu is a web page's disclosure menu: recorded by Skillframe's recorder, built, replayed on
// a fresh window made smaller, judged by the file Chromium downloads. Two root causes of its
// aborted tasks are covered: the Save click was recorded as the text area under the closed menu
// (the menu's nodes were gone by the lookup), and Enter in the text area — only a caret that
// moved — could not be verified.

let display: VirtualDisplay;
let bus: AccessibilityBus;
let client: Accessibility;
const home = temporaryHome();
const chromium = desktopApps.find((app) => app.name === 'chromium')!;

let desktop: AccessibleDisplay | undefined;

before(async () => {
  desktop = await startAccessibleDisplay({ width: 1920, height: 1080 });
  ({ display, bus, client } = desktop);
});

after(async () => {
  await desktop?.dispose();
  home.dispose();
});

const centre = (box: { x: number; y: number; width: number; height: number }) => ({ x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) });

test('Chromium as a desktop window: Enter in the text area and File › Save, recorded and replayed on a smaller window; the downloaded note has both lines', { timeout: 300_000 }, async () => {
  const work = join(home.path, 'work');
  mkdirSync(work, { recursive: true });
  const recording = await launchDesktop(display, bus.env, chromium, 'unchanged', work);
  let script;
  try {
    const window = { ...(await windowGeometry(recording.env, recording.windowId)), pid: undefined };
    let nodes: Awaited<ReturnType<typeof actionableInWindow>> = [];
    for (let tries = 0; tries < 60 && !(nodes.some((node) => node.name === 'File') && nodes.some((node) => node.role === 'entry')); tries += 1) {
      nodes = await actionableInWindow(client, window).catch(() => []);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const file = centre(nodes.find((node) => node.name === 'File')!.extents);
    const text = centre(nodes.find((node) => node.role === 'entry')!.extents);
    // The page's menu drops down under File: its Save item sits one row below.
    const save = { x: file.x + 12, y: file.y + 32 };
    script = [
      { action: 'click' as const, x: text.x, y: text.y },
      { action: 'type' as const, text: 'first line' },
      { action: 'press' as const, key: 'Return' },
      { action: 'type' as const, text: 'second line' },
      { action: 'click' as const, x: file.x, y: file.y },
      { action: 'wait' as const, ms: 500 },
      { action: 'click' as const, x: save.x, y: save.y },
    ];
    const trajectory = join(work, 'recording');
    writeFileSync(join(work, 'script.json'), JSON.stringify(script));
    // Through the CLI, as a person records: its input hooks hold the display in their own process.
    const recorded = await runCli(['record', '--attach', recording.windowId, '--out', trajectory, '--script', join(work, 'script.json'), '--json'], { env: { ...recording.env, SKILLFRAME_HOME: home.path }, timeoutMs: 120_000 });
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.equal(readFileSync(recording.file!, 'utf8').replace(/\n+$/, ''), 'first line\nsecond line', 'the recording itself saved the note');
    const events = readFileSync(join(trajectory, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const clicks = events.filter((event) => event.kind === 'click');
    assert.deepEqual([clicks[2]?.accessible?.role, clicks[2]?.accessible?.name], ['push button', 'Save'], `the Save click recorded as ${JSON.stringify(clicks[2]?.accessible)}`);
  } finally {
    await recording.dispose();
  }
  const skill = join(work, 'skill');
  const built = await runCli(['build', join(work, 'recording'), '--out', skill, '--name', 'chromium-note', '--json'], { env: { ...bus.env, SKILLFRAME_HOME: home.path }, timeoutMs: 180_000 });
  assert.equal(built.code, 0, built.stderr);
  const live = await launchDesktop(display, bus.env, chromium, 'resized-smaller', work);
  try {
    const replayed = await runCli(['replay', skill, '--attach', '--confirm', 'auto', '--json'], { env: { ...live.env, SKILLFRAME_HOME: home.path }, timeoutMs: 180_000 });
    const report = JSON.parse(replayed.stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; steps: { action: string; reason?: string }[] };
    assert.equal(replayed.code, 0, `${replayed.stderr}\n${JSON.stringify(report, null, 1)}`);
    const enter = report.steps.find((step) => step.action === 'press');
    assert.match(enter?.reason ?? '', /put "\\n" into its text at the caret/, JSON.stringify(enter));
    for (let waited = 0; waited < 5000 && !existsSync(live.file!); waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(readFileSync(live.file!, 'utf8').replace(/\n+$/, ''), 'first line\nsecond line', 'the replay downloaded the note');
  } finally {
    await live.dispose();
  }
});
