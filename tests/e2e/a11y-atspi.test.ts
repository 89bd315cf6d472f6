import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startDisplay, type VirtualDisplay } from '../../native/display/xvfb.ts';
import { cleanName, openAtspi, startAccessibilityBus, usableExtents, walkNodes, type Accessibility, type AccessibilityBus, type AccessibleApp } from '../../native/a11y/index.ts';
import { runProgram } from '../../native/process/run.ts';
import { launchApp, type LaunchedApp } from '../../native/window/launch.ts';
import { XdotoolWindows } from '../../native/window/xdotool-windows.ts';
import { actionableInWindow, appForWindow, describeAt, openAccessibility, resolveAccessible } from '../../engine/computer/accessibility.ts';
import { openX11Surface } from '../../engine/computer/replay/x11-surface.ts';

// The AT-SPI client against real apps (mousepad: GTK 3, featherpad: Qt 5) on a private
// accessibility bus, checked against the reference client (python3-pyatspi); then a hostile tree
// served over the same bus, and a bus that dies.

let display: VirtualDisplay;
let bus: AccessibilityBus;
let client: Accessibility;
let windows: XdotoolWindows;
const apps: LaunchedApp[] = [];
const home = mkdtempSync(join(tmpdir(), 'sf-a11y-home-'));

