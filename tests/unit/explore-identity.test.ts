import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { hammingDistance, hashImage, samePictureTolerance } from '../../engine/computer/explore/identity.ts';
import { isBlocked } from '../../engine/computer/explore/safety.ts';
import { fitsField, fromPattern, generateValue } from '../../engine/computer/explore/values.ts';
import { candidatesFromScan, signatureOf } from '../../engine/computer/explore/web-driver.ts';
import type { PageScan } from '../../engine/computer/explore/web-scan.ts';

async function screen(clock: string, panel: boolean): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400">
    <rect width="640" height="400" fill="#f6f7f9"/>
    <text x="20" y="40" font-size="24" font-family="sans-serif">Mail</text>
    <text x="560" y="30" font-size="12" font-family="sans-serif">${clock}</text>
    <rect x="20" y="70" width="120" height="34" fill="#fff" stroke="#99a"/>
    ${panel ? '<rect x="20" y="130" width="600" height="250" fill="#2b5cd6"/><rect x="60" y="170" width="200" height="90" fill="#fff"/>' : ''}
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

test('the perceptual hash ignores a ticking clock but not a panel opening', async () => {
  const [a, b, c] = await Promise.all([hashImage(await screen('12:00:01', false)), hashImage(await screen('12:00:59', false)), hashImage(await screen('12:00:01', true))]);
  assert.ok(hammingDistance(a, b) <= samePictureTolerance, `clock moved the hash by ${hammingDistance(a, b)}`);
  assert.ok(hammingDistance(a, c) > samePictureTolerance, `panel moved the hash by only ${hammingDistance(a, c)}`);
});

test('generated values fit the field they are typed into', () => {
  const fields = [
    { type: 'email', required: true },
    { type: 'number', min: '1', max: '5', required: true },
    { type: 'text', pattern: '\\d{5}', required: true },
    { type: 'text', pattern: '[A-Z]{3}-\\d{2}' },
    { type: 'text', minLength: 12, name: 'city' },
    { type: 'text', maxLength: 4 },
  ];
  for (const field of fields) assert.ok(fitsField(field, generateValue(field)), `${JSON.stringify(field)} got ${generateValue(field)}`);
  assert.equal(fromPattern('[A-Z]{3}-\\d{2}'), 'AAA-44');
  assert.equal(fromPattern('(a|b)+'), undefined);
});

test('the blocklist holds destructive controls unless allowed', () => {
  const action = (name: string) => ({ kind: 'click' as const, target: { name } });
  assert.ok(isBlocked(action('Delete account'), undefined));
  assert.ok(isBlocked(action('Log out'), undefined));
  assert.ok(isBlocked(action('Buy now'), undefined));
  assert.ok(!isBlocked(action('Open Inbox'), undefined));
  assert.ok(!isBlocked(action('Delete account'), /delete/i));
});

/** One scanned element: a visible, actionable button unless the fields say otherwise. */
const element = (fields: Partial<PageScan['elements'][number]>): PageScan['elements'][number] => ({
  role: 'button', name: '', selector: '#x', tag: 'button', type: '', flags: '', value: '', x: 10, y: 10, width: 20, height: 10, actionable: true, listeners: [], scrollable: false, draggable: false, ...fields,
});

