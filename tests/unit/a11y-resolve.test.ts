import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionableInWindow, appForWindow, describeAt, openAccessibility, resolveAccessible } from '../../engine/computer/accessibility.ts';
import { cleanName, decodeStates, FakeAccessibility, usableExtents, withAccessibility, type FakeNodeSpec } from '../../native/a11y/index.ts';

// The rung logic on an in-memory tree (the real client is checked against mousepad and
// featherpad in tests/e2e/a11y-atspi.test.ts).

const shown = ['enabled', 'sensitive', 'showing', 'visible'];

function editor(options: { title?: string; x?: number; extraButton?: boolean; twins?: boolean } = {}): FakeNodeSpec[] {
  const x = options.x ?? 100;
  const toolbar: FakeNodeSpec[] = [
    ...(options.extraButton ? [{ role: 'push button', name: 'New', states: shown, extents: { x: x + 4, y: 130, width: 30, height: 30 } }] : []),
    { role: 'push button', name: 'Save', states: shown, extents: { x: x + 40, y: 130, width: 30, height: 30 }, actions: ['press'] },
    ...(options.twins ? [{ role: 'push button', name: 'Save', states: shown, extents: { x: x + 80, y: 130, width: 30, height: 30 } }] : []),
  ];
  return [
    {
      role: 'frame',
      name: options.title ?? 'Untitled - Editor',
      states: [...shown, 'active'],
      extents: { x, y: 100, width: 600, height: 400 },
      children: [
        { role: 'menu bar', name: '', states: shown, extents: { x, y: 100, width: 600, height: 25 }, children: [{ role: 'menu', name: 'File ', states: shown, extents: { x, y: 100, width: 40, height: 25 }, children: [{ role: 'menu item', name: 'Save As…', states: ['enabled', 'visible'], extents: { x: -2147483648, y: -2147483648, width: 1, height: 1 } }] }] },
        { role: 'tool bar', name: '', states: shown, extents: { x, y: 125, width: 600, height: 40 }, children: toolbar },
        { role: 'text', name: '', states: [...shown, 'editable', 'focusable'], extents: { x, y: 170, width: 600, height: 330 }, text: '' },
      ],
    },
  ];
}

test('names are cleaned (control characters, trailing spaces), sentinel extents are none, states decode', () => {
  assert.equal(cleanName('Sa\u0007ve\u202e  As  \n'), 'Sa ve As');
  assert.equal(cleanName(42), '');
  assert.equal(usableExtents({ x: -2147483648, y: -2147483648, width: 1, height: 1 }), undefined);
  assert.deepEqual(usableExtents({ x: 1, y: 2, width: 30, height: 20 }), { x: 1, y: 2, width: 30, height: 20 });
  assert.deepEqual(decodeStates([(1 << 12) | (1 << 25), 1 << (41 - 32)]), ['focused', 'showing', 'checkable']);
  assert.equal(withAccessibility({}).NO_AT_BRIDGE, '0');
  assert.equal(withAccessibility({ NO_AT_BRIDGE: '1' }).NO_AT_BRIDGE, '1');
  assert.equal(withAccessibility({}).QT_LINUX_ACCESSIBILITY_ALWAYS_ON, '1');
});