async function open(command: string): Promise<{ app: AccessibleApp; window: Awaited<ReturnType<XdotoolWindows['waitFor']>> }> {
  const launched = await launchApp(command, { env: { ...bus.env, HOME: home } });
  apps.push(launched);
  const window = await windows.waitFor({ pid: launched.pid }, { timeoutMs: 30_000 });
  // The bridge registers a moment after the window maps.
  for (let tries = 0; tries < 50; tries += 1) {
    const app = await appForWindow(client, window);
    if (app && app.childCount > 0) return { app, window };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${command} never exposed an accessibility tree`);
}

before(async () => {
  display = await startDisplay({ width: 1280, height: 800 });
  bus = await startAccessibilityBus(display.env);
  client = await openAtspi({ env: bus.env });
  windows = new XdotoolWindows(bus.env);
});

after(async () => {
  client?.dispose();
  for (const app of apps) await app.dispose();
  windows?.dispose();
  await bus?.dispose();
  await display?.dispose();
});

test('mousepad (GTK 3): the same roles, names and extents as python3-pyatspi', async () => {
  const { app } = await open('mousepad');
  const ours = await client.tree(app.ref);
  const mine = [...walkNodes(ours.root)].map((node) => `${node.role}|${node.name}|${node.extents ? Object.values(node.extents).join(',') : ''}`);
  // The reference walk: same rule (descend into showing nodes), names cleaned the same way.
  const script = `
import pyatspi, json, sys
pid = int(sys.argv[1])
out = []
def walk(node, depth):
    try:
        e = node.queryComponent().getExtents(0); ext = ','.join(str(v) for v in (e.x, e.y, e.width, e.height))
    except Exception:
        ext = ''
    out.append([node.getRoleName(), node.name or '', ext])
    if depth > 0 and not node.getState().contains(pyatspi.STATE_SHOWING): return
    for child in node: walk(child, depth + 1)
for app in pyatspi.Registry.getDesktop(0):
    if app.get_process_id() == pid: walk(app, 0)
print(json.dumps(out))`;
  const reference = await runProgram('/usr/bin/python3', ['-c', script, String(app.pid)], { env: bus.env, timeoutMs: 30_000 });
  const theirs = (JSON.parse(reference.stdout) as [string, string, string][]).map(([role, name, extents]) => `${role}|${cleanName(name)}|${extents}`);
  assert.ok(theirs.length > 50, `pyatspi saw ${theirs.length} nodes`);
  assert.deepEqual([...mine].sort(), [...theirs].sort());
  assert.ok(mine.some((line) => line.startsWith('menu|File|')), 'the File menu is exposed');
});

test('featherpad (Qt 5): menu bar, menus and the text area, with screen extents; a node resolves by path after a move and resize', async () => {
  const { app, window } = await open('featherpad --standalone');
  const nodes = await actionableInWindow(client, window);
  const names = nodes.map((node) => `${node.role}:${node.name}`);
  assert.ok(names.some((name) => /^menu( item)?:File$/.test(name)), names.join(', '));
  const text = nodes.find((node) => node.role === 'text' || node.role === 'paragraph');
  assert.ok(text, `a text area among ${names.join(', ')}`);
  const file = nodes.find((node) => node.name === 'File') as (typeof nodes)[number];
  const point = { x: file.extents.x + file.extents.width / 2, y: file.extents.y + file.extents.height / 2 };
  const described = (await describeAt(client, app, point))?.target;
  assert.equal(described?.name, 'File', JSON.stringify(described));
  assert.ok(described && described.path.length >= 2);

  await windows.move(window.id!, 300, 200);
  await windows.resize(window.id!, 700, 500);
  await new Promise((resolve) => setTimeout(resolve, 800));
  const moved = (await windows.info(window.id!))!;
  const times: number[] = [];
  let resolved;
  for (let round = 0; round < 7; round += 1) {
    const started = performance.now();
    resolved = await resolveAccessible(client, app, described!, { window: moved.geometry });
    times.push(performance.now() - started);
  }
  assert.ok(resolved && typeof resolved !== 'string' && !('unshown' in resolved), String(resolved));
  assert.equal(resolved.how, 'path');
  const box = resolved.extents;
  // Window managers and toolkits disagree by the title bar's height on where a window's top is.
  const slack = 40;
  assert.ok(box.x >= moved.geometry.x - slack && box.y >= moved.geometry.y - slack && box.x < moved.geometry.x + 200 && box.y < moved.geometry.y + 100, `the File menu now lies in the moved window: ${JSON.stringify(box)} in ${JSON.stringify(moved.geometry)}`);
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ resolveMs: { p50: Math.round(times[3]), max: Math.round(times[6]) }, app: 'featherpad', nodes: nodes.length }));
});

test('a hostile tree over the real bus: names cleaned, a cycle walked once, 100k children skipped with a coded error', async () => {
  const dbus = (await import('dbus-next')) as typeof import('dbus-next') & { default?: typeof import('dbus-next') };
  const { Message, Variant, sessionBus } = dbus.default ?? dbus;
  const hostile = sessionBus({ busAddress: bus.address });
  await new Promise<void>((resolve) => hostile.once('connect', () => resolve()));
  const name = (hostile as unknown as { name: string }).name;
  // /h/root → [bad name, loop ⇄ loop2 (a cycle), big (100 000 children)]
  const nodes: Record<string, { name: string; role: string; children: () => string[] }> = {
    '/h/root': { name: 'hostile', role: 'application', children: () => ['/h/bad', '/h/loop', '/h/big'] },
    '/h/bad': { name: 'Sa\u0007ve\u0001 \u202eAs\n  ', role: 'push button', children: () => [] },
    '/h/loop': { name: 'loop', role: 'panel', children: () => ['/h/loop2', '/h/bad'] },
    '/h/loop2': { name: 'loop2', role: 'panel', children: () => ['/h/loop'] },
    '/h/big': { name: 'big', role: 'list', children: () => Array.from({ length: 100_000 }, (_, index) => `/h/item/${index}`) },
  };
  const lookup = (path: string) => nodes[path] ?? (path.startsWith('/h/item/') ? { name: `item ${path.slice(8)}`, role: 'list item', children: () => [] } : undefined);
  (hostile as unknown as { addMethodHandler: (handler: (message: import('dbus-next').Message) => boolean) => void }).addMethodHandler((message) => {
    const node = lookup(message.path);
    if (!node) return false;
    const reply = (signature: string, body: unknown[]) => {
      hostile.send(Message.newMethodReturn(message, signature, body));
      return true;
    };
    const count = node.children().length;
    switch (message.member) {
      case 'Get':
        return reply('v', [message.body[1] === 'ChildCount' ? new Variant('i', count) : message.body[1] === 'Name' ? new Variant('s', node.name) : message.body[1] === 'Description' ? new Variant('s', '') : new Variant('(so)', [name, '/h/root'])]);
      case 'GetRole':
        return reply('u', [node.role === 'application' ? 75 : node.role === 'push button' ? 43 : node.role === 'panel' ? 39 : node.role === 'list' ? 31 : 32]);
      case 'GetRoleName':
        return reply('s', [node.role]);
      case 'GetState':
        return reply('au', [[(1 << 8) | (1 << 25) | (1 << 30), 0]]);
      case 'GetInterfaces':
        return reply('as', [['org.a11y.atspi.Accessible']]);
      case 'GetIndexInParent':
        return reply('i', [0]);
      case 'GetChildren':
        return reply('a(so)', [node.children().map((path) => [name, path])]);
      default:
        return false;
    }
  });
  try {
    const small = await client.tree({ bus: name, path: '/h/root' }, { maxNodes: 10 }).catch((error) => error);
    assert.equal(small.code, 'refused', String(small.message));
    assert.match(small.message, /more than 10 nodes: skipped/);
    const bad = await client.node({ bus: name, path: '/h/bad' });
    assert.equal(bad.name, 'Sa ve As');
    const loop = await client.tree({ bus: name, path: '/h/loop' });
    assert.equal(loop.nodeCount, 3);
    assert.ok(loop.warnings.some((warning) => warning.code === 'refused' && /cycle/.test(warning.message)), JSON.stringify(loop.warnings));
  } finally {
    hostile.disconnect();
  }
});

test('a dead bus: calls fail fast with a coded error; a session without a bus says so once and has no client', async () => {
  const other = await startAccessibilityBus(display.env);
  const doomed = await openAtspi({ env: other.env, callTimeoutMs: 1500 });
  await other.dispose();
  const started = Date.now();
  const failure = await doomed.applications().catch((error) => error);
  assert.ok(['unavailable', 'timeout'].includes(failure.code), `${failure.code}: ${failure.message}`);
  assert.ok(Date.now() - started < 3000);
  doomed.dispose();
  const none = await openAccessibility({ ...display.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' });
  assert.equal(none.client, undefined);
  assert.equal(none.warning?.code, 'unavailable');
  assert.match(none.warning?.message ?? '', /visual rungs only/);
  await none.dispose();
  assert.equal(usableExtents({ x: -2147483648, y: -2147483648, width: 1, height: 1 }), undefined);
});

test('an app Skillframe launches itself gets a private accessibility bus where the session has none; one it attaches to is said once to have none', async () => {
  // The display alone: no DBUS_SESSION_BUS_ADDRESS, no AT_SPI_BUS_ADDRESS (a bare Xvfb, CI).
  const bare: NodeJS.ProcessEnv = { ...display.env, HOME: home };
  delete bare.DBUS_SESSION_BUS_ADDRESS;
  delete bare.AT_SPI_BUS_ADDRESS;
  const surface = await openX11Surface({ env: bare, app: 'mousepad' });
  try {
    const live = await surface.accessibility!.target({ waitMs: 20_000 });
    assert.ok(typeof live !== 'string', `the launched app exposes its tree: ${String(live)}`);
    assert.ok(live.app.childCount > 0);
    assert.deepEqual(surface.accessibility!.warnings, []);
    // Attaching to that window from a process with no bus: no tree, one coded warning naming --app.
    const attached = await openX11Surface({ env: bare, title: 'Mousepad' });
    try {
      const none = await attached.accessibility!.target();
      assert.equal(typeof none, 'string');
      assert.equal(attached.accessibility!.warnings.length, 1);
      assert.match(attached.accessibility!.warnings[0].message, /no accessibility bus.*--app.*visual rungs only/);
    } finally {
      await attached.dispose();
    }
  } finally {
    await surface.dispose();
  }
});
