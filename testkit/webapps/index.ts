import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { serveMounts } from '../static-server.ts';

/**
 * Real open-source web UIs shipped as static files in npm packages, served from node_modules on
 * 127.0.0.1 (never fetched at run time), and the ground truth of which view each one shows.
 */

const here = fileURLToPath(new URL('./', import.meta.url));

const Split = z.enum(['tune', 'unseen']);
export const ExploreApps = z.object({
  web: z.array(
    z.object({
      name: z.string(),
      package: z.string(),
      version: z.string(),
      entry: z.string(),
      split: Split,
      /** The package's folder served as the site root, for a build that links its files from '/' (gentelella's dist/). */
      root: z.string().optional(),
    }),
  ),
  x11: z.array(z.object({ name: z.string(), command: z.string(), split: Split })),
});
export type ExploreApps = z.infer<typeof ExploreApps>;
export type WebApp = ExploreApps['web'][number];

/** The benchmark's apps and their tune/unseen split (fixed before tuning, in explore-split.json). */
export function exploreApps(): ExploreApps {
  return ExploreApps.parse(JSON.parse(readFileSync(join(here, 'explore-split.json'), 'utf8')));
}

/** The installed copy of an npm package, checked against the pinned version. */
export function packageFolder(name: string, version: string): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve(`${name}/package.json`, { paths: [here] });
  const installed = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  if (installed !== version) throw new Error(`${name}: installed ${installed}, the benchmark pins ${version} (npm install)`);
  return dirname(manifest);
}

/**
 * Serves one app: files in testkit/webapps/<app>/ replace the package's copies (a page that
 * loads its script from a CDN, an initializer that points at a remote spec), /spec/ holds the
 * shared local documents, and everything else comes from the package folder.
 */
export async function serveWebApp(app: WebApp): Promise<{ url: string; origin: string; dispose(): Promise<void> }> {
  const overrides = join(here, app.name);
  // Sub-folders mirror the package's (uikit/tests/js/test.js replaces tests/js/test.js).
  const files = existsSync(overrides)
    ? readdirSync(overrides, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => {
          const path = join(entry.parentPath, entry.name);
          return { url: `/${relative(overrides, path).split(sep).join('/')}`, path };
        })
    : [];
  const folder = join(packageFolder(app.package, app.version), app.root ?? '');
  const server = await serveMounts([...files, { url: '/spec/', path: join(here, 'shared') }, ...installedLayout(folder), { url: '/', path: folder }]);
  return { ...server, url: `${server.origin}${app.entry}` };
}

/**
 * What a package's own install step copies into it from its dependencies, when that step did not
 * run (an install with scripts off): admin-lte's postinstall lays jQuery, Bootstrap and the rest
 * out under plugins/ by its list build/npm/Plugins.js; without them its pages stay behind their
 * preloader. Served from the dependencies themselves, most specific first. Empty when the
 * package has no such list or the step ran.
 */