test('describe the node under a point; resolve it by path after a move, by role+name after the path changed', async () => {
  const fake = new FakeAccessibility();
  const ref = fake.addApp('editor', editor(), { pid: 42, toolkit: 'gtk' });
  const app = (await appForWindow(fake, { pid: 42, title: 'whatever' }))!;
  assert.deepEqual(app.ref, ref);
  const target = (await describeAt(fake, app, { x: 155, y: 145 }))!.target;
  assert.equal(target.role, 'push button');
  assert.equal(target.name, 'Save');
  assert.deepEqual(target.path.map((step) => `${step.role}:${step.name}:${step.index}`), ['frame:Untitled - Editor:0', 'tool bar::1', 'push button:Save:0']);
  assert.deepEqual(target.actions, ['press']);

  // Moved window, changed title: the path still holds (the top window by role over the window).
  fake.setWindows(ref, editor({ x: 300, title: '*Untitled - Editor' }));
  const moved = await resolveAccessible(fake, app, target, { window: { x: 300, y: 100, width: 600, height: 400 } });
  assert.ok(typeof moved !== 'string' && !('unshown' in moved), String(moved));
  assert.equal(moved.how, 'path');
  assert.equal(moved.extents.x, 340);

  // A button added before it: same path by role and name, another index.
  fake.setWindows(ref, editor({ extraButton: true }));
  const shifted = await resolveAccessible(fake, app, target);
  assert.ok(typeof shifted !== 'string' && !('unshown' in shifted));
  assert.equal(shifted.how, 'path');
  assert.ok(shifted.confidence < 0.97 && shifted.confidence >= 0.9);

  // The path is gone (toolbar restructured): role + name among what is showing.
  fake.setWindows(ref, [{ ...editor()[0], children: [{ role: 'panel', name: '', states: shown, extents: { x: 100, y: 100, width: 600, height: 400 }, children: [{ role: 'push button', name: 'Save', states: shown, extents: { x: 500, y: 400, width: 30, height: 30 } }] }] }]);
  const byName = await resolveAccessible(fake, app, target);
  assert.ok(typeof byName !== 'string' && !('unshown' in byName));
  assert.equal(byName.how, 'role+name');
  assert.equal(byName.extents.x, 500);
});

test('ties are refused, never guessed; a node not on screen is not a place to act', async () => {
  const fake = new FakeAccessibility();
  const ref = fake.addApp('editor', editor({ twins: true }), { pid: 7 });
  const app = (await appForWindow(fake, { pid: 7, title: '' }))!;
  const target = { version: 1 as const, role: 'push button', name: 'Save', states: [], path: [{ role: 'frame', name: 'Untitled - Editor', index: 0 }, { role: 'tool bar', name: '', index: 1 }, { role: 'push button', name: 'Save', index: 5 }] };
  const tie = await resolveAccessible(fake, app, target);
  assert.equal(typeof tie, 'string');
  assert.match(tie as string, /2 look-alikes.*2 showing push button named "Save" that nothing tells apart/);

  fake.setWindows(ref, editor());
  const menuItem = { version: 1 as const, role: 'menu item', name: 'Save As…', states: [], path: [{ role: 'frame', name: 'Untitled - Editor', index: 0 }, { role: 'menu bar', name: '', index: 0 }, { role: 'menu', name: 'File', index: 0 }, { role: 'menu item', name: 'Save As…', index: 0 }] };
  const closed = await resolveAccessible(fake, app, menuItem);
  // The very item, hidden in its closed menu: said as such, so replay clicks no look-alike elsewhere.
  assert.ok(typeof closed === 'object' && 'unshown' in closed, String(closed));
  assert.equal(closed.unshown.name, 'Save As…');
  assert.match(closed.reason, /not on screen.*no showing menu item/);
});

test('explore candidates: the actionable nodes of the window with role, name, extents and path', async () => {
  const fake = new FakeAccessibility();
  fake.addApp('editor', editor(), { pid: 9 });
  const nodes = await actionableInWindow(fake, { pid: 9, title: 'Untitled - Editor', geometry: { x: 100, y: 100, width: 600, height: 400 } });
  assert.deepEqual(nodes.map((node) => `${node.role}:${node.name}`), ['menu:File', 'push button:Save', 'text:']);
  assert.deepEqual(nodes[1].path.map((step) => step.role), ['frame', 'tool bar', 'push button']);
  assert.equal(nodes[1].extents.width, 30);
  // Another window's geometry: nothing of this app's is over it.
  assert.deepEqual(await actionableInWindow(fake, { pid: 9, title: 'x', geometry: { x: 1000, y: 900, width: 100, height: 100 } }), []);
});

test('a dead bus: the session opens without a client and says why once', async () => {
  const fake = new FakeAccessibility();
  fake.addApp('editor', editor(), { pid: 1 });
  fake.dead = true;
  await assert.rejects(() => fake.applications(), (error: { code: string }) => error.code === 'unavailable');
  const session = await openAccessibility({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/skillframe-bus' });
  assert.equal(session.client, undefined);
  assert.equal(session.warning?.code, 'unavailable');
  await session.dispose();
});
