import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExploreAction, GraphEdge, GraphNode } from '../../core/commands/explore.ts';
import type { ExploreDriver } from '../../engine/computer/explore/explorer.ts';
import { walkFresh } from '../../engine/computer/explore/export.ts';
import { effectOf } from '../../engine/computer/explore/graph.ts';

/**
 * A changed address is an exported step's expectation only where the action reliably did it: a new
 * path, a hash route (the SPA's page), or the hash the clicked link points to. A hash a scroll-spy
 * wrote while the page scrolled is not (a documentation page's side menu ended a click on the hash
 * of a section the scroll passed; replay then refused the step: "URL is …#a, expected …#b").
 */

const page = 'http://127.0.0.1:9/docs/index.html';
const button = (name: string): ExploreAction => ({ kind: 'click', target: { role: 'button', name, selector: `#nav-${name}` } });
const link = (href: string): ExploreAction => ({ kind: 'click', target: { role: 'link', name: 'Pets', href } });
const route = (before: string, after: string, action: ExploreAction) => effectOf({ url: before }, { url: after, cues: [] }, action)?.routeChanged;

test('a hash a scroll-spy wrote is no expectation; the hash the clicked link names is', () => {
  assert.equal(route(page, `${page}#get-pets`, button('get pets')), undefined, 'a side-menu button names no hash');
  assert.equal(route(`${page}#intro`, `${page}#get-pets`, { kind: 'scroll', target: { role: 'main', selector: 'main' }, deltaY: 2000 }), undefined, 'a scroll passes sections');
  assert.equal(route(page, `${page}#get-pets`, link(`${page}#get-pets`)), '/docs/index.html#get-pets');
  // The link said one section, the page ended on another (the spy rewrote it): no expectation.
  assert.equal(route(page, `${page}#post-pets`, link(`${page}#get-pets`)), undefined);
  // Text that appeared is still the step's expectation.
  assert.deepEqual(effectOf({ url: page, cues: [] }, { url: `${page}#get-pets`, cues: ['Copied'] }, button('Copy')), { textAppeared: ['Copied'] });
});

test('a hash route is the page: kept exact; a new path or query always', () => {
  assert.equal(route(page, `${page}#/store/placeOrder`, button('post /store/order')), '/docs/index.html#/store/placeOrder');
  assert.equal(route(page, `${page}#!/settings`, button('Settings')), '/docs/index.html#!/settings');
  assert.equal(route(page, 'http://127.0.0.1:9/docs/orders.html', button('Orders')), '/docs/orders.html');
  assert.equal(route(`${page}#intro`, 'http://127.0.0.1:9/docs/orders.html#intro', button('Orders')), '/docs/orders.html#intro');
  assert.equal(route(page, page, button('Orders')), undefined);
});

test('an exported path keeps of each step only what it did again on a fresh instance', async () => {
  // Exploring, "get /pet/{id}" unfolded with its "Try it out" still on from an earlier visit
  // (Cancel, Execute); on a fresh instance it shows "Try it out". Replay would wait for Cancel in vain.
  const looks = [
    { signature: 'start', cues: ['pet'], url: `${page}` },
    { signature: 'open', cues: ['pet', 'Try it out', 'Schema'], url: `${page}#/pet/getPetById` },
  ];
  let at = 0;
  const driver: ExploreDriver = {
    kind: 'fake',
    label: 'fake',
    reset: async () => {
      at = 0;
    },
    observe: async () => ({ ...looks[at], phash: '0', title: 'Pets', candidates: [], blocked: [] }),
    perform: async () => {
      at = 1;
      return { ok: true };
    },
    dispose: async () => undefined,
  };
  const edge: GraphEdge = { id: 'e1', from: 'n0', to: 'n1', action: button('get /pet/{id}'), result: 'new', attempts: 1, confirmations: 0, inconsistent: false, effect: { routeChanged: '/docs/index.html#/pet/getPetById', textAppeared: ['Cancel', 'Execute', 'Schema'] } };
  const node: GraphNode = { id: 'n1', signature: 'open', phash: '0', title: 'Pets', depth: 1, discoveredAt: 1, candidates: 0, tried: 0 };
  const walk = await walkFresh(driver, [edge], node, new AbortController().signal, true);
  assert.equal(walk.reached, true);
  assert.deepEqual(walk.path[0].effect, { routeChanged: '/docs/index.html#/pet/getPetById', textAppeared: ['Schema'] });
  // A route the fresh walk did not reach is no expectation either; with nothing left, no effect at all.
  const elsewhere = await walkFresh(driver, [{ ...edge, effect: { routeChanged: '/docs/index.html#/store', textAppeared: ['Cancel'] } }], node, new AbortController().signal, true);
  assert.equal(elsewhere.path[0].effect, undefined);
  // Without looking at each step (X11, where a look costs seconds) the path is kept as explored.
  assert.deepEqual((await walkFresh(driver, [edge], node, new AbortController().signal, false)).path, [edge]);
});
