import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser } from '../../native/browser/browser.ts';
import { viewProbe } from '../../testkit/webapps/index.ts';

/**
 * The benchmark's ground truth (bench explore's view probe), in real Chromium: open panels count
 * per element, so a view with two sub-menus open that share a label is not the view with one.
 */
test('the view probe tells one open "Parent" sub-menu from two, and counts one element once', async () => {
  const session = await launchBrowser({ viewport: { width: 800, height: 600 } });
  try {
    const menu = (open: [boolean, boolean]) => `<ul class="uk-nav">${open.map((isOpen, index) => `<li><button aria-expanded="${isOpen}" aria-controls="sub${index}">Parent</button><ul id="sub${index}" ${isOpen ? '' : 'hidden'}><li>Child</li></ul></li>`).join('')}</ul>`;
    const probe = async (html: string) => JSON.parse((await session.page.evaluate(`(() => { document.body.innerHTML = ${JSON.stringify(html)}; return ${viewProbe}; })()`)) as string) as { panels: string[]; dialogs: string[]; menus: string[] };
    const one = await probe(menu([true, false]));
    const two = await probe(menu([true, true]));
    assert.deepEqual(one.panels, ['Parent']);
    assert.deepEqual(two.panels, ['Parent', 'Parent']);
    // A menu with a sub-menu open is not the menu with it closed, though its text is the same.
    const submenu = (open: boolean) => `<ul role="menu"><li><button>Type</button><ul ${open ? '' : 'style="display:none"'}><li>Auto</li></ul></li><li><button>Sort</button></li></ul>`;
    assert.notDeepEqual((await probe(submenu(true))).menus, (await probe(submenu(false))).menus);
    // An element matched by two of the probe's selectors is still one dialog.
    const dialog = await probe('<div role="dialog" class="modal show" aria-label="Settings">Settings</div>');
    assert.deepEqual(dialog.dialogs, ['Settings']);
  } finally {
    await session.dispose();
  }
});
