import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ExploreAction, ExploreGraph, GraphEdge, GraphNode } from '../../core/commands/explore.ts';
import { exportSkill } from '../../engine/computer/explore/export.ts';
import { heldBackReason, isBlocked } from '../../engine/computer/explore/safety.ts';
import { stepDestructiveReason } from '../../skills-mm/audit.ts';

/**
 * One definition of destructive: the explorer holds back what the skill audit calls destructive,
 * judged from the same strings, so a step exploration takes freely is never refused at replay
 * (swagger-ui: "post /store/order" was clicked freely, its selector names placeOrder, and the
 * replay then refused the exported step as destructive).
 */

const work = mkdtempSync(join(tmpdir(), 'sf-explore-destructive-'));
after(() => rmSync(work, { recursive: true, force: true }));

const click = (name: string, selector?: string): ExploreAction => ({ kind: 'click', target: { role: 'button', name, ...(selector ? { selector } : {}) } });

test('a control is held back when the audit would call its step destructive, by its name or by its locator', () => {
  const placeOrder = click('post /store/order', '#operations-store-placeOrder > div:nth-of-type(1) > button:nth-of-type(2)');
  assert.ok(isBlocked(placeOrder, undefined), 'the selector names placeOrder');
  assert.match(heldBackReason(placeOrder) ?? '', /place order/);
  for (const name of ['Discard changes', 'Reset', 'Revoke token', 'Transfer funds', 'Order now', 'Delete account', 'Buy now']) assert.ok(isBlocked(click(name), undefined), name);
  // The audit's own view: "Format" alone formats nothing (an editor's Format button).
  for (const name of ['Format', 'Open Inbox', 'Try it out', 'Execute', 'dropdown-menu']) assert.ok(!isBlocked(click(name), undefined), name);
  // What the step would say and carry, judged by the audit: the same verdict.
  for (const action of [placeOrder, click('Discard changes'), click('Format'), click('Settings', '#btn-remove_user')]) {
    const target = { point: { x: 1, y: 1 }, anchors: [], locator: { role: 'button', name: action.target?.name, text: action.target?.name, ...(action.target?.selector ? { css: action.target.selector } : {}) } };
    assert.equal(Boolean(stepDestructiveReason({ description: `Click the "${action.target?.name}" button.`, target })), isBlocked(action, undefined), JSON.stringify(action));
  }
});

test('what ends the session is held back too, and chords that close the app', () => {
  for (const name of ['Log out', 'Sign out', 'Quit', 'Exit', 'Shut down']) assert.match(heldBackReason(click(name)) ?? '', /ends the session/, name);
  assert.ok(isBlocked({ kind: 'shortcut', keys: 'Control+W' }, undefined));
  assert.ok(isBlocked({ kind: 'shortcut', keys: 'Delete' }, undefined));
  assert.ok(!isBlocked({ kind: 'shortcut', keys: 'Escape' }, undefined));
  // A choice is judged by the option and the list: the list is named in the exported step too.
  assert.ok(isBlocked({ kind: 'select', text: 'Delete all', target: { role: 'combobox', name: 'Bulk action' } }, undefined));
  assert.ok(!isBlocked({ kind: 'select', text: 'Markdown', target: { role: 'combobox', name: 'Format' } }, undefined));
});

test('--allow lets a held-back control through by any string that named it', () => {
  const placeOrder = click('post /store/order', '#operations-store-placeOrder > button');
  assert.ok(!isBlocked(placeOrder, /placeOrder/i));
  assert.ok(!isBlocked(placeOrder, /store\/order/i));
  assert.ok(isBlocked(placeOrder, /delete/i));
});

test('a step that --allow let through is exported marked destructive, and an ordinary one is not', async () => {
  const node = (id: string, url: string): GraphNode => ({ id, signature: id, phash: '0', title: 'Pet store', url, depth: id === 'n0' ? 0 : 1, discoveredAt: 0, candidates: 1, tried: 1 });
  const edge = (id: string, from: string, to: string, action: ExploreAction): GraphEdge => ({ id, from, to, action, result: 'new', attempts: 1, confirmations: 0, inconsistent: false, effect: { textAppeared: ['Try it out'] } });
  const url = 'http://127.0.0.1:9/index.html';
  const placed = (action: ExploreAction, y: number): ExploreAction => ({ ...action, target: { ...action.target, x: 600, y, width: 120, height: 24 } });
  const path = [edge('e1', 'n0', 'n1', placed(click('pet', '#operations-tag-pet'), 200)), edge('e2', 'n1', 'n2', placed(click('post /store/order', '#operations-store-placeOrder > div:nth-of-type(1) > button'), 300))];
  const graph: ExploreGraph = {
    version: 1,
    app: { kind: 'web', url },
    strategy: 'dfs',
    seed: 1,
    budget: 10,
    actionsUsed: 2,
    resets: 0,
    stoppedBy: 'budget',
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    root: 'n0',
    nodes: [node('n0', url), node('n1', url), node('n2', url)],
    edges: path,
    boundaries: [],
  };
  const exported = await exportSkill(graph, work, graph.nodes[2], path, { name: 'open-place-order' });
  assert.equal(exported.format, 'mmskill', exported.detail);
  assert.equal(exported.audited, true, exported.detail);
  const plan = JSON.parse(readFileSync(join(exported.path, 'plan.json'), 'utf8')) as { steps: { destructive: boolean; destructive_reason?: string }[] };
  assert.deepEqual(plan.steps.map((step) => step.destructive), [false, true], JSON.stringify(plan.steps));
  assert.match(plan.steps[1].destructive_reason ?? '', /place order/);
});
