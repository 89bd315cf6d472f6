import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExploreAction } from '../../core/commands/explore.ts';
import { StateGraph } from '../../engine/computer/explore/graph.ts';
import { accessibleSelectorPrefix } from '../../engine/computer/explore/identity.ts';
import { treeOverlay, treeSignature, treeTargets } from '../../engine/computer/explore/x11-driver.ts';
import type { ActionableNode } from '../../native/a11y/index.ts';
import { viewOf, type ShownNode } from '../../testkit/x11-views.ts';

const node = (r: string, n: string, c: ShownNode[] = [], s: string[] = []): ShownNode => ({ r, n, s, c });

const calculator = (display: string, open: boolean) =>
  node('application', 'calc', [
    node('frame', 'calc', [
      node('menu bar', '', [node('menu', 'File', open ? [node('menu item', 'Quit')] : [], open ? ['selected'] : [])]),
      node('label', display),
      node('toggle button', '7', [], ['checked']),
    ]),
  ]);

test('X11 view: an open menu is a view of its own; a changed value or a checked toggle is not', () => {
  assert.equal(viewOf(calculator('12', false)), viewOf(node('application', 'calc', [node('frame', 'calc', [node('menu bar', '', [node('menu', 'File')]), node('label', '345'), node('toggle button', '7')])])));
  const closed = viewOf(calculator('0', false));
  const open = viewOf(calculator('0', true));
  assert.notEqual(open, closed);
  assert.deepEqual(JSON.parse(open).menus, ['menu bar|>File']);
  assert.ok(JSON.parse(open).controls.includes('menu item|Quit'));
});

test('X11 view: a dialog is a window of the view, a selected tab names the page shown', () => {
  const tabs = (selected: string) => node('page tab list', '', ['One', 'Two'].map((name) => node('page tab', name, [], name === selected ? ['selected'] : [])));
  const main = (selected: string) => node('frame', 'Factory', [tabs(selected)]);
  assert.notEqual(viewOf(node('application', 'f', [main('One')])), viewOf(node('application', 'f', [main('Two')])));
  const withDialog = JSON.parse(viewOf(node('application', 'f', [main('One'), node('dialog', 'About  Factory', [node('push button', 'Close')])])));
  assert.deepEqual(withDialog.windows, ['dialog|About Factory', 'frame|Factory']);
  assert.deepEqual(withDialog.tabs, ['One']);
});

const actionable = (role: string, name: string, x: number, y: number, top: { role: string; index: number }): ActionableNode => ({
  ref: { bus: ':1.1', path: `/${name}` } as ActionableNode['ref'],
  role,
  name,
  states: ['showing', 'enabled'],
  extents: { x, y, width: 20, height: 10 },
  path: [{ role: top.role, name: '', index: top.index }, { role, name, index: 0 }],
});

test('explore X11 through the tree: a popup menu item outside the main window is a target, relative to the main window', () => {
  const frame = { role: 'frame', index: 0 };
  const targets = treeTargets([actionable('menu', 'File', 500, 240, frame), actionable('menu item', 'Scientific mode', 500, 700, frame), actionable('push button', 'Off screen', 2000, 300, frame)], { x: 474, y: 236 }, { width: 1280, height: 800 });
  assert.deepEqual(
    targets.map((action) => [action.target?.name, action.target?.x, action.target?.y]),
    [
      ['File', 36, 9],
      ['Scientific mode', 36, 469],
    ],
  );
  assert.ok(targets.every((action) => action.target?.selector?.startsWith('a11y:')));
});

test('explore X11 through the tree: while a dialog is open only its nodes are targets', () => {
  const nodes = [actionable('push button', '7', 500, 300, { role: 'frame', index: 0 }), actionable('push button', 'Close', 300, 100, { role: 'dialog', index: 1 })];
  assert.deepEqual(
    treeTargets(nodes, { x: 474, y: 236 }, { width: 1280, height: 800 }).map((action) => [action.target?.name, action.target?.x]),
    [['Close', -164]],
  );
});

test('explore X11 through the tree: a container whose controls changed nothing makes its other controls worth less (region of the tree)', () => {
  const graph = new StateGraph();
  const key = (panel: number, name: string): ExploreAction => ({ kind: 'click', target: { role: 'push button', name, x: 1, y: 1, selector: `${accessibleSelectorPrefix}${JSON.stringify([{ role: 'frame', name: 'calc', index: 0 }, { role: 'panel', name: '', index: panel }, { role: 'push button', name, index: 0 }])}` } });
  const node = graph.addNode({ signature: 'start', phash: '0'.repeat(16), title: 'calc', candidates: [key(0, '1'), key(0, '2'), key(0, '3'), key(0, '4'), key(1, 'Mode')], blocked: [] }, { depth: 0, discoveredAt: 0 });
  for (const name of ['1', '2', '3']) graph.noteOutcome(key(0, name), false);
  graph.noteOutcome({ kind: 'shortcut', keys: 'F10', target: { name: 'F10' } }, true);
  assert.ok(graph.gain(node, key(1, 'Mode')) > graph.gain(node, key(0, '4')), 'the untried panel comes first');
});

/** A node at a path of (role, name) steps below a frame, with these states (siblings told apart by name, as child indices do). */
const at = (steps: [string, string][], states: string[] = [], x = 500): ActionableNode => {
  const path = [{ role: 'frame', name: 'calc', index: 0 }, ...steps.map(([role, name]) => ({ role, name, index: [...name].reduce((sum, character) => sum * 31 + character.charCodeAt(0), 0) }))];
  const [role, name] = steps[steps.length - 1];
  return { ref: { bus: ':1.1', path: `/${name}` } as ActionableNode['ref'], role, name, states: ['showing', 'enabled', ...states], extents: { x, y: 300, width: 20, height: 10 }, path };
};
const screen = { width: 1280, height: 800 };
const named = (actions: ExploreAction[]) => actions.map((action) => `${action.target?.name}${action.target?.opens ? ' (opens)' : ''}`);