test('DOM candidates follow the listeners and roles; the signature ignores free text', () => {
  const scan: PageScan = {
    title: 'T',
    url: 'http://127.0.0.1:1/app/',
    headings: ['h1:Mail'],
    cues: [],
    elements: [
      element({ name: 'Save', selector: '#save', listeners: ['click'] }),
      element({ role: 'row', tag: 'div', name: 'File 1', selector: '#row', listeners: ['dblclick', 'contextmenu'] }),
      element({ role: 'textbox', tag: 'input', type: 'email', name: 'Email', selector: '#email', field: { type: 'email', name: 'email', placeholder: '', required: true } }),
      element({ role: 'combobox', tag: 'select', name: 'Format', selector: '#format', options: ['CSV', 'JSON'] }),
      element({ role: 'button', tag: 'div', name: 'Chip', selector: '#chip', draggable: true }),
      element({ role: 'region', tag: 'div', name: 'Zone', selector: '#zone', listeners: ['drop'] }),
      element({ role: 'kbd', tag: 'kbd', name: 'Palette', selector: '#k', keys: 'Control+K', actionable: false }),
      element({ name: 'Hidden', selector: '#hidden', listeners: ['click'], actionable: false }),
    ],
  };
  const kinds = candidatesFromScan(scan).map((action) => `${action.kind}:${action.target?.name ?? ''}${action.text ? `=${action.text}` : ''}`);
  for (const expected of ['click:Save', 'double_click:File 1', 'right_click:File 1', 'type:Email=ada@example.com', 'select:Format=CSV', 'select:Format=JSON', 'drag:Chip', 'shortcut:Palette']) {
    assert.ok(kinds.includes(expected), `missing ${expected} in ${kinds.join(', ')}`);
  }
  assert.ok(!kinds.some((kind) => kind.includes('Hidden')));
  assert.ok(!kinds.includes('click:File 1'), 'a row that only hears dblclick is not clicked');
  const again = signatureOf({ ...scan, title: 'other title' });
  assert.deepEqual(signatureOf(scan), again);
});

test('behind an open modal dialog only the choices made count: rows added behind it do not split the dialog, the tab chosen does', () => {
  const dialog = [element({ name: 'Upload demo file', selector: '#send' }), element({ name: 'Cancel', selector: '#cancel' })];
  const behind = (rows: string[], chosen: string) => [
    element({ role: 'tab', name: 'Files', selector: '#files', flags: chosen === 'Files' ? 's' : '', behindModal: true }),
    element({ role: 'tab', name: 'Shared', selector: '#shared', flags: chosen === 'Shared' ? 's' : '', behindModal: true }),
    ...rows.map((row, index) => element({ name: row, selector: `#row${index}`, behindModal: true })),
  ];
  const scan = (rows: string[], chosen: string): PageScan => ({ title: 'Files', url: 'http://127.0.0.1:1/files/', headings: ['h1:Files', 'dialog:Upload files'], cues: [], elements: [...behind(rows, chosen), ...dialog] });
  assert.deepEqual(signatureOf(scan(['Plan.pdf', 'New upload 1.pdf'], 'Files')), signatureOf(scan(['Plan.pdf'], 'Files')));
  assert.notDeepEqual(signatureOf(scan(['Plan.pdf'], 'Shared')), signatureOf(scan(['Plan.pdf'], 'Files')));
  // Without a modal the rows are part of the view, as before.
  const open = (rows: string[]) => ({ ...scan(rows, 'Files'), elements: scan(rows, 'Files').elements.map(({ behindModal, ...rest }) => rest) });
  assert.notDeepEqual(signatureOf(open(['Plan.pdf', 'New upload 1.pdf'])), signatureOf(open(['Plan.pdf'])));
});

test('behind an open modal dialog, which of two look-alike items is expanded still tells the views apart', () => {
  // An accordion nav with two "Parent" items behind a modal: only the expanded one is a choice made
  // there, so only it is kept; which of the two it is must still count.
  const scan = (expanded: 0 | 1): PageScan => ({
    title: 'Nav',
    url: 'http://127.0.0.1:1/tests/',
    headings: ['dialog:Menu'],
    cues: [],
    elements: [
      ...[0, 1].map((index) => element({ name: 'Parent', selector: `#parent${index}`, flags: index === expanded ? 'e' : '', behindModal: true })),
      element({ name: 'Close', selector: '#close' }),
    ],
  });
  assert.notDeepEqual(signatureOf(scan(0)), signatureOf(scan(1)));
  // The same item expanded again is the same view.
  assert.deepEqual(signatureOf(scan(1)), signatureOf(scan(1)));
});