function installedLayout(folder: string): { url: string; path: string }[] {
  const list = join(folder, 'build', 'npm', 'Plugins.js');
  if (!existsSync(list) || existsSync(join(folder, 'plugins'))) return [];
  const entries = createRequire(import.meta.url)(list) as { from: string; to: string }[];
  return entries
    .map(({ from, to }) => {
      // As the step itself resolves them: the package's own node_modules, else the hoisted copy.
      const inside = join(folder, from);
      const path = existsSync(inside) ? inside : join(folder, from.replace(/^node_modules\//, '../'));
      return { url: `/${to.replace(/^\/+/, '')}${existsSync(path) && statSync(path).isDirectory() ? '/' : ''}`.replace(/\/+$/, '/'), path };
    })
    .filter((mount) => existsSync(mount.path))
    .sort((a, b) => b.url.length - a.url.length);
}

/**
 * Ground truth of the view a page shows, read from the app's own state by the benchmark (the
 * explorer never runs or sees this): the route, and which dialogs, menus, tabs, expanded panels
 * and page modes are open — through open shadow roots too. Field contents and free text are not
 * views. Returns a stable JSON string.
 */
export const viewProbe = `(() => {
  const roots = [];
  const walk = (root) => { roots.push(root); for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot); };
  walk(document);
  const all = (selector) => roots.flatMap((root) => [...root.querySelectorAll(selector)]);
  const visible = (el) => {
    const rect = el.getBoundingClientRect();
    if (rect.width < 2 || rect.height < 2) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0.05;
  };
  const clean = (value) => (value || '').replace(/[\\u200b-\\u200f\\u2060\\ufeff]/g, '').replace(/\\s+/g, ' ').trim().slice(0, 40);
  // Names before ids: some apps mint random ids on every load (swagger-ui's tabs).
  const own = (el) => clean(el.getAttribute('aria-label') || el.getAttribute('data-path') || el.textContent || el.getAttribute('href') || el.id);
  // An icon-only toggle is named by the row or item it sits in.
  const label = (el) => own(el) || clean(el.closest('tr,li')?.textContent) || el.tagName.toLowerCase();
  // One entry per element, not per label: two open sub-menus both labelled 'Parent' are two
  // panels, not one (deduping labels merged views that differ only in how many are open).
  const elements = (selector, filter = visible) => [...new Set(all(selector))].filter(filter);
  // Two elements with one label (two 'Parent' sub-menus of one nav) are told apart by which of the
  // page's same-tag elements with that label each is, in page order: the second one open is not
  // the view with the first one open.
  const labels = new Map();
  const labelOf = (el) => { if (!labels.has(el)) labels.set(el, label(el)); return labels.get(el); };
  const peers = new Map();
  const which = (el) => {
    const name = labelOf(el);
    const key = el.tagName + '|' + name;
    if (!peers.has(key)) peers.set(key, all(el.tagName).filter((other) => labelOf(other) === name));
    const same = peers.get(key);
    return same.length > 1 ? name + '#' + same.indexOf(el) : name;
  };
  const names = (found) => [...new Set(found)].map(which).sort();
  const list = (selector, filter = visible) => names(elements(selector, filter));
  // A toggle that says it is expanded while what it controls is hidden shows nothing open (markup
  // that ships aria-expanded=true on closed sections): the region decides, when it can be found.
  const controlled = (el) => {
    const ids = (el.getAttribute('aria-controls') || '').split(/\s+/).filter(Boolean);
    const target = el.getAttribute('data-target') || el.getAttribute('data-bs-target') || (/^#[\w-]+$/.test(el.getAttribute('href') || '') ? el.getAttribute('href') : '');
    if (target && target.startsWith('#')) ids.push(target.slice(1));
    return ids.map((id) => roots.map((root) => root.getElementById ? root.getElementById(id) : root.querySelector('#' + CSS.escape(id))).find(Boolean)).filter(Boolean);
  };
  const expandedShows = (el) => visible(el) && (controlled(el).length === 0 || controlled(el).some(visible));
  // '#' and '#/' are a hash router's root, the same view as no hash at all.
  const hash = /^#\\/?$/.test(location.hash) ? '' : location.hash;
  const route = location.pathname.replace(/index\\.html$/, '') + hash;
  const view = {
    route,
    dialogs: list('[role=dialog],[role=alertdialog],dialog[open],.modal.show,.uk-modal.uk-open,.jsoneditor-modal,.dialog-ux .modal-ux,.dialog-box'),
    // A menu's label is its text, hidden sub-menus included: how many of its lists show tells an
    // open sub-menu from a closed one (jsoneditor's Type and Insert).
    menus: elements('.dropdown-menu.show,.uk-drop.uk-open,.uk-dropdown.uk-open,.uk-navbar-dropdown.uk-open,.jsoneditor-contextmenu,[role=menu],[role=listbox]')
      .map((el) => which(el) + '/' + [...el.querySelectorAll('ul,ol,[role=menu],[role=group]')].filter(visible).length)
      .sort(),
    tabs: list('[role=tab][aria-selected=true],.nav-tabs .active,.nav-pills .active,.uk-tab > .uk-active,.uk-subnav > .uk-active,.tablinks .active,.tab-buttons .tab-btn.active'),
    // The chosen entry of any other list of links or buttons (a mail folder, a filter), which the
    // page marks as current (aria-current) or by a class on the entry or its item, as tabs above:
    // the same kind of choice under other markup.
    current: names(elements('a,button,[role=link],[role=button],[role=menuitem],[role=treeitem]', (el) => visible(el) && !el.closest('[role=tab]') && (['page', 'step', 'location', 'true'].includes(el.getAttribute('aria-current') || '') || [el, el.parentElement].some((node) => node && node.tagName !== 'BODY' && [...node.classList].some((name) => /^(is-|uk-)?(active|selected|current)$/.test(name)))))),
    panels: names([
      ...elements('.collapse.show,details[open],.opblock-tag-section.is-open,.opblock.is-open,.models.is-open,.model-box .model.model-open,.uk-accordion > .uk-open,.uk-offcanvas.uk-open,.treeview.menu-open,.menu-open > a,li.active > .child_menu,.jsoneditor-expanded'),
      ...elements('[aria-expanded=true]', expandedShows),
    ]),
    // Toggle buttons that are on (a Day/Week switch, a pressed 'Toggle theme'): ARIA's own word for a mode.
    // swagger-ui says the same of an operation in its try-it-out mode (its tryItOutEnabled) by markup
    // alone: the toggle then reads Cancel with the class cancel, the parameters become fields and an
    // Execute button shows — a person sees another view of the operation, though no panel opened.
    pressed: list('[aria-pressed=true],.try-out__btn.cancel'),
    // The page's modes as its root elements' classes carry them: any sidebar state (sidebar-collapse,
    // -toggled, -rail, and a second sidebar's: AdminLTE's control-sidebar-slide-open), a dark or light colour mode (dark-mode, uk-light); and the stylesheets that
    // style it (a theme switched by swapping them). A body-less page (a document still parsing) has none.
    modes: [...new Set([...document.documentElement.classList, ...(document.body ? document.body.classList : [])].filter((name) => /(^|-)sidebar-|^nav-(sm|md)$|toggled|(^|-)(dark|light)(-mode|-theme)?$/.test(name))
      .concat([...document.styleSheets].map((sheet) => sheet.href).filter(Boolean).map((href) => 'css:' + href.replace(/[?#].*$/, '').split('/').pop()))
      .concat(all('[class*=jsoneditor-mode-]').filter(visible).flatMap((el) => [...el.classList].filter((name) => name.startsWith('jsoneditor-mode-')))))].sort(),
  };
  return JSON.stringify(view);
})()`;
