import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExploreAction } from '../../core/commands/explore.ts';
import { StateGraph } from '../../engine/computer/explore/graph.ts';

const phash = '0000000000000000';
const rowButton = (index: number): ExploreAction => ({ kind: 'click', target: { role: 'button', name: 'Open the actions menu', selector: `#row-${index} > button` } });

test('the way back from a menu is the button that opened it, not its look-alikes in the other rows', () => {
  const graph = new StateGraph();
  const rows = [1, 2, 3, 4].map(rowButton);
  const tree = graph.addNode({ signature: 'tree', phash, title: 'tree', candidates: rows, blocked: [] }, { depth: 0, discoveredAt: 0 });
  const item = { kind: 'click' as const, target: { role: 'menuitem', name: 'Duplicate', selector: '#menu > button' } };
  const menu = graph.addNode({ signature: 'menu of row 2', phash, title: 'menu', candidates: [...rows, item], blocked: [] }, { depth: 1, discoveredAt: 1 });
  menu.parentEdge = graph.recordEdge(tree.id, rows[1], 'new', menu.id).id;
  const ways = graph.guessedInverses().filter((edge) => edge.from === menu.id);
  assert.deepEqual(
    ways.map((edge) => edge.action.target?.selector),
    ['#row-2 > button'],
    'each look-alike guessed as a way back is a trip that goes nowhere when it is wrong',
  );
  // For the gain, the look-alikes are still predicted to lead nowhere new from an open menu.
  assert.equal(graph.relation(menu, rows[0]), 'undo');
  assert.equal(graph.untried(menu)[0].target?.name, 'Duplicate');
});

test('where the opener moved (its place taken, a row inserted above), its look-alikes by name are still guessed', () => {
  const graph = new StateGraph();
  const tree = graph.addNode({ signature: 'tree', phash, title: 'tree', candidates: [rowButton(1), rowButton(2)], blocked: [] }, { depth: 0, discoveredAt: 0 });
  const shifted = graph.addNode({ signature: 'shifted', phash, title: 'shifted', candidates: [rowButton(2), rowButton(3)], blocked: [] }, { depth: 1, discoveredAt: 1 });
  shifted.parentEdge = graph.recordEdge(tree.id, rowButton(1), 'new', shifted.id).id;
  assert.equal(graph.guessedInverses().filter((edge) => edge.from === shifted.id).length, 2);
});

test('a way back that left one row\'s menu as it was is not guessed for the other rows\' menus; one that did more still is', () => {
  const graph = new StateGraph();
  const rows = [1, 2, 3].map(rowButton);
  const escape: ExploreAction = { kind: 'shortcut', keys: 'Escape' };
  const tree = graph.addNode({ signature: 'tree', phash, title: 'tree', candidates: rows, blocked: [] }, { depth: 0, discoveredAt: 0 });
  const menuOf = (index: number) => {
    const menu = graph.addNode({ signature: `menu of row ${index + 1}`, phash, title: 'menu', candidates: [...rows, escape], blocked: [] }, { depth: 1, discoveredAt: index + 1 });
    menu.parentEdge = graph.recordEdge(tree.id, rows[index], 'new', menu.id).id;
    return menu;
  };
  const guessed = (node: { id: string }) => graph.guessedInverses().filter((edge) => edge.from === node.id).map((edge) => edge.action.target?.selector ?? edge.action.keys);
  const [first, second] = [menuOf(0), menuOf(1)];
  assert.deepEqual(guessed(second), ['#row-2 > button', 'Escape']);
  // In the first row's menu its opener only opened the menu again, and Escape did nothing.
  for (const guess of [rows[0], escape]) {
    graph.markTried(first, guess);
    graph.noteWayBack(first, guess, true);
  }
  assert.deepEqual(guessed(second), [], 'each guess is a trip that changes nothing here');
  // A guess that once did more, elsewhere (it led back, or somewhere else), is still guessed for a look-alike state.
  const third = menuOf(2);
  graph.noteWayBack(second, escape, false);
  assert.deepEqual(guessed(third), ['Escape']);
});

test('a control that opened one same dialog from two states is predicted to open it from a third; a toggle is not', () => {
  const graph = new StateGraph();
  const filter = { kind: 'click' as const, target: { role: 'button', name: 'Filter, sort, or transform contents', selector: '#filter' } };
  const theme = { kind: 'click' as const, target: { role: 'button', name: 'Theme', selector: '#theme' } };
  const expand = { kind: 'click' as const, target: { role: 'button', name: 'Expand all', selector: '#expand' } };
  const url = 'http://127.0.0.1:1/editor.html';
  const node = (name: string) =>
    graph.addNode({ signature: name, phash, title: name, url, candidates: [filter, theme, expand], blocked: [], ...(name === 'dialog' ? { dialogs: ['Transform'] } : {}) }, { depth: 0, discoveredAt: graph.nodes.size });
  const [home, expanded, menu, dialog, dark, darkExpanded] = ['home', 'expanded', 'menu', 'dialog', 'dark', 'dark expanded'].map(node);
  // The dialog covers whatever lay below it: the same state from two states.
  for (const from of [home, expanded]) {
    graph.recordEdge(from.id, filter, from === home ? 'new' : 'known', dialog.id);
    graph.noteDestination(filter, from.id, dialog.id);
  }
  // The theme toggle makes a new combination from each state.
  graph.recordEdge(home.id, theme, 'new', dark.id);
  graph.noteDestination(theme, home.id, dark.id);
  graph.recordEdge(expanded.id, theme, 'new', darkExpanded.id);
  graph.noteDestination(theme, expanded.id, darkExpanded.id);
  assert.equal(graph.relation(menu, filter), 'known-destination');
  assert.equal(graph.relation(menu, theme), undefined);
  assert.equal(graph.untried(menu).at(-1)?.target?.name, 'Filter, sort, or transform contents', 'tried last: it leads where the run has been');
  // In place, without a dialog covering the page, one state from two is no prediction (a tab that
  // reset its panel from two states may keep it from a third).
  for (const from of [home, expanded]) graph.noteDestination(expand, from.id, dark.id);
  assert.equal(graph.relation(menu, expand), undefined);
});

