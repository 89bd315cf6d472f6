import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { commands, errorCodes, exitCodes } from '../../core/index.ts';
import { uiConfirm } from '../../host/confirm.ts';
import { createDispatcher } from '../../host/create.ts';

/**
 * State the kill switch and confirmations act on belongs to one dispatcher, not the process
 * (two hosts in one process — a server and a test harness, or two Electron windows' engines —
 * must not stop or answer each other), and exit statuses come from one table.
 */

const home = mkdtempSync(join(tmpdir(), 'sf-host-state-'));
process.env.SKILLFRAME_HOME = home;
after(() => rmSync(home, { recursive: true, force: true }));

test('`stop` aborts the work of its own dispatcher only (observed: the last dispatcher created received every stop)', async () => {
  const first = createDispatcher();
  const second = createDispatcher();
  const sleeping = first.dispatch('debug.sleep', { ms: 20_000, steps: 4 });
  const other = second.dispatch('debug.sleep', { ms: 400, steps: 2 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stopped = await first.dispatch('stop', {});
  assert.ok(stopped.ok);
  const reply = await sleeping;
  assert.equal(!reply.ok && reply.error.code, 'aborted');
  assert.equal((await other).ok, true, 'the other dispatcher kept working');
});

test('a confirmation is answered only through the dispatcher that asked', async () => {
  const asking = createDispatcher();
  const foreign = createDispatcher();
  const requests: string[] = [];
  const confirm = uiConfirm(asking, (envelope) => requests.push((envelope.payload as { confirmId: string }).confirmId), 5_000);
  const answer = confirm('Delete it?', undefined, new AbortController().signal);
  const [confirmId] = requests;
  const elsewhere = await foreign.dispatch('confirm.answer', { confirmId, approve: true });
  assert.deepEqual(elsewhere, { ok: true, value: { answered: false } });
  const here = await asking.dispatch('confirm.answer', { confirmId, approve: true });
  assert.deepEqual(here, { ok: true, value: { answered: true } });
  assert.equal(await answer, true);
});

test('one exit-status table: a failed replay report exits as the CLI does for the same error code', () => {
  const exitFor = commands.replay.cli?.exitCode as (report: unknown) => number;
  for (const code of errorCodes) {
    assert.equal(exitFor({ ok: false, skill: 's', steps: [], totalMs: 0, error: { code, message: 'x' } }), exitCodes[code], code);
  }
  assert.equal(exitFor({ ok: false, skill: 's', steps: [], totalMs: 0, error: { code: 'something_else', message: 'x' } }), 1);
  assert.equal(exitFor({ ok: true, skill: 's', steps: [], totalMs: 0 }), 0);
});