test('page settings are the view: a list chosen behind a modal, and the page laid out right to left', () => {
  // UIkit's test loader: a list of colours and a right-to-left checkbox apply to the whole page.
  const scan = (colours: string, direction: string, dialog: boolean): PageScan => ({
    title: 'Settings',
    url: 'http://127.0.0.1:1/settings/',
    headings: dialog ? ['dialog:Help'] : [],
    cues: [],
    direction,
    elements: [
      element({ role: 'combobox', name: 'Colours', selector: '#colours', tag: 'select', value: colours, options: ['light', 'dark'], behindModal: dialog }),
      element({ role: 'checkbox', name: 'Right to left', selector: '#direction', tag: 'input', type: 'checkbox', flags: direction === 'rtl' ? 'c' : '', behindModal: dialog }),
      ...(dialog ? [element({ name: 'Close', selector: '#close' })] : []),
    ],
  });
  assert.notDeepEqual(signatureOf(scan('dark', 'ltr', true)), signatureOf(scan('light', 'ltr', true)));
  assert.notDeepEqual(signatureOf(scan('light', 'rtl', false)), signatureOf(scan('light', 'ltr', false)));
  assert.notDeepEqual(signatureOf(scan('light', 'rtl', true)), signatureOf(scan('light', 'ltr', true)));
  // A scan that does not say its direction (an older one) reads as left to right.
  assert.deepEqual(signatureOf({ ...scan('light', 'ltr', false), direction: undefined }), signatureOf(scan('light', 'ltr', false)));
});

test('the signature is the view: generic clickable text, enabled-ness, a native tick and a hash root do not split it; tabs and dialogs do', () => {
  const base: PageScan = {
    title: 'T',
    url: 'http://127.0.0.1:1/app/',
    headings: ['h1:Tree'],
    cues: [],
    elements: [element({ name: 'Undo', selector: '#undo', flags: 'd' }), element({ role: 'checkbox', tag: 'input', type: 'checkbox', selector: '#value' }), element({ role: 'tab', name: 'Code', selector: '#code' })],
  };
  const same: PageScan = {
    ...base,
    url: 'http://127.0.0.1:1/app/#/',
    // A breadcrumb of the selection (clickable spans), Undo now enabled, the data's checkbox ticked.
    elements: [element({ name: 'Undo', selector: '#undo' }), element({ role: 'checkbox', tag: 'input', type: 'checkbox', selector: '#value', flags: 'c' }), element({ role: 'tab', name: 'Code', selector: '#code' }), element({ role: 'span', tag: 'span', name: 'object', selector: '#crumb', listeners: ['click'] })],
  };
  assert.deepEqual(signatureOf(same), signatureOf(base));
  const tab = { ...base, elements: base.elements.map((entry) => (entry.role === 'tab' ? { ...entry, flags: 's' } : entry)) };
  assert.notDeepEqual(signatureOf(tab), signatureOf(base));
  assert.notDeepEqual(signatureOf({ ...base, headings: [...base.headings, 'dialog:Sort'] }), signatureOf(base));
  assert.notDeepEqual(signatureOf({ ...base, url: 'http://127.0.0.1:1/app/#/pet' }), signatureOf(base));
  // A folder's index page is the folder (uikit's 'Overview' switches to /tests/index.html, the page /tests/ shows).
  assert.deepEqual(signatureOf({ ...base, url: 'http://127.0.0.1:1/app/index.html' }), signatureOf(base));
  assert.notDeepEqual(signatureOf({ ...base, url: 'http://127.0.0.1:1/app/other.html' }), signatureOf(base));
});

test('candidates: a link to the page itself is not offered, an in-page link is; Escape is offered while a dialog or menu is open', () => {
  const link = (name: string, href: string) => element({ role: 'link', name, selector: `#${name}`, tag: 'a', href });
  const scan: PageScan = {
    title: 'T',
    url: 'http://127.0.0.1:1/charts.html',
    headings: [],
    cues: [],
    elements: [link('Charts', 'http://127.0.0.1:1/charts.html'), link('Tables', 'http://127.0.0.1:1/tables.html'), link('Utilities', 'http://127.0.0.1:1/charts.html#')],
  };
  const names = (page: PageScan) => candidatesFromScan(page).map((action) => action.target?.name);
  assert.deepEqual(names(scan), ['Tables', 'Utilities']);
  assert.equal(candidatesFromScan(scan).find((action) => action.target?.name === 'Tables')?.target?.href, 'http://127.0.0.1:1/tables.html');
  assert.ok(!candidatesFromScan(scan).some((action) => action.keys === 'Escape'));
  assert.ok(candidatesFromScan({ ...scan, headings: ['dialog:Sort'] }).some((action) => action.kind === 'shortcut' && action.keys === 'Escape'));
  const menu = { ...scan, elements: [...scan.elements, element({ name: 'User', flags: 'e' })] };
  assert.ok(candidatesFromScan(menu).some((action) => action.keys === 'Escape'));
});

