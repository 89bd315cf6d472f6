import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { X11Driver } from '../../engine/computer/explore/x11-driver.ts';
import { runProgram } from '../../native/process/run.ts';
import { startAccessibleDisplay, type AccessibleDisplay } from '../support/desktop.ts';

// A GTK 4 app (gnome-text-editor) explored through AT-SPI on a window that is not at the screen's
// corner. GTK 4 answers its extents in its window's own space: read as the screen's, every target
// of the explorer lay up and to the left of its control by the window's offset. The judge is the
// app's windows as the X server lists them (xdotool), apart from the product.

let desktop: AccessibleDisplay;

before(async () => {
  desktop = await startAccessibleDisplay();
});

after(async () => {
  await desktop?.dispose();
});

test('gnome-text-editor (GTK 4) on a moved window: the explorer clicks its ≡ menu button where it is, and the menu opens', { timeout: 180_000 }, async () => {
  const env = { ...desktop.bus.env, GSK_RENDERER: 'cairo', GTK_THEME: 'Adwaita' };
  const driver = new X11Driver({ command: 'gnome-text-editor --standalone', env, accessibility: desktop.client });
  const signal = new AbortController().signal;
  try {
    await driver.reset(signal);
    const pid = driver.appPid as number;
    // Away from the corner, where GTK 4's own space and the screen's differ.
    const found = await runProgram('xdotool', ['search', '--onlyvisible', '--pid', String(pid)], { env, timeoutMs: 5_000 });
    const windowId = found.stdout.trim().split('\n').at(-1) ?? '';
    assert.ok(windowId, `no window of pid ${pid}`);
    await runProgram('xdotool', ['windowmove', '--sync', windowId, '240', '160'], { env, timeoutMs: 5_000 });
    const observation = await driver.observe(signal);
    const menu = observation.candidates.find((action) => action.kind === 'click' && action.target?.role === 'push button' && action.target.name === 'Menu');
    assert.ok(menu, `no ≡ "Menu" button offered: ${observation.candidates.map((action) => `${action.target?.role} ${action.target?.name}`).join(', ')}`);
    const windows = async () => (await runProgram('xdotool', ['search', '--onlyvisible', '--pid', String(pid)], { env, timeoutMs: 5_000 })).stdout.trim().split('\n').filter(Boolean);
    const before = await windows();
    assert.deepEqual(await driver.perform(menu, signal), { ok: true });
    // The world: the app shows its primary menu, a popover in a window of its own (read by xdotool:
    // python3-pyatspi sees no controls of GTK 4 under Xvfb, its nodes say "showing" on windows only).
    let shown = before;
    for (let attempt = 0; attempt < 10 && shown.length <= before.length; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      shown = await windows();
    }
    assert.equal(shown.length, before.length + 1, `the click on the explored ≡ target opened no menu (windows ${before.join(',')} → ${shown.join(',')})`);
    // The explorer reads the open menu as another state.
    assert.notEqual((await driver.observe(signal)).signature, observation.signature);
  } finally {
    await driver.dispose();
  }
});
