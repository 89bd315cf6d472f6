import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { z } from 'zod';
import { parseRedactions, redactDeep, redactText } from '../../engine/computer/recorder/privacy.ts';
import { recordX11 } from '../../engine/computer/recorder/x11-recorder.ts';
import { Dispatcher } from '../../host/dispatcher.ts';
import { systemHandlers } from '../../host/handlers/system.ts';
import { readSettings, skillframeHome } from '../../host/home.ts';
import { FakeHooks, FakeInput } from '../../native/input/fake-input.ts';
import { FakeScreen } from '../../native/screen/fake-screen.ts';
import { FakeWindows } from '../../native/window/fake-windows.ts';
import { apiKeyFor, createProvider } from '../../perception/models/index.ts';
import { SkillLibrary } from '../../skills-mm/library.ts';
import { readTrajectory } from '../../skills-mm/trajectory/store.ts';

/** Secrets stay put: keys go only where they were entered for, files are the owner's, typed secrets never land on disk. */

const root = mkdtempSync(join(tmpdir(), 'sf-secrets-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function settingsSet(dispatcher: Dispatcher, patch: unknown) {
  const reply = await dispatcher.dispatch('settings.set', { json: JSON.stringify(patch) });
  assert.ok(reply.ok, JSON.stringify(reply));
  return reply.value as { vlm: { apiKeySet: boolean } };
}

test('the API key is bound to the origin it was entered for; changing only baseUrl drops it (observed: it was sent to the new host)', async () => {
  process.env.SKILLFRAME_HOME = join(root, 'home-key');
  const dispatcher = new Dispatcher(systemHandlers);
  await settingsSet(dispatcher, { vlm: { provider: 'openai', baseUrl: 'https://api.example.com/v1', model: 'm', apiKey: 'sk-secret-for-example-0001' } });
  assert.equal(readSettings().vlm.apiKeyOrigin, 'https://api.example.com');
  // Same origin, other path: the key stays.
  assert.equal((await settingsSet(dispatcher, { vlm: { baseUrl: 'https://api.example.com/v2' } })).vlm.apiKeySet, true);
  // Another origin without a new key: the key is gone, from the file too.
  assert.equal((await settingsSet(dispatcher, { vlm: { baseUrl: 'http://127.0.0.1:9/v1' } })).vlm.apiKeySet, false);
  assert.equal(readSettings().vlm.apiKey, undefined);
  assert.ok(!readFileSync(join(process.env.SKILLFRAME_HOME, 'settings.json'), 'utf8').includes('sk-secret'));
  // A new key with the new origin binds to it.
  await settingsSet(dispatcher, { vlm: { apiKey: 'sk-second-key-000000000002' } });
  assert.equal(readSettings().vlm.apiKeyOrigin, 'http://127.0.0.1:9');
  // A hand-edited file whose origin moved never sends the key to the new origin.
  assert.equal(apiKeyFor({ provider: 'openai', baseUrl: 'https://evil.example/v1', apiKey: 'sk-x', apiKeyOrigin: 'https://api.example.com' }, 'https://evil.example/v1', {}), undefined);
});

test('an environment key is never sent to a non-default host', async () => {
  const seen: (string | undefined)[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers.authorization);
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: '{"ok":true}' }, finish_reason: 'stop' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const provider = await createProvider({ provider: 'openai', baseUrl, model: 'm' }, { OPENAI_API_KEY: 'sk-env-openai-000000000000', SKILLFRAME_VLM_API_KEY: 'sk-env-skillframe-00000000' });
    await provider.complete({ messages: [{ role: 'user', content: 'hi' }], schema: z.object({ ok: z.boolean() }) });
    await provider.dispose();
    assert.deepEqual(seen, [undefined], 'no Authorization header went to a host the environment key was not meant for');
    assert.equal(apiKeyFor({ provider: 'openai' }, 'https://api.openai.com/v1', { OPENAI_API_KEY: 'sk-env' }), 'sk-env');
    assert.equal(apiKeyFor({ provider: 'openai' }, baseUrl, { SKILLFRAME_VLM_API_KEY: 'sk-env', SKILLFRAME_VLM_BASE_URL: baseUrl }), 'sk-env');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('the home is 0700 (an old 0755 one is tightened), library and recording files 0600 (observed: 0755 and 0644)', async () => {
  const home = join(root, 'home-modes');
  mkdirSync(home, { mode: 0o755 });
  process.env.SKILLFRAME_HOME = home;
  skillframeHome();
  assert.equal(statSync(home).mode & 0o777, 0o700);
  const library = new SkillLibrary(join(home, 'skills'));
  await library.add(new URL('../../testkit/fixtures/hostile/base', import.meta.url).pathname);
  const skill = join(home, 'skills', 'sign-up-account');
  for (const file of ['SKILL.md', 'plan.json', 'Images/step-01-target.png']) assert.equal(statSync(join(skill, file)).mode & 0o077, 0, `${file} is readable by others`);
  assert.equal(statSync(join(home, 'skills', 'index.json')).mode & 0o077, 0);
  assert.equal(statSync(skill).mode & 0o077, 0);
});

test('redaction knows Stripe, GitHub, GitLab, Slack, AWS, JWT, private keys and hint-less typed passwords (observed: sk_live_, glpat- and passwords passed)', () => {
  const patterns = parseRedactions(undefined);
  const secrets = [
    'sk_live_51HxYzAbCdEfGhIjKlMnOp',
    'rk_test_4eC39HqLyjWDarjtT1zdp7dc',
    'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    'ghp_0123456789abcdefghijABCDEFGHIJ012345',
    'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
    'glpat-a1B2c3D4e5F6g7H8i9J0',
    'xoxb-2048-4096-AbCdEfGhIjKlMn',
    'AKIAIOSFODNN7EXAMPLE',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  ];
  for (const secret of secrets) assert.ok(!redactText(`token ${secret} here`, patterns).text.includes(secret), secret);
  const aws = redactText('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', patterns).text;
  assert.ok(!aws.includes('wJalrXUtnFEMI'), aws);
  const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----';
  assert.equal(redactText(`key:\n${pem}\nend`, patterns).text, 'key:\n[private-key]\nend');
  // A password typed with no hint: redacted in typed text, but ordinary labels and names stay.
  const { value } = redactDeep({ text: 'Tr0ub4dor&3', target: { name: 'README.md' }, window: { title: 'Q3 report (v2).ods' } }, patterns);
  assert.deepEqual(value, { text: '[secret]', target: { name: 'README.md' }, window: { title: 'Q3 report (v2).ods' } });
  for (const ordinary of ['Hello World 2024', 'Welcome, Ada!', 'user_name-2', 'https://example.com/a?B=1', '{{text_1}}', 'Save As...']) {
    assert.equal(redactDeep({ text: ordinary }, patterns).value.text, ordinary, ordinary);
  }
});

function x11Setup(title: string) {
  const dir = mkdtempSync(join(root, 'x11-'));
  const hooks = new FakeHooks();
  const input = new FakeInput(hooks);
  const screen = new FakeScreen(320, 240);
  const windows = new FakeWindows([{ id: '42', pid: 7, title, className: 'Editor', geometry: { x: 0, y: 0, width: 320, height: 240 } }], { width: 320, height: 240 });
  const out = join(dir, 'rec');
  /** Records a script on the fake desktop, attached to the window whose title matches `attach`. */
  const record = (attach: string, script: Parameters<typeof recordX11>[0]['script']) =>
    recordX11({ out, attach, env: { DISPLAY: ':fake' }, redactions: parseRedactions(['none']), signal: new AbortController().signal, stepGapMs: 20, settleMs: 60, script, adapters: { hooks, input, screen, windows } });
  return { out, hooks, windows, record };
}

test('X11: a password prompt that pops up mid-typing gets masked keystrokes (observed: attributed to the window seen up to 5 s earlier)', async () => {
  const { out, hooks, windows, record } = x11Setup('notes.txt - Editor');
  // The prompt appears the moment "|" is typed (a sudo dialog grabbing focus): what follows goes to it.
  const emit = hooks.emit.bind(hooks);
  hooks.emit = (event) => {
    if (event.type === 'keydown' && event.text === '|') {
      windows.windows.push({ id: '43', pid: 8, title: 'Authentication required', className: 'Polkit', geometry: { x: 40, y: 40, width: 200, height: 100 } });
      windows.activeId = '43';
    }
    emit(event);
  };
  await record('Editor', [{ action: 'type', text: 'plain' }, { action: 'type', text: '|s3cr3tpass' }, { action: 'press', key: 'Enter' }]);
  const events = readFileSync(join(out, 'events.jsonl'), 'utf8');
  assert.ok(!events.includes('s3cr3t'), events);
  const typed = readTrajectory(out).events.filter((event) => event.kind === 'type');
  assert.ok(typed.some((event) => event.text?.includes('plain')), 'text typed into the editor is kept');
  assert.ok(typed.some((event) => event.masked && event.window?.title === 'Authentication required'), 'text typed into the prompt is masked and attributed to it');
});

test('X11: a dialog of the recorded app itself (Save As) opened by a click gets its typed path in the clear; another process taking the focus still gets its first key masked', async () => {
  const { out, hooks, windows, record } = x11Setup('notes.txt - Editor');
  const emit = hooks.emit.bind(hooks);
  hooks.emit = (event) => {
    // The click on "Save As…" opens the app's own dialog (same process), which maps and takes the
    // focus only after the click was looked up: the first key of the path is the first one seen there.
    if (event.type === 'keydown' && event.text === '/' && windows.activeId !== '44') {
      windows.windows.push({ id: '44', pid: 7, title: 'Save As', className: 'Editor', geometry: { x: 40, y: 40, width: 200, height: 100 } });
      windows.activeId = '44';
    }
    // Later another process's window (no password in its title) takes the focus unasked.
    if (event.type === 'keydown' && event.text === '#') {
      windows.windows.push({ id: '45', pid: 9, title: 'Untitled', className: 'Other', geometry: { x: 60, y: 60, width: 200, height: 100 } });
      windows.activeId = '45';
    }
    emit(event);
  };
  await record('Editor', [{ action: 'type', text: 'plain' }, { action: 'click', x: 50, y: 50 }, { action: 'type', text: '/home/ada/Q3Report.txt' }, { action: 'press', key: 'Enter' }, { action: 'type', text: '#abc' }]);
  const typed = readTrajectory(out).events.filter((event) => event.kind === 'type');
  const path = typed.find((event) => event.window?.title === 'Save As');
  assert.equal(path?.text, '/home/ada/Q3Report.txt', JSON.stringify(typed.map((event) => [event.text, event.masked, event.window?.title])));
  assert.equal(path?.masked, false);
  assert.ok(typed.some((event) => event.masked && event.window?.title === 'Untitled'), 'the first key seen in the other process\'s window is masked');
});

test('key events in a masked window do not spell the secret one key at a time', async () => {
  const { out, record } = x11Setup('Enter passphrase');
  await record('passphrase', [{ action: 'press', key: 'q' }, { action: 'press', key: 'shift+z' }, { action: 'press', key: 'Enter' }]);
  const events = readTrajectory(out).events;
  assert.ok(!events.some((event) => event.key === 'q' || event.key === 'shift+z'), JSON.stringify(events.map((event) => [event.kind, event.key])));
  assert.ok(events.some((event) => event.key === 'Enter'), 'named keys stay');
});

test('a file name typed into a Save As dialog is not taken for a password', async () => {
  const { parseRedactions, redactText } = await import('../../engine/computer/recorder/privacy.ts');
  const patterns = parseRedactions(undefined);
  for (const name of ['notes_v2.txt', 'Report-2026.pdf', 'skillframe-note-1.md']) assert.equal(redactText(name, patterns).text, name, name);
  assert.equal(redactText('Tr0ub4dor&3x', patterns).text, '[secret]');
  // Words, capitalised or numbered, and paths are ordinary text (observed: "Q3Report" and a typed
  // Save As path became secret parameters and every replay of the save stopped).
  for (const ordinary of ['Q3Report', 'Invoice2026', 'MyDocument2', 'reports/Q3Report.txt', 'C:\\Users\\ada\\Q3Report.txt', '/home/ada/Q3Report2026.txt']) assert.equal(redactText(ordinary, patterns).text, ordinary, ordinary);
  // Made-up strings still are, with or without a symbol; an "@" inside a password does not make it an address.
  for (const secret of ['xK9mP2qL7', 'aB3dE5gH9z', 'P@ssw0rd!', 'Summer2024!']) assert.equal(redactText(secret, patterns).text, '[secret]', secret);
});