test('a skill path takes a sidebar link from the start, not after the pages the walk passed', async () => {
  const { StateGraph } = await import('../../engine/computer/explore/graph.ts');
  const link = (name: string) => ({ kind: 'click' as const, target: { role: 'link', name, selector: `#${name}` } });
  const toggle = { kind: 'click' as const, target: { role: 'button', name: 'Filters', selector: '#filters' } };
  const page = (id: string, url: string, candidates: ReturnType<typeof link>[]) => ({ signature: id, phash: '0000000000000000', title: id, url: `http://127.0.0.1:1/${url}`, candidates, blocked: [] });
  const graph = new StateGraph();
  const sidebar = [link('Home'), link('Reports'), link('Orders')];
  const home = graph.addNode(page('home', 'index.html', sidebar), { depth: 0, discoveredAt: 0 });
  const reports = graph.addNode(page('reports', 'reports.html', sidebar), { depth: 1, discoveredAt: 1 });
  const orders = graph.addNode(page('orders', 'orders.html', [...sidebar, toggle]), { depth: 2, discoveredAt: 2 });
  const open = graph.addNode(page('open', 'orders.html', [...sidebar, toggle]), { depth: 3, discoveredAt: 3 });
  const walk: [typeof home, ReturnType<typeof link> | typeof toggle, typeof home][] = [[home, link('Reports'), reports], [reports, link('Orders'), orders], [orders, toggle, open]];
  for (const [from, action, to] of walk) {
    graph.recordEdge(from.id, action, 'new', to.id);
    graph.noteDestination(action, from.id, to.id);
  }
  const path = graph.skillPath(open.id);
  assert.deepEqual(path?.map((edge) => `${edge.from}:${edge.action.target?.name}`), [`${home.id}:Orders`, `${orders.id}:Filters`]);
  assert.ok(path?.[0].id.startsWith('predicted:'), 'the shortcut is marked as a guess to check on a fresh instance');
  // The toggle changed the view in place: it predicts nothing elsewhere.
  assert.equal(graph.skillPath(orders.id)?.length, 1);
});

test('a link to a page of the site no state has shown is tried before an unknown button, even after two links went nowhere', async () => {
  const { StateGraph } = await import('../../engine/computer/explore/graph.ts');
  const link = (name: string, href: string) => ({ kind: 'click' as const, target: { role: 'link', name, selector: `#${name}`, href } });
  const button = { kind: 'click' as const, target: { role: 'button', name: 'Bell', selector: '#bell' } };
  const site = 'http://127.0.0.1:1';
  const candidates = [link('Pro', 'https://example.com/pro'), link('Report', `${site}/index.html#`), button, link('Charts', `${site}/charts.html`), link('Home', `${site}/index.html`)];
  const graph = new StateGraph();
  const home = graph.addNode({ signature: 'home', phash: '0000000000000000', title: 'home', url: `${site}/index.html`, candidates, blocked: [] }, { depth: 0, discoveredAt: 0 });
  // An off-site link and a '#' link showed nothing new: the role 'link' now looks barren.
  for (const action of candidates.slice(0, 2)) {
    graph.markTried(home, action);
    graph.noteOutcome(action, false, graph.relation(home, action));
  }
  assert.equal(graph.relation(home, candidates[3]), 'unseen-route');
  assert.equal(graph.untried(home)[0].target?.name, 'Charts');
  // Once a state at that page is known, the same link predicts it.
  graph.addNode({ signature: 'charts', phash: '0000000000000000', title: 'charts', url: `${site}/charts.html`, candidates, blocked: [] }, { depth: 1, discoveredAt: 1 });
  assert.equal(graph.relation(home, candidates[3]), 'known-destination');
});