test('a region of the page not tried yet is worth what its controls say, not less, while the run goes well', () => {
  const graph = new StateGraph();
  const button = (index: number): ExploreAction => ({ kind: 'click', target: { role: 'button', name: `Page ${index}`, selector: `#toolbar > div > button:nth-of-type(${index})` } });
  const item = { kind: 'click' as const, target: { role: 'menuitem', name: 'Duplicate', selector: '#menu > div > button:nth-of-type(1)' } };
  const home = graph.addNode({ signature: 'home', phash, title: 'home', candidates: [1, 2, 3, 4].map(button), blocked: [] }, { depth: 0, discoveredAt: 0 });
  // Every action so far showed a new state, all of them in the toolbar.
  for (const index of [1, 2, 3, 4]) graph.noteOutcome(button(index), true, undefined, `elsewhere-${index}`);
  const menu = graph.addNode({ signature: 'menu', phash, title: 'menu', candidates: [item], blocked: [] }, { depth: 0, discoveredAt: 1 });
  assert.ok(home.id !== menu.id);
  // A menu item nobody tried: its role's prior, Beta(1, 1), untouched by the region it sits in.
  assert.equal(graph.gain(menu, item), 0.5);
});

test('what a change showed is tried before what was already there, once the run has seen which of the two yields', () => {
  const graph = new StateGraph();
  const control = (name: string, index: number): ExploreAction => ({ kind: 'click', target: { role: 'button', name, selector: `#app > div > button:nth-of-type(${index})` } });
  const page = ['Expand', 'Collapse', 'Search', 'Next'].map((name, index) => control(name, index + 1));
  const opener = control('Open the actions menu', 9);
  const tree = graph.addNode({ signature: 'tree', phash, title: 'tree', candidates: [...page, opener], blocked: [] }, { depth: 0, discoveredAt: 0 });
  const menu = (name: string, items: ExploreAction[]) => {
    const node = graph.addNode({ signature: name, phash, title: name, candidates: [...page, opener, ...items], blocked: [] }, { depth: 1, discoveredAt: graph.nodes.size });
    node.parentEdge = graph.recordEdge(tree.id, opener, 'new', node.id).id;
    return node;
  };
  const first = menu('first menu', [control('Type', 10), control('Insert', 11)]);
  // Under the first menu, a control of the page below closed it onto a known state; an item of the menu showed a new one.
  graph.noteOutcome(page[0], false, undefined, first.id);
  graph.noteOutcome(control('Type', 10), true, undefined, first.id);
  const second = menu('second menu', [control('Sort', 12)]);
  // 'Search' (kept from the page) comes before 'Sort' (shown by the menu) in discovery order; same role, same region.
  assert.equal(graph.untried(second).find((action) => ['Search', 'Sort'].includes(action.target?.name ?? ''))?.target?.name, 'Sort');
});

test('the choices DFS reports account for every action of its budget: acts by outcome, trips and resets by what they cost', async () => {
  const { Explorer } = await import('../../engine/computer/explore/explorer.ts');
  const { ModelDriver } = await import('../../testkit/model-app.ts');
  const name = 'office';
  const model = (await import(`../../testkit/fixtures/explore/${name}/model.js`)) as import('../../testkit/model-app.ts').AppModel;
  const choices: import('../../engine/computer/explore/explorer.ts').Choice[] = [];
  const explorer = new Explorer(new ModelDriver(model), { strategy: 'dfs', budget: 120, seed: 2, onChoice: (choice) => choices.push(choice) });
  await explorer.run();
  const acts = choices.filter((choice) => choice.kind === 'act');
  for (const outcome of ['new', 'known', 'no_change', 'error'] as const) assert.equal(acts.filter((choice) => choice.outcome === outcome).length, explorer.spent[outcome], outcome);
  const travel = choices.filter((choice) => choice.kind !== 'act').reduce((sum, choice) => sum + choice.cost, 0);
  // A trip the budget cut short reports nothing: what is left unreported is at most that one trip.
  assert.ok(travel <= explorer.spent.trip + explorer.resets && travel >= explorer.spent.trip + explorer.resets - 3, `trips and resets ${travel} against ${explorer.spent.trip} + ${explorer.resets}`);
  assert.ok(choices.every((choice, index) => index === 0 || choice.used >= choices[index - 1].used + choices[index - 1].cost), 'in budget order');
  assert.ok(choices.some((choice) => choice.kind === 'trip' && choice.actions.length > 0 && choice.target !== undefined));
});
