import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { ExploreAction } from '../../core/commands/explore.ts';
import { WebDriver } from '../../engine/computer/explore/web-driver.ts';
import { serveFolder } from '../../testkit/static-server.ts';

/**
 * The settle after an action plays a finite animation that would end within its wait to the end
 * at once, instead of waiting out its frames (swagger-ui's 0.3 s transitions cost most of an
 * action's settle), and still waits for what the end handlers change; an animation that would
 * outlast the wait (a toast that fades after seconds) is not played away.
 */
const fixtures = fileURLToPath(new URL('../../testkit/fixtures/explore/', import.meta.url));
let server: { origin: string; dispose(): Promise<void> };

before(async () => {
  server = await serveFolder(fixtures);
});

after(async () => {
  await server.dispose();
});

test('a 1.2 s fade is played to its end at once, its end handler is waited for, and a toast due to fade in 6 s stays', async () => {
  const driver = new WebDriver({ url: `${server.origin}/motion/ending.html`, loopbackOnly: true });
  const signal = new AbortController().signal;
  const click = (actions: ExploreAction[], name: string) => {
    const action = actions.find((candidate) => candidate.kind === 'click' && candidate.target?.name === name);
    assert.ok(action, `no click on ${name}: ${actions.map((candidate) => `${candidate.kind} ${candidate.target?.name}`).join(', ')}`);
    return action;
  };
  try {
    await driver.reset(signal);
    const start = await driver.observe(signal);
    assert.deepEqual(await driver.perform(click(start.candidates, 'Show details'), signal), { ok: true });
    const shown = await driver.observe(signal);
    // The view is the one the transition's end handler made.
    assert.ok((shown.cues ?? []).includes('Details shown'), `the end handler's heading is not in the view: ${(shown.cues ?? []).join(', ')}`);
    // The page's own clock: the fade ended well before its 1.2 s (before: the settle waited it out).
    const ended = (await driver.livePage?.evaluate('window.ended')) as number;
    assert.ok(ended < 1_100, `the fade ended ${Math.round(ended)} ms after the click`);
    assert.deepEqual(await driver.perform(click(shown.candidates, 'Save'), signal), { ok: true });
    const saved = await driver.observe(signal);
    assert.ok((saved.cues ?? []).includes('Saved'), `the toast was played away: ${(saved.cues ?? []).join(', ')}`);
    assert.notEqual(saved.signature, shown.signature);
  } finally {
    await driver.dispose();
  }
});