test('a link to another site is tried after the page\'s own controls: it leaves the app', async () => {
  const { StateGraph } = await import('../../engine/computer/explore/graph.ts');
  const site = 'http://127.0.0.1:1';
  const docs = { kind: 'click' as const, target: { role: 'link', name: 'Documentation', selector: '#docs', href: 'https://getbootstrap.com/docs/' } };
  const bell = { kind: 'click' as const, target: { role: 'button', name: 'Alerts', selector: '#bell' } };
  const own = { kind: 'click' as const, target: { role: 'link', name: 'Cards', selector: '#cards', href: `${site}/cards.html` } };
  const graph = new StateGraph();
  // The off-site link first in discovery order: without the prediction it would be tried first.
  const home = graph.addNode({ signature: 'home', phash: '0000000000000000', title: 'home', url: `${site}/`, candidates: [docs, bell], blocked: [] }, { depth: 0, discoveredAt: 0 });
  assert.equal(graph.relation(home, docs), 'off-site');
  assert.equal(graph.relation(home, own), 'unseen-route');
  assert.equal(graph.untried(home)[0].target?.name, 'Alerts');
});

test('a control the page says is collapsed (aria-expanded=false, a closed popup) is tried before one that says nothing', async () => {
  const { StateGraph } = await import('../../engine/computer/explore/graph.ts');
  const scan: PageScan = { title: 'T', url: 'http://127.0.0.1:1/', headings: [], cues: [], elements: [element({ name: 'Refresh', selector: '#refresh' }), element({ name: 'Components', selector: '#components', opens: true })] };
  const candidates = candidatesFromScan(scan);
  assert.equal(candidates.find((action) => action.target?.name === 'Components')?.target?.opens, true);
  const graph = new StateGraph();
  // Refresh first in discovery order: without the page's word, the two would be tried in that order.
  const home = graph.addNode({ signature: 'home', phash: '0000000000000000', title: 'home', url: scan.url, candidates, blocked: [] }, { depth: 0, discoveredAt: 0 });
  assert.equal(graph.relation(home, candidates[1]), 'announced');
  assert.equal(graph.untried(home)[0].target?.name, 'Components');
});

test('a click that only renamed the clicked control is feedback, not a view; any other change is a change', async () => {
  const { renamedOnly } = await import('../../engine/computer/explore/web-driver.ts');
  const before = ['path:/', 'button|Copy||', 'button|Copy||', 'tab|Code|s|'];
  const clicked = { role: 'button', name: 'Copy' };
  assert.equal(renamedOnly(before, ['path:/', 'button|Copied||', 'button|Copy||', 'tab|Code|s|'], clicked), 'Copied');
  // Something else changed too (a tab was selected), or another control was renamed: not feedback.
  assert.equal(renamedOnly(before, ['path:/', 'button|Copied||', 'button|Copy||', 'tab|Code||'], clicked), undefined);
  assert.equal(renamedOnly(before, ['path:/', 'button|Copy||', 'button|Copy||', 'tab|Text|s|'], clicked), undefined);
  // The control's own state flag changed with its name: a toggle, kept as a change.
  assert.equal(renamedOnly(before, ['path:/', 'button|Copied|p|', 'button|Copy||', 'tab|Code|s|'], clicked), undefined);
});

