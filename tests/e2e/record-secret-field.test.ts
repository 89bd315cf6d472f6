import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openAtspi, startAccessibilityBus, walkNodes, type Accessibility, type AccessibilityBus } from '../../native/a11y/index.ts';
import { launchApp } from '../../native/window/launch.ts';
import { appForWindow } from '../../engine/computer/accessibility.ts';
import { readTrajectory } from '../../skills-mm/trajectory/store.ts';
import { repoRoot, runCli } from '../support/cli.ts';
import { startDesktopSession, type DesktopSession } from '../support/desktop.ts';

// A GTK form whose window title says nothing of passwords ("Connect to server"), with an ordinary
// field and a hidden one (AT-SPI role "password text"). What is typed into the hidden field never
// reaches the recording, whether the field was clicked or reached with Tab; what is typed into the
// ordinary field is kept. The app's own output proves both values were really typed. The value is
// a plain word the value-shape rule ("password_like") does not catch: only the field's role can.

const secret = 'orangejuice';
const form = join(repoRoot, 'testkit', 'fixtures', 'desktop', 'connect.py');
let session: DesktopSession;
let bus: AccessibilityBus;
let client: Accessibility;

before(async () => {
  session = await startDesktopSession({ accessibility: true });
  bus = await startAccessibilityBus(session.env);
  client = await openAtspi({ env: bus.env });
});

after(async () => {
  client?.dispose();
  await bus?.dispose();
  await session?.dispose();
});

/** Every file of a recording, read as text: the secret must be in none of them. */
function recordingHolds(directory: string, needle: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(directory, { recursive: true }) as string[]) {
    const path = join(directory, name);
    if (statSync(path).isFile() && readFileSync(path).includes(needle)) found.push(name);
  }
  return found;
}

function typed(directory: string): { text?: string; masked?: boolean }[] {
  return readTrajectory(directory).events.filter((event) => event.kind === 'type').map((event) => ({ text: event.text, masked: event.masked }));
}

function appOutput(file: string): { user: string; key: string } {
  assert.ok(existsSync(file), 'the form wrote what it was given');
  return JSON.parse(readFileSync(file, 'utf8'));
}

test('keys typed into a password field reached with Tab are masked; the ordinary field is kept', async () => {
  const output = join(session.home.path, 'tab-output.json');
  const script = join(session.home.path, 'tab.json');
  // The form opens with the User field focused.
  writeFileSync(script, JSON.stringify([{ action: 'wait', ms: 800 }, { action: 'type', text: 'alice' }, { action: 'press', key: 'Tab' }, { action: 'type', text: secret }, { action: 'press', key: 'Tab' }, { action: 'press', key: 'Return' }]));
  const out = join(session.home.path, 'tab-recording');
  const result = await runCli(['record', '--app', `/usr/bin/python3 ${form} ${output}`, '--out', out, '--script', script, '--step-gap', '500', '--json'], { env: session.env, timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(appOutput(output), { user: 'alice', key: secret });
  const steps = typed(out);
  assert.equal(steps.length, 2, JSON.stringify(steps));
  assert.equal(steps[0].text, 'alice');
  assert.ok(!steps[0].masked, 'the ordinary field is not masked');
  assert.equal(steps[1].masked, true, 'the hidden field is masked');
  assert.deepEqual(recordingHolds(out, secret), [], 'no file of the recording holds the secret');
});

test('keys typed into a clicked password field are masked (attached window)', async () => {
  const output = join(session.home.path, 'click-output.json');
  const app = await launchApp(`/usr/bin/python3 ${form} ${output}`, { env: bus.env });
  try {
    const window = await session.windows.waitFor({ pid: app.pid }, { timeoutMs: 20_000 });
    let fields: { role: string; centre: { x: number; y: number } }[] = [];
    for (let tries = 0; tries < 50 && fields.length < 3; tries += 1) {
      const found = await appForWindow(client, window);
      if (found) {
        const tree = await client.tree(found.ref);
        fields = [...walkNodes(tree.root)]
          .filter((node) => ['text', 'password text', 'push button'].includes(node.role) && node.extents)
          .map((node) => ({ role: node.role, centre: { x: node.extents!.x + Math.round(node.extents!.width / 2), y: node.extents!.y + Math.round(node.extents!.height / 2) } }));
      }
      if (fields.length < 3) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const at = (role: string) => {
      const field = fields.find((candidate) => candidate.role === role);
      assert.ok(field, `the form shows a ${role}`);
      return { action: 'click', x: field.centre.x, y: field.centre.y };
    };
    const script = join(session.home.path, 'click.json');
    writeFileSync(script, JSON.stringify([at('password text'), { action: 'type', text: secret }, at('text'), { action: 'type', text: 'alice' }, at('push button')]));
    const out = join(session.home.path, 'click-recording');
    const result = await runCli(['record', '--attach', 'Connect to server', '--out', out, '--script', script, '--step-gap', '500', '--json'], { env: bus.env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(appOutput(output), { user: 'alice', key: secret });
    const steps = typed(out);
    assert.equal(steps.length, 2, JSON.stringify(steps));
    assert.equal(steps[0].masked, true, 'the hidden field is masked');
    assert.equal(steps[1].text, 'alice');
    assert.ok(!steps[1].masked, 'the ordinary field is not masked');
    assert.deepEqual(recordingHolds(out, secret), [], 'no file of the recording holds the secret');
  } finally {
    await app.dispose();
  }
});
