import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExploreAction, ExploreGraph, GraphEdge, GraphNode } from '../../core/commands/explore.ts';
import { chooseSkillNodes, distinctSteps, verifiedPath } from '../../engine/computer/explore/export.ts';

const pathTo = (graph: ExploreGraph, id: string): GraphEdge[] => verifiedPath(graph, id) ?? [];

/**
 * Which explored states become skills: the ones whose way there teaches the most distinct steps,
 * not the longest walk. On jsoneditor (tune) DFS grew the document by inserting a field again and
 * again; the deepest states were 55-step chains of three steps repeated, exported first and missed
 * at replay.
 */

const click = (name: string): ExploreAction => ({ kind: 'click', target: { role: 'button', name, selector: `#${name.replace(/\W+/g, '-')}` } });
const node = (id: string, discoveredAt: number): GraphNode => ({ id, signature: id, phash: '0', title: 'Editor', url: 'http://127.0.0.1:9/', depth: 0, discoveredAt, candidates: 1, tried: 1 });

function graphOf(chains: Record<string, ExploreAction[]>): ExploreGraph {
  const nodes = [node('root', 0)];
  const edges: GraphEdge[] = [];
  for (const [name, actions] of Object.entries(chains)) {
    let from = 'root';
    actions.forEach((action, index) => {
      const to = `${name}-${index + 1}`;
      nodes.push(node(to, nodes.length));
      edges.push({ id: `e-${to}`, from, to, action, result: 'new', attempts: 1, confirmations: 0, inconsistent: false });
      from = to;
    });
  }
  const now = new Date().toISOString();
  return { version: 1, app: { kind: 'web', url: 'http://127.0.0.1:9/' }, strategy: 'dfs', seed: 1, budget: 60, actionsUsed: edges.length, resets: 0, stoppedBy: 'budget', startedAt: now, updatedAt: now, root: 'root', nodes, edges, boundaries: [] };
}

test('a path that repeats its steps counts them once in each context: five steps go before three done four times', () => {
  const insert = [click('Open the actions menu'), click('Insert'), click('Array')];
  const graph = graphOf({ grown: [...insert, ...insert, ...insert, ...insert], settings: [click('Settings'), click('Appearance'), click('Theme'), click('Dark'), click('Apply')] });
  const chosen = chooseSkillNodes(graph, 2);
  assert.deepEqual(
    chosen.map((entry) => [entry.node.id, entry.path.length]),
    [
      ['settings-5', 5],
      // The repeated chain still yields a skill: its shortest state that teaches all it does.
      ['grown-4', 4],
    ],
  );
});

test('a look-alike clicked again after another step is a step of its own; a step repeated in a row counts once more, however often', () => {
  const dropdown = click('Dropdown');
  const graph = graphOf({ menu: [dropdown, click('Show more examples'), { ...dropdown, target: { ...dropdown.target, selector: '#button' } }], again: [click('Next'), click('Next'), click('Next')] });
  assert.deepEqual(
    graph.nodes.filter((entry) => entry.id !== 'root').map((entry) => distinctSteps(graph.edges.filter((edge) => edge.to === entry.id).length ? pathTo(graph, entry.id) : [])),
    [1, 2, 3, 1, 2, 2],
  );
});

test('among paths that teach as many steps, the shorter goes first (each step is one more chance to miss)', () => {
  const graph = graphOf({ long: [click('Menu'), click('Menu'), click('Menu'), click('Tools')], short: [click('View'), click('Zoom'), click('Reset zoom')] });
  assert.deepEqual(
    chooseSkillNodes(graph, 1).map((entry) => entry.node.id),
    ['short-3'],
  );
});