test('a control that takes another name when clicked is read by its first name there, its flags still count', async () => {
  const { ControlNames } = await import('../../engine/computer/explore/web-driver.ts');
  const names = new ControlNames();
  const toggle = (name: string, flags = '') => element({ name, selector: '#toggle', flags });
  const page = (toggleName: string, flags = '', extra: string[] = []) => [toggle(toggleName, flags), element({ name: 'Cancel', selector: '#cancel' }), ...extra.map((name) => element({ name, selector: `#${name}` }))];
  const view = (elements: PageScan['elements']) => signatureOf({ title: 'T', url: 'http://127.0.0.1:1/', headings: [], cues: [], elements: names.apply(elements) });
  const start = view(page('Open menu'));
  // A sidebar toggle: "Open menu" → "Expand sidebar" (pressed: the sidebar is a rail) → "Collapse sidebar".
  names.learn({ role: 'button', name: 'Open menu', selector: '#toggle', route: '/' }, page('Expand sidebar', 'p'));
  const rail = view(page('Expand sidebar', 'p'));
  assert.notDeepEqual(rail, start, 'the pressed flag is a view of its own');
  names.learn({ role: 'button', name: 'Expand sidebar', selector: '#toggle', route: '/' }, page('Collapse sidebar'));
  assert.deepEqual(view(page('Collapse sidebar')), start, 'the same sidebar under its later label is the start view');
  // Feedback with more on the page changed: the label is read as before, the rest still counts.
  names.learn({ role: 'button', name: 'Cancel', selector: '#cancel', route: '/' }, [toggle('Open menu'), element({ name: 'Cancelled', selector: '#cancel' })]);
  assert.deepEqual(view([toggle('Open menu'), element({ name: 'Cancelled', selector: '#cancel' })]), start);
  assert.notDeepEqual(view([toggle('Open menu'), element({ name: 'Cancelled', selector: '#cancel' }), element({ name: 'Execute', selector: '#run' })]), start);
  // Only at that place: a control elsewhere with a learned name keeps its own.
  assert.ok(view([toggle('Open menu'), element({ name: 'Cancel', selector: '#cancel' }), element({ name: 'Collapse sidebar', selector: '#other' })]).some((entry) => entry.startsWith('button|Collapse sidebar|')));
  // A click that changed nothing but its own name is feedback the page may show wherever it
  // re-draws the control: that name is read as the first one anywhere on the page.
  names.learn({ role: 'button', name: 'Copy', selector: '#copy', route: '/' }, [element({ name: 'Copied', selector: '#copy' })], true);
  assert.ok(view([element({ name: 'Copied', selector: '#moved' })]).some((entry) => entry.startsWith('button|Copy|')));
  // A click that only relabelled controls in their places: the same view. A flag that changed or
  // a control that came with the labels is a change, and teaches nothing.
  const scan = (elements: PageScan['elements']): PageScan => ({ title: 'T', url: 'http://127.0.0.1:1/', headings: ['h1:Ops'], cues: [], elements });
  const filters = (label: string, flags = '', extra: PageScan['elements'] = []) => scan([element({ name: label, selector: '#f1' }), element({ name: label, selector: '#f2', flags }), ...extra]);
  assert.equal(names.learnRelabels(filters('CLEAR'), filters('SEARCH', 'p')), false);
  assert.equal(names.learnRelabels(filters('CLEAR'), filters('SEARCH', '', [element({ name: 'Run', selector: '#run' })])), false);
  assert.equal(names.learnRelabels(filters('CLEAR'), filters('SEARCH')), true);
  assert.deepEqual(view(filters('SEARCH').elements), view(filters('CLEAR').elements));
  // A control not found at its place (or under another role) teaches nothing.
  names.learn({ role: 'button', name: 'Save', selector: '#save', route: '/' }, [element({ name: 'Saved', selector: '#elsewhere' }), element({ role: 'link', name: 'Saved', selector: '#save' })]);
  assert.ok(view([element({ name: 'Saved', selector: '#elsewhere' })]).some((entry) => entry.startsWith('button|Saved|')));
});

test('a predicted link that showed nothing new in one state is worth less in the next state that offers it', async () => {
  const { StateGraph } = await import('../../engine/computer/explore/graph.ts');
  const site = 'http://127.0.0.1:1';
  // A same-origin link to a data file: predicted to show a page not seen yet, but it does nothing.
  const spec = { kind: 'click' as const, target: { role: 'link', name: 'spec.json', selector: '#spec', href: `${site}/spec.json` } };
  const button = { kind: 'click' as const, target: { role: 'button', name: 'Try it out', selector: '#try' } };
  const graph = new StateGraph();
  const first = graph.addNode({ signature: 'a', phash: '0000000000000000', title: 'a', url: `${site}/`, candidates: [spec, button], blocked: [] }, { depth: 0, discoveredAt: 0 });
  assert.equal(graph.relation(first, spec), 'unseen-route');
  assert.equal(graph.untried(first)[0].target?.name, 'spec.json', 'untried, the prediction ranks it first');
  graph.markTried(first, spec);
  graph.noteOutcome(spec, false, graph.relation(first, spec), first.id);
  const second = graph.addNode({ signature: 'b', phash: '0000000000000000', title: 'b', url: `${site}/#/op`, candidates: [spec, button], blocked: [] }, { depth: 1, discoveredAt: 1 });
  assert.equal(graph.relation(second, spec), 'unseen-route');
  assert.equal(graph.untried(second)[0].target?.name, 'Try it out', 'the link that did nothing is not tried first again');
});

