import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDispatcher } from '../../host/create.ts';
import { temporaryHome } from '../support/home.ts';

test('explore refuses bad input with contract error codes that name the field', async () => {
  const home = temporaryHome();
  const previous = { home: process.env.SKILLFRAME_HOME, display: process.env.DISPLAY };
  process.env.SKILLFRAME_HOME = home.path;
  delete process.env.DISPLAY;
  try {
    const dispatcher = createDispatcher();
    const failure = async (name: string, input: unknown) => {
      const reply = await dispatcher.dispatch(name, input);
      assert.equal(reply.ok, false, `${name} ${JSON.stringify(input)} should fail`);
      return (reply as { ok: false; error: { code: string; message: string } }).error;
    };
    const neither = await failure('explore', { budget: 3 });
    assert.equal(neither.code, 'bad_input');
    assert.match(neither.message, /--url or --app/);
    const both = await failure('explore', { budget: 3, url: 'http://127.0.0.1:1/', app: 'galculator' });
    assert.equal(both.code, 'bad_input');
    const badAllow = await failure('explore', { url: 'http://127.0.0.1:1/', budget: 3, allow: '(' });
    assert.equal(badAllow.code, 'bad_input');
    assert.match(badAllow.message, /input\.allow/);
    const noDisplay = await failure('explore', { app: 'galculator', budget: 3 });
    assert.equal(noDisplay.code, 'unavailable');
    assert.match(noDisplay.message, /display/);
    const missing = await failure('explore.graph', { out: `${home.path}/nothing-here` });
    assert.equal(missing.code, 'not_found');
    const zeroBudget = await failure('explore', { url: 'http://127.0.0.1:1/', budget: 0 });
    assert.equal(zeroBudget.code, 'bad_input');
    assert.match(zeroBudget.message, /input\.budget/);
  } finally {
    if (previous.home === undefined) delete process.env.SKILLFRAME_HOME;
    else process.env.SKILLFRAME_HOME = previous.home;
    if (previous.display !== undefined) process.env.DISPLAY = previous.display;
    home.dispose();
  }
});
