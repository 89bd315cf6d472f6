import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TrajectoryEvent } from '../../core/schemas/trajectory.ts';
import { decodePng } from '../../native/screen/image.ts';
import { readTrajectory } from '../../skills-mm/trajectory/store.ts';
import { runCli } from '../support/cli.ts';
import { temporaryHome } from '../support/home.ts';
import { serveFixtures } from '../../testkit/fixtures/web/server.ts';

let server: Awaited<ReturnType<typeof serveFixtures>>;
let home: ReturnType<typeof temporaryHome>;

before(async () => {
  server = await serveFixtures();
  home = temporaryHome();
});

after(async () => {
  await server?.close();
  home?.dispose();
});

const password = 'Tr0ub4dor&3-horse';

function rowSpread(frame: { width: number; data: Uint8Array }, box: { x: number; y: number; width: number; height: number }): number {
  // Largest difference between pixels along the middle row of a box: text makes it large.
  const y = Math.round(box.y + box.height / 2);
  let min = 255;
  let max = 0;
  for (let x = Math.round(box.x) + 4; x < box.x + box.width - 4; x += 1) {
    const value = frame.data[(y * frame.width + x) * 4];
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  return max - min;
}

test('a scripted sign-in in real Chromium is recorded through the page listeners, with the password masked and blurred', async () => {
  const out = join(home.path, 'login-recording');
  const script = join(home.path, 'login.json');
  writeFileSync(
    script,
    JSON.stringify([
      { action: 'click', selector: '#email' },
      { action: 'type', text: 'alice@example.com' },
      { action: 'click', selector: '[data-testid=login-password]' },
      { action: 'type', text: password },
      { action: 'click', selector: '#remember' },
      { action: 'click', selector: '#api-key' },
      { action: 'type', text: 'sk-live-4f9a8b7c6d5e4f3a2b1c' },
      { action: 'press', key: 'Enter' },
    ]),
  );
  const result = await runCli(['record', '--url', `${server.url}login.html`, '--out', out, '--script', script, '--step-gap', '250', '--json'], { env: home.env, timeoutMs: 90_000 });
  assert.equal(result.code, 0, result.stderr);
  const output = JSON.parse(result.stdout);
  assert.equal(output.kind, 'web');
  assert.equal(output.stoppedBy, 'script');

  const { meta, events } = readTrajectory(out);
  assert.equal(meta.kind, 'web');
  assert.equal(meta.status, 'complete');
  assert.equal(meta.mode, 'script');
  const summary = events.map((event) => `${event.kind}:${event.target?.name ?? ''}`);
  assert.deepEqual(summary, [
    'click:Email address',
    'type:Email address',
    'click:Password',
    'type:Password',
    'click:Keep me signed in',
    'click:API key (optional)',
    'type:API key (optional)',
    'key:API key (optional)',
  ]);
  const byKind = (kind: string, name: string) => events.find((event) => event.kind === kind && event.target?.name === name) as TrajectoryEvent;
  const emailClick = byKind('click', 'Email address');
  assert.equal(emailClick.source, 'dom');
  assert.equal(emailClick.target?.role, 'textbox');
  assert.equal(emailClick.target?.strategy, 'role');
  assert.equal(emailClick.target?.locator, "getByRole('textbox', { name: 'Email address', exact: true })");
  assert.equal(emailClick.target?.testId, 'login-email');
  assert.equal(emailClick.target?.css, '#email');
  assert.ok(emailClick.target?.box && emailClick.target.box.width > 100);
  assert.ok(emailClick.ariaSnapshot?.includes('textbox "Email address"'));
  // Redaction: the typed email and API key are stored only as tags.
  assert.equal(byKind('type', 'Email address').text, '[email]');
  assert.equal(byKind('type', 'API key (optional)').text, '[api-key]');
  assert.equal(events.at(-1)?.key, 'Enter');
  assert.equal(events.at(-1)?.pageTitle, 'Dashboard · Acme Console');
  // Masking: the password's keystrokes and value are not stored anywhere.
  const typedPassword = byKind('type', 'Password');
  assert.equal(typedPassword.masked, true);
  assert.equal(typedPassword.text, undefined);
  assert.equal(typedPassword.value, undefined);
  for (const file of ['events.jsonl', 'trajectory.json']) {
    const text = readFileSync(join(out, file), 'utf8');
    assert.ok(!text.includes(password) && !text.includes('Tr0ub4dor'), `${file} must not contain the password`);
    assert.ok(!text.includes('alice@example.com'), `${file} must not contain the email`);
    assert.ok(!text.includes('sk-live-4f9a'), `${file} must not contain the API key`);
  }
  // Blur: in every stored frame after the password was typed, its field shows no text while the email field does.
  const passwordBox = typedPassword.target?.box;
  const emailBox = emailClick.target?.box;
  assert.ok(passwordBox && emailBox);
  const later = events.filter((event) => event.seq >= typedPassword.seq).map((event) => event.frames?.after as string);
  for (const name of later) {
    const frame = await decodePng(readFileSync(join(out, name)));
    assert.ok(rowSpread(frame, passwordBox) <= 24, `${name}: password field must be obscured (spread ${rowSpread(frame, passwordBox)})`);
    assert.ok(rowSpread(frame, emailBox) > 80, `${name}: email field text stays visible`);
  }
  assert.equal(readdirSync(join(out, 'frames')).length, output.frames);
});

test('a click on a <label> is one step: the click the browser forwards to its control is not recorded again', async () => {
  const out = join(home.path, 'labels-recording');
  const script = join(home.path, 'labels.json');
  writeFileSync(
    script,
    JSON.stringify([
      { action: 'click', selector: 'label[for="customer"]' },
      { action: 'click', selector: 'label:has(#plan-team)' },
      { action: 'click', selector: '#plan-pro' },
    ]),
  );
  const result = await runCli(['record', '--url', `${server.url}order.html`, '--out', out, '--script', script, '--step-gap', '250', '--json'], { env: home.env, timeoutMs: 90_000 });
  assert.equal(result.code, 0, result.stderr);
  const clicks = readTrajectory(out).events.filter((event) => event.kind === 'click');
  const targets = clicks.map((event) => `${event.target?.role} ${event.target?.name}`);
  assert.deepEqual(targets, ['textbox Customer name', 'radio Team', 'radio Pro'], 'one step per click, on the control a label names');
});

test('typing, chords, row buttons and a double click on the orders table become the right event kinds', async () => {
  const out = join(home.path, 'orders-recording');
  const script = join(home.path, 'orders.json');
  writeFileSync(
    script,
    JSON.stringify([
      { action: 'click', selector: '#filter' },
      { action: 'type', text: 'Ada' },
      { action: 'press', key: 'ctrl+a' },
      { action: 'press', key: 'Backspace' },
      { action: 'click', selector: '[data-testid="ship-A-1003"]' },
      { action: 'click', selector: '#sort-number' },
      { action: 'click', x: 400, y: 120, double: true },
    ]),
  );
  const result = await runCli(['record', '--url', `${server.url}table.html`, '--out', out, '--script', script, '--step-gap', '250', '--json'], { env: home.env, timeoutMs: 90_000 });
  assert.equal(result.code, 0, result.stderr);
  const { events } = readTrajectory(out);
  const kinds = events.map((event) => event.kind);
  assert.deepEqual(kinds, ['click', 'type', 'key', 'key', 'click', 'click', 'double_click']);
  assert.equal(events[1].text, 'Ada');
  assert.equal(events[1].value, 'Ada');
  assert.equal(events[2].key, 'ctrl+a');
  assert.equal(events[4].target?.name, 'Mark A-1003 shipped');
  assert.equal(events[4].target?.testId, 'ship-A-1003');
  assert.ok(events[4].ariaSnapshot?.includes('A-1003'));
  assert.equal(events[5].target?.role, 'button');
  assert.deepEqual(events[6].pointer, { x: 400, y: 120 });

  const listed = await runCli(['record', 'list', '--dir', home.path, '--json'], { env: home.env });
  assert.equal(listed.code, 0, listed.stderr);
  const recordings = JSON.parse(listed.stdout).recordings as { dir: string; kind: string; events: number }[];
  assert.ok(recordings.some((item) => item.dir === out && item.kind === 'web' && item.events === 7));
});