test('Escape over a menu opened from another menu is predicted to close onto a state already seen', async () => {
  const { StateGraph } = await import('../../engine/computer/explore/graph.ts');
  const menu = (name: string) => ({ kind: 'click' as const, target: { role: 'menu', name, selector: `#${name}`, opens: true } });
  const item = { kind: 'click' as const, target: { role: 'menu item', name: 'Preferences', selector: '#preferences' } };
  const escape = { kind: 'shortcut' as const, keys: 'Escape', target: { name: 'Escape' } };
  const graph = new StateGraph();
  const home = graph.addNode({ signature: 'home', phash: '0000000000000000', title: 'home', candidates: [menu('View'), menu('Edit')], blocked: [] }, { depth: 0, discoveredAt: 0 });
  const view = graph.addNode({ signature: 'view', phash: '0000000000000000', title: 'view', candidates: [menu('View'), menu('Edit'), escape], blocked: [] }, { depth: 1, discoveredAt: 1 });
  view.parentEdge = graph.recordEdge(home.id, menu('View'), 'new', view.id).id;
  // Escape first in discovery order: unpredicted, it ties with the menu's own item.
  const edit = graph.addNode({ signature: 'edit', phash: '0000000000000000', title: 'edit', candidates: [menu('View'), menu('Edit'), escape, item], blocked: [] }, { depth: 2, discoveredAt: 2 });
  edit.parentEdge = graph.recordEdge(view.id, menu('Edit'), 'new', edit.id).id;
  assert.equal(graph.relation(view, escape), 'undo');
  assert.equal(graph.relation(edit, escape), 'known-destination');
  assert.ok(graph.gain(edit, escape) < graph.gain(edit, item), `Escape ${graph.gain(edit, escape)} against Preferences ${graph.gain(edit, item)}`);
});

test('a toggle whose label flips is the way back of the state it opened', async () => {
  const { StateGraph } = await import('../../engine/computer/explore/graph.ts');
  const toggle = (name: string) => ({ kind: 'click' as const, target: { role: 'button', name, selector: '#theme' } });
  const other = { kind: 'click' as const, target: { role: 'button', name: 'Explore', selector: '#explore' } };
  const graph = new StateGraph();
  const light = graph.addNode({ signature: 'light', phash: '0000000000000000', title: 'light', candidates: [toggle('Switch to dark mode'), other], blocked: [] }, { depth: 0, discoveredAt: 0 });
  const dark = graph.addNode({ signature: 'dark', phash: '0000000000000000', title: 'dark', candidates: [toggle('Switch to light mode'), other], blocked: [] }, { depth: 1, discoveredAt: 1 });
  dark.parentEdge = graph.recordEdge(light.id, toggle('Switch to dark mode'), 'new', dark.id).id;
  assert.equal(graph.relation(dark, toggle('Switch to light mode')), 'undo');
  assert.equal(graph.untried(dark)[0].target?.name, 'Explore');
  assert.ok(graph.guessedInverses().some((edge) => edge.from === dark.id && edge.to === light.id && edge.action.target?.name === 'Switch to light mode'), 'a guessed way back by the flipped toggle');
  // Look-alikes: the opener still offered by name means another control in its place is not its inverse.
  const moved = { kind: 'click' as const, target: { role: 'button', name: 'Switch to dark mode', selector: '#theme-2' } };
  const rows = graph.addNode({ signature: 'rows', phash: '0000000000000000', title: 'rows', candidates: [moved, toggle('Switch to light mode')], blocked: [] }, { depth: 1, discoveredAt: 2 });
  rows.parentEdge = graph.recordEdge(light.id, toggle('Switch to dark mode'), 'new', rows.id).id;
  assert.equal(graph.relation(rows, toggle('Switch to light mode')), undefined);
});

