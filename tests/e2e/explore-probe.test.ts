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
    assert.deepEqual(one.panels, ['Parent#0']);
    assert.deepEqual(two.panels, ['Parent#0', 'Parent#1']);
    // Which of two same-labelled sub-menus is open is the view (uikit's nav has two 'Parent's).
    assert.deepEqual((await probe(menu([false, true]))).panels, ['Parent#1']);
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

test('the view probe reads page modes: pressed toggles, a sidebar state and a colour mode on the root, the stylesheets; a body-less page is readable', async () => {
  const session = await launchBrowser({ viewport: { width: 800, height: 600 } });
  type View = { pressed: string[]; modes: string[] };
  try {
    const probe = async (setup: string) => JSON.parse((await session.page.evaluate(`(() => { ${setup}; return ${viewProbe}; })()`)) as string) as View;
    const toggles = (day: boolean) => `document.body.innerHTML = '<div role="group"><button aria-pressed="${day}">Day</button><button aria-pressed="${!day}">Week</button></div>'`;
    assert.deepEqual((await probe(toggles(true))).pressed, ['Day']);
    assert.deepEqual((await probe(toggles(false))).pressed, ['Week']);
    // swagger-ui's try-it-out mode of an operation, said by markup alone (swagger-ui-dist 5.35's own classes).
    const operation = (tryingOut: boolean) => `document.body.innerHTML = '<div class="opblock is-open"><div class="try-out">${tryingOut ? '<button class="btn try-out__btn cancel">Cancel</button>' : '<button class="btn try-out__btn">Try it out </button>'}</div>${tryingOut ? '<button class="btn execute">Execute</button>' : ''}</div>'`;
    assert.deepEqual((await probe(operation(false))).pressed, []);
    assert.deepEqual((await probe(operation(true))).pressed, ['Cancel']);
    // gentelella's collapsed sidebar (sidebar-rail), UIkit's inverse colours (uk-light on the body).
    const plain = await probe("document.body.className = ''");
    assert.ok((await probe("document.body.className = 'sidebar-rail'")).modes.includes('sidebar-rail'));
    assert.ok((await probe("document.body.className = 'uk-light'")).modes.includes('uk-light'));
    // A second sidebar slid open (AdminLTE's control sidebar: a panel of settings beside the page).
    assert.ok((await probe("document.body.className = 'control-sidebar-slide-open'")).modes.includes('control-sidebar-slide-open'));
    assert.deepEqual(plain.modes.filter((mode) => !mode.startsWith('css:')), []);
    // A theme switched by swapping the stylesheet (UIkit's theme switcher).
    const sheet = async (css: string) => {
      await session.page.setContent(`<html><head><link rel="stylesheet" href="data:text/css;name=${css},body{}"></head><body></body></html>`);
      return probe('');
    };
    assert.notDeepEqual((await sheet('core')).modes, (await sheet('theme')).modes);
    // A document still parsing has no body: the probe reads it instead of failing.
    const bodyless = await probe('document.documentElement.removeChild(document.body)');
    assert.deepEqual(bodyless.modes.filter((mode) => !mode.startsWith('css:')), []);
  } finally {
    await session.dispose();
  }
});

test('the view probe reads the chosen entry of a list of links marked current by a class or aria-current (a mail folder), as it reads tabs', async () => {
  const session = await launchBrowser({ viewport: { width: 800, height: 600 } });
  try {
    const probe = async (html: string) => (JSON.parse((await session.page.evaluate(`(() => { document.body.innerHTML = ${JSON.stringify(html)}; return ${viewProbe}; })()`)) as string) as { current: string[] }).current;
    const folders = (chosen: string) => `<ul class="folders">${['Inbox', 'Sent', 'Work'].map((name) => `<li${name === chosen ? ' class="active"' : ''}><a href="#">${name}</a></li>`).join('')}</ul>`;
    assert.deepEqual(await probe(folders('Inbox')), ['Inbox']);
    assert.deepEqual(await probe(folders('Sent')), ['Sent']);
    // On the link itself (Bootstrap 4's nav-link.active, UIkit's uk-active), or said by ARIA.
    assert.deepEqual(await probe('<nav><a href="#" class="nav-link active">Week</a><a href="#" class="nav-link">Month</a></nav>'), ['Week']);
    assert.deepEqual(await probe('<nav><a href="#a" aria-current="page">Orders</a><a href="#b" aria-current="false">Reports</a></nav>'), ['Orders']);
    // Class names that only contain the word, and hidden entries, are not a choice.
    assert.deepEqual(await probe('<a href="#" class="inactive">A</a><a href="#" class="active" style="display:none">B</a><a href="#" class="activeish">C</a>'), []);
  } finally {
    await session.dispose();
  }
});