test('explore X11 through the tree: a closed menu, an unselected tab, an expandable or popup node announce a view; while a menu is open only the menus take the pointer', () => {
  const bar: [string, string] = ['menu bar', ''];
  const closed = [at([bar, ['menu', 'File']]), at([bar, ['menu', 'View']]), at([['panel', ''], ['toggle button', '7']]), at([['page tab list', ''], ['page tab', 'One']], ['selected']), at([['page tab list', ''], ['page tab', 'Two']]), at([['combo box', 'Base']], ['has-popup']), at([['tree', ''], ['tree item', 'Folder']], ['expandable']), at([['tree', ''], ['tree item', 'Open']], ['expandable', 'expanded'])];
  assert.deepEqual(named(treeTargets(closed, { x: 0, y: 0 }, screen)), ['File (opens)', 'View (opens)', '7', 'One', 'Two (opens)', 'Base (opens)', 'Folder (opens)', 'Open']);
  assert.equal(treeOverlay(closed).menuOpen, false);
  // File open: its items show below it in the tree; the keypad and the tabs under the grab are not offered.
  const open = [at([bar, ['menu', 'File']]), at([bar, ['menu', 'File'], ['menu item', 'Quit']]), at([bar, ['menu', 'File'], ['menu', 'Recent']]), at([bar, ['menu', 'View']]), at([['panel', ''], ['toggle button', '7']]), at([['page tab list', ''], ['page tab', 'Two']])];
  assert.deepEqual(named(treeTargets(open, { x: 0, y: 0 }, screen)), ['File', 'Quit', 'Recent (opens)', 'View (opens)']);
  assert.equal(treeOverlay(open).menuOpen, true);
});

test('explore X11 through the tree: a state is its structure — a tick, a pressed key, a value or a row is not a new one; a selected tab or an expanded node is', () => {
  const base = [at([['panel', ''], ['toggle button', '7']]), at([['panel', ''], ['check box', 'Bold']]), at([['table', ''], ['table cell', 'alpha']]), at([['panel', ''], ['text', '12']]), at([['page tab list', ''], ['page tab', 'One']], ['selected'])];
  const touched = [at([['panel', ''], ['toggle button', '7']], ['pressed', 'checked']), at([['panel', ''], ['check box', 'Bold']], ['checked']), at([['table', ''], ['table cell', 'beta']]), at([['table', ''], ['table cell', 'gamma']]), at([['panel', ''], ['text', '345']]), at([['page tab list', ''], ['page tab', 'One']], ['selected', 'active'])];
  assert.deepEqual(treeSignature(touched), treeSignature(base));
  const otherTab = [...base.slice(0, 4), at([['page tab list', ''], ['page tab', 'One']])];
  assert.notDeepEqual(treeSignature(otherTab), treeSignature(base));
  assert.notDeepEqual(treeSignature([...base, at([['panel', ''], ['combo box', 'Base']], ['expanded'])]), treeSignature([...base, at([['panel', ''], ['combo box', 'Base']])]));
});

test('explore X11 through the tree: an unnamed node is named by its place in the tree, so a layout that moves keeps it one control', () => {
  const field = (x: number) => treeTargets([at([['scroll pane', ''], ['text', '']], [], x)], { x: 0, y: 0 }, screen)[0].target?.name;
  assert.equal(field(200), field(600));
  assert.match(field(200) ?? '', /^text [\d.]+$/);
});

test('explore X11 through the tree: which opener a list drops from, and how many pages show, are part of the state', () => {
  // Two combo boxes offering the same three items (gtk3-widget-factory): the open list is the one of the combo clicked.
  const items = (opener: string) => ['Left', 'Middle', 'Right'].map((item) => at([['panel', ''], ['combo box', opener], ['menu', ''], ['menu item', item]]));
  const combos = [at([['panel', ''], ['combo box', 'Left']]), at([['panel', ''], ['combo box', 'Middle']])];
  assert.notDeepEqual(treeSignature([...combos, ...items('Left')]), treeSignature([...combos, ...items('Middle')]));
  // Two notebooks with the same tab names: both on page 3 is not one of them on page 3.
  const notebook = (which: string, page: string) => ['page 1', 'page 3'].map((tab) => at([['page tab list', which], ['page tab', tab]], tab === page ? ['selected'] : []));
  const oneOnThree = [...notebook('a', 'page 3'), ...notebook('b', 'page 1')];
  const bothOnThree = [...notebook('a', 'page 3'), ...notebook('b', 'page 3')];
  assert.notDeepEqual(treeSignature(bothOnThree), treeSignature(oneOnThree));
  // Which of the two shows page 3 is not told apart (the view is the pages that show, as the benchmark reads it).
  assert.deepEqual(treeSignature([...notebook('a', 'page 1'), ...notebook('b', 'page 3')]), treeSignature(oneOnThree));
});

test('explore X11 through the tree: a greyed-out control is part of the state but no target; turning sensitive is not a new state', () => {
  const save = (states: string[]) => ({ ...at([['file chooser', 'Save As'], ['push button', 'Save']]), states: ['showing', ...states] });
  const cancel = at([['file chooser', 'Save As'], ['push button', 'Cancel']]);
  assert.deepEqual(treeSignature([cancel, save([])]), treeSignature([cancel, save(['enabled', 'sensitive'])]));
  assert.notDeepEqual(treeSignature([cancel, save([])]), treeSignature([cancel]));
  assert.deepEqual(named(treeTargets([cancel, save([])], { x: 0, y: 0 }, screen)), ['Cancel']);
});