test('look-alikes that showed only known states in one state are worth less there, whatever they did elsewhere', async () => {
  const { StateGraph } = await import('../../engine/computer/explore/graph.ts');
  const row = (index: number) => ({ kind: 'click' as const, target: { role: 'button', name: 'Open the actions menu', selector: `#row-${index} > button` } });
  const sort = { kind: 'click' as const, target: { role: 'button', name: 'Sort', selector: '#sort' } };
  const rows = [0, 1, 2, 3, 4].map(row);
  const graph = new StateGraph();
  const other = graph.addNode({ signature: 'other', phash: '0000000000000000', title: 'other', candidates: rows, blocked: [] }, { depth: 0, discoveredAt: 0 });
  // Elsewhere, the rows' menus were new every time.
  for (const action of rows.slice(0, 3)) graph.noteOutcome(action, true, graph.relation(other, action), other.id);
  const here = graph.addNode({ signature: 'here', phash: '0000000000000000', title: 'here', candidates: [...rows, sort], blocked: [] }, { depth: 1, discoveredAt: 1 });
  assert.equal(graph.untried(here)[0].target?.name, 'Open the actions menu', 'the rows first while their record is good');
  // Here, two rows opened menus already seen.
  for (const action of rows.slice(0, 2)) {
    graph.markTried(here, action);
    graph.noteOutcome(action, false, graph.relation(here, action), here.id);
  }
  assert.equal(graph.untried(here)[0].target?.name, 'Sort');
});

test('where controls share a role and a name, which of them carries a state flag is part of the view', () => {
  const page = (chosen: number) => ({ title: 'T', url: 'http://127.0.0.1:1/', headings: [], cues: [], elements: [0, 1, 2].flatMap((index) => [element({ role: 'tab', name: 'EXAMPLE', selector: `#e${index}`, flags: index === chosen ? '' : 'a' }), element({ role: 'tab', name: 'SCHEMA', selector: `#s${index}`, flags: index === chosen ? 'a' : '' })]) });
  // One response shows its schema: the first one or the third one are two views.
  assert.notDeepEqual(signatureOf(page(0)), signatureOf(page(2)));
  assert.deepEqual(signatureOf(page(1)), signatureOf(page(1)));
  // Alike controls without a flag stay order-free: the same buttons drawn in another order are one view.
  const rows = (names: string[]) => ({ title: 'T', url: 'http://127.0.0.1:1/', headings: [], cues: [], elements: names.map((name, index) => element({ name, selector: `#r${index}` })) });
  assert.deepEqual(signatureOf(rows(['Edit', 'Copy', 'Edit'])), signatureOf(rows(['Copy', 'Edit', 'Edit'])));
});

test('which of its look-alikes a flagged control is counts the hidden ones the scan found in the page', () => {
  // Three operations' "Example" tabs, one hidden where its operation shows its response instead:
  // the two showing are the same two flagged tabs, whichever one is hidden.
  const page = (hidden: number) => ({
    title: 'T',
    url: 'http://127.0.0.1:1/',
    headings: [],
    cues: [],
    elements: [0, 1, 2].filter((index) => index !== hidden).map((index) => element({ role: 'button', name: 'Example', selector: `#e${index}`, flags: 'a', alikeInPage: { index, count: 3 } })),
  });
  assert.notDeepEqual(signatureOf(page(0)), signatureOf(page(2)));
  assert.deepEqual(signatureOf(page(1)), signatureOf(page(1)));
  // One flagged control and a hidden look-alike: which of the two shows still counts.
  const one = (index: number) => ({ ...page(-1), elements: [element({ name: 'Response', selector: `#r${index}`, flags: 'a', alikeInPage: { index, count: 2 } })] });
  assert.notDeepEqual(signatureOf(one(0)), signatureOf(one(1)));
});
