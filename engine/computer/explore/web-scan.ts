import { lookAlikeTextsSource } from '../look-alike.ts';
import type { LookAlikeRow } from '../../../core/schemas/trajectory.ts';

/**
 * Scripts that run inside the page. They are plain strings, not functions, so no transpiler
 * helper leaks into the browser.
 */

/** Installed before any page script: remembers which event types each element listens to. */
export const listenerTracker = `(() => {
  if (window.__sfListeners) return;
  const seen = new WeakMap();
  Object.defineProperty(window, '__sfListeners', { value: seen, enumerable: false });
  const original = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    try {
      let types = seen.get(this);
      if (!types) { types = new Set(); seen.set(this, types); }
      types.add(type);
    } catch {}
    return original.call(this, type, listener, options);
  };
  // The page's change clock: when its DOM last changed. The settle after an action counts its quiet
  // window from the action or the last change, whichever is later, not from when the driver got
  // around to watching (under load that came 100-200 ms after the click: time spent waiting on
  // quiet that had already passed).
  // Timers the page set outside any timer callback (in a load or click handler, a script, a promise),
  // by id, with when each is due: a page that shows its controls 100-200 ms after load (a
  // preloader lifted by a timer, switchers added by one) is not settled while that timer is
  // pending, though its DOM is quiet. Timers set inside a timer callback are not followed: a
  // polling chain or a ticking clock would never let the page settle.
  // Each such timer is known by its source (its delay and the calls that set it): a timer whose
  // callback changed nothing — no DOM change, no timer set, no request, nor did a frame it asked
  // for — is not work toward the view. Its source is \`quiet\`, and where the same source sets it again (the same script on the
  // next page of a site: a template's demo notice 1 s after every load) it is not waited for.
  // \`learned\`: what this document's callbacks showed, by source (the driver carries it to the next
  // document, and a source seen to change something is waited for again).
  const timers = new Map();
  const sources = new Map();
  const setTimer = window.setTimeout;
  const clearTimer = window.clearTimeout;
  // The settle's own waits use the page's original timer, so they are not timers it waits for.
  const clock = { last: performance.now(), acted: 0, timers, quiet: new Set(), learned: new Map(), wait: (callback, ms) => setTimer.call(window, callback, ms) };
  // When the pending timers not known to be quiet fall due, on the page's clock.
  clock.due = () => [...timers.entries()].filter(([id]) => !clock.quiet.has(sources.get(id))).map(([, at]) => at);
  Object.defineProperty(window, '__sfChanges', { value: clock, enumerable: false });
  const observer = new MutationObserver(() => { clock.last = performance.now(); });
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  let depth = 0;
  let set = 0;
  let started = 0;
  // Frames asked for: a callback that asks for one may have work left (uikit's test loader: a
  // 100 ms timer after load asks for a frame, and the frame draws the switcher bar).
  let framed = 0;
  const requestFrame = window.requestAnimationFrame;
  if (typeof requestFrame === 'function') window.requestAnimationFrame = function (...values) { framed += 1; return requestFrame.apply(window, values); };
  window.setTimeout = function (handler, delay, ...rest) {
    if (typeof handler !== 'function') return setTimer.call(window, handler, delay, ...rest);
    set += 1;
    const level = depth;
    let id;
    const run = function (...values) {
      timers.delete(id);
      const source = sources.get(id);
      sources.delete(id);
      const saved = depth;
      depth = level + 1;
      const before = { last: clock.last, set, started, framed };
      try { return handler.apply(this, values); } finally {
        depth = saved;
        // The observer's records are taken before judging: a change the callback (or a microtask it
        // queued, a promise's then) made may not have been delivered to it yet.
        const judge = () => {
          if (observer.takeRecords().length) clock.last = performance.now();
          const quiet = clock.last === before.last && set === before.set && started === before.started;
          clock.learned.set(source, quiet);
          if (quiet) clock.quiet.add(source);
          else clock.quiet.delete(source);
        };
        // A callback that asked for a frame is judged after that frame ran (ours is asked for after
        // it, so it runs after it), by what the callback and the frame changed together.
        if (source !== undefined) {
          if (framed !== before.framed) requestFrame.call(window, () => queueMicrotask(judge));
          else queueMicrotask(judge);
        }
      }
    };
    id = setTimer.call(window, run, delay, ...rest);
    if (level === 0) {
      timers.set(id, performance.now() + Math.max(0, Number(delay) || 0));
      sources.set(id, String(delay) + ' ' + String(new Error().stack).split('\\n').slice(2, 5).map((line) => line.trim()).join(' '));
    }
    return id;
  };
  window.clearTimeout = function (id) { timers.delete(id); sources.delete(id); return clearTimer.call(window, id); };
  // Requests for data the page has in flight (fetch, XMLHttpRequest): an API explorer renders its
  // document when the fetch of it answers, with a quiet DOM meanwhile. The answer counts as a change.
  clock.requests = 0;
  const answered = () => { clock.requests -= 1; clock.last = performance.now(); };
  const fetcher = window.fetch;
  if (fetcher) {
    window.fetch = function (...values) {
      clock.requests += 1;
      started += 1;
      let sent;
      try { sent = fetcher.apply(this, values); } catch (error) { answered(); throw error; }
      Promise.resolve(sent).then(answered, answered);
      return sent;
    };
  }
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...values) {
    clock.requests += 1;
    started += 1;
    this.addEventListener('loadend', answered, { once: true });
    try { return send.apply(this, values); } catch (error) { this.removeEventListener('loadend', answered); answered(); throw error; }
  };
})();`;

export interface ScannedElement {
  role: string;
  name: string;
  selector: string;
  tag: string;
  type: string;
  /** d disabled, s aria-selected, e expanded (and showing), c checked, p pressed, a active by a class (see activeByClass). */
  flags: string;
  value: string;
  x: number;
  y: number;
  width: number;
  height: number;
  actionable: boolean;
  listeners: string[];
  field?: { type: string; name: string; placeholder: string; required: boolean; minLength?: number; maxLength?: number; pattern?: string; min?: string; max?: string };
  options?: string[];
  keys?: string;
  href?: string;
  /** A look-alike's own row or item text that no other look-alike shows (see look-alike.ts). */
  anchor?: string;
  /** A look-alike with no anchor: which of those showing exactly the same texts it is (LookAlikeRow). */
  row?: LookAlikeRow;
  /** The page says it shows something hidden now: aria-expanded="false", or a declared popup while closed. */
  opens?: boolean;
  /** A modal dialog is open (aria-modal, or a <dialog> shown modally) and this element lies outside it, behind. */
  behindModal?: boolean;
  /**
   * An element carrying a state flag: which of the page's elements with its tag and name it is, in
   * page order, and how many there are — hidden ones included (see signatureOf).
   */
  alikeInPage?: { index: number; count: number };
  scrollable: boolean;
  draggable: boolean;
  /** Its name is text its children render, not its own (see ActionTarget.nameInside). */
  nameInside?: boolean;
  /** A list or panel whose click listener serves entries scanned inside it (event delegation): they are the places to click, not its centre. */
  delegates?: boolean;
}

export interface PageScan {
  title: string;
  url: string;
  headings: string[];
  elements: ScannedElement[];
  /**
   * Text a person reads on the page (headings, dialog names, control labels) as the page renders
   * it: a name that only an attribute gives (aria-label, title, placeholder) is left out, since
   * replay checks an expectation against the rendered text.
   */
  cues: string[];
  /** When the scan began, on the page's clock (performance.now()): a change after it may be missing from the scan. */
  at?: number;
  /** The direction the page is laid out in ('ltr', 'rtl'), as its root computes it: a page mirrored right to left is another view of it. */
  direction?: string;
  /** The page had work under way when scanned (a timer it set due within `pendingWithinMs`, a request in flight): what it does next may change the view. */
  pending?: boolean;
}

/** How far ahead a timer the page set counts as work under way at a scan, and the longest a second look waits. */
export const pendingWithinMs = 600;

/** Returns a PageScan of the interactive elements, headings and dialogs on screen. */
export const scanPage = `(() => {
  const at = performance.now();
  const listeners = window.__sfListeners;
  const clickRoles = new Set(['button','link','tab','menuitem','menuitemcheckbox','menuitemradio','checkbox','radio','option','switch','treeitem']);
  const textTypes = new Set(['text','email','url','tel','number','password','search','date','time','datetime-local','month','week','']);
  const interesting = new Set(['click','dblclick','contextmenu','mouseenter','mouseover','drop','dragstart','mousedown','pointerdown']);
  const implicitRole = (el) => {
    const tag = el.tagName.toLowerCase();
    if (tag === 'button' || tag === 'summary') return 'button';
    if (tag === 'a' && el.hasAttribute('href')) return 'link';
    if (tag === 'select') return 'combobox';
    if (tag === 'textarea') return 'textbox';
    if (tag === 'input') {
      const type = (el.getAttribute('type') || 'text').toLowerCase();
      if (type === 'checkbox' || type === 'radio') return type;
      if (type === 'button' || type === 'submit' || type === 'reset' || type === 'image') return 'button';
      if (type === 'range') return 'slider';
      return 'textbox';
    }
    if (el.isContentEditable) return 'textbox';
    return tag;
  };
  // Long enough for a control's whole accessible name (a tooltip-like aria-label): replay matches
  // the name exactly, so a cut name finds nothing.
  const text = (value) => (value || '').replace(/\\s+/g, ' ').trim().slice(0, 200);
  const nameOf = (el) => {
    const label = el.getAttribute('aria-label');
    if (label) return text(label);
    const by = el.getAttribute('aria-labelledby');
    if (by) { const parts = by.split(/\\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' '); if (text(parts)) return text(parts); }
    if (el.id) { const label = document.querySelector('label[for="' + CSS.escape(el.id) + '"]'); if (label && text(label.textContent)) return text(label.textContent); }
    const wrap = el.closest('label'); if (wrap && wrap !== el && text(wrap.textContent)) return text(wrap.textContent);
    const tag = el.tagName.toLowerCase();
    // A field's content is its value, not its name; a generic container's text is the free text of
    // everything inside it (a tree, a list): neither names a control, and neither may split a state.
    const semantic = el.hasAttribute('role') || ['a','button','summary','label','option','li','th','td','h1','h2','h3','h4','h5','h6'].includes(tag);
    if (tag !== 'input' && tag !== 'select' && tag !== 'textarea' && !el.isContentEditable && (semantic || el.childElementCount === 0) && text(el.innerText)) return text(el.innerText);
    return text(el.getAttribute('title') || el.getAttribute('placeholder') || el.getAttribute('alt') || el.getAttribute('name') || (tag === 'input' && /button|submit/.test(el.type) ? el.value : '') || '');
  };
  // Open shadow roots are part of the page a person sees (web components): walk them too.
  const roots = [];
  const collect = (root) => { roots.push(root); for (const el of root.querySelectorAll('*')) if (el.shadowRoot) collect(el.shadowRoot); };
  collect(document);
  const parentOf = (node) => node.parentElement || (node.parentNode && node.parentNode.host) || null;
  // Counted once per id (each selector walks up through every ancestor's id).
  const idCounts = new Map();
  const uniqueId = (el) => {
    if (!el.id) return false;
    if (!idCounts.has(el.id)) idCounts.set(el.id, roots.reduce((count, root) => count + root.querySelectorAll('#' + CSS.escape(el.id)).length, 0));
    return idCounts.get(el.id) === 1;
  };
  const selectorOf = (el) => {
    if (uniqueId(el)) return '#' + CSS.escape(el.id);
    const parts = [];
    let node = el;
    while (node && node.nodeType === 1 && node !== document.documentElement) {
      if (uniqueId(node)) { parts.unshift('#' + CSS.escape(node.id)); break; }
      const tag = node.tagName.toLowerCase();
      let index = 1; let sibling = node.previousElementSibling;
      while (sibling) { if (sibling.tagName === node.tagName) index += 1; sibling = sibling.previousElementSibling; }
      parts.unshift(tag + ':nth-of-type(' + index + ')');
      node = parentOf(node);
    }
    return parts.join(' > ');
  };
  // What a click at a point lands on, looking into shadow roots; and containment across them.
  const hitAt = (x, y) => {
    let hit = document.elementFromPoint(x, y);
    while (hit && hit.shadowRoot) { const inner = hit.shadowRoot.elementFromPoint(x, y); if (!inner || inner === hit) break; hit = inner; }
    return hit;
  };
  const holds = (el, hit) => { for (let node = hit; node; node = parentOf(node)) if (node === el) return true; return false; };
  const visible = (el) => {
    const rect = el.getBoundingClientRect();
    if (rect.width < 2 || rect.height < 2) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0.05;
  };
  // aria-expanded=true on a toggle whose region is hidden (markup shipped that way) shows nothing
  // open: the region it controls decides, when it can be found.
  const expandedShows = (el) => {
    const ids = (el.getAttribute('aria-controls') || '').split(/\\s+/).filter(Boolean);
    const target = el.getAttribute('data-target') || el.getAttribute('data-bs-target') || (/^#[\\w-]+$/.test(el.getAttribute('href') || '') ? el.getAttribute('href') : '');
    if (target && target.startsWith('#')) ids.push(target.slice(1));
    const regions = ids.map((id) => roots.map((root) => root.getElementById(id)).find(Boolean)).filter(Boolean);
    return regions.length === 0 || regions.some(visible);
  };
  // A tab, pill or menu entry that its page marks chosen by a class alone (Bootstrap's li.active
  // and nav-link.active, UIkit's uk-active, is-active, selected, current), on itself or on the item
  // it sits in: no ARIA says so, and a pane of text only would leave nothing else to tell the
  // views apart. Whole class names only, and never an aria-selected element (ARIA said it already).
  const activeClass = /^(is-|uk-)?(active|selected|current)$/;
  const activeByClass = (el) => !el.hasAttribute('aria-selected') && [el, el.parentElement].some((node) => node && [...node.classList].some((name) => activeClass.test(name)));
  // Open modal dialogs: while one shows, what lies behind it can be neither read nor used.
  const modals = roots.flatMap((root) => [...root.querySelectorAll('[aria-modal=true],dialog[open]')]).filter((el) => (el.tagName !== 'DIALOG' || el.matches(':modal')) && visible(el));
  const elements = [];
  // The element behind each scanned item, to read the text it renders.
  const shownOf = [];
  // Generic elements (no control by tag or role) that hear clicks, in page order: a list or a
  // panel that may serve the entries inside it through one listener.
  const delegators = [];
  const controls = new Set();
  // The delegator whose listener serves el as an entry of its own: one holding it with no control
  // between them (a span inside a button is the button's), where el is what shows a pointer cursor
  // (its parent does not: the top of the region that does), holds no control itself (a row with
  // its own buttons is their container, not an entry), and has a name.
  const delegatorOf = (el) => {
    if (!delegators.length) return undefined;
    let served;
    for (let node = parentOf(el); node && !served; node = parentOf(node)) {
      served = delegators.find((entry) => entry.el === node);
      if (!served && controls.has(node)) return undefined;
    }
    if (!served) return undefined;
    const parent = parentOf(el);
    if (getComputedStyle(el).cursor !== 'pointer' || (parent && parent.nodeType === 1 && getComputedStyle(parent).cursor === 'pointer')) return undefined;
    if (el.querySelector('a[href],button,input,select,textarea,summary,[role=button],[role=link],[role=tab],[role=menuitem],[role=checkbox],[role=radio],[role=option],[role=switch],[role=treeitem],[tabindex]:not([tabindex="-1"])')) return undefined;
    // An entry is read by its name: a nameless spot that takes the pointer (a map's region, a chart's
    // bar, an empty cell) is part of a picture, not an entry of a list.
    return nameOf(el) || text(el.innerText) ? served : undefined;
  };
  const all = roots.flatMap((root) => [...(root === document ? (document.body ? document.body.querySelectorAll('*') : []) : root.querySelectorAll('*'))]);
  for (let index = 0; index < all.length && elements.length < 400; index += 1) {
    const el = all[index];
    const tag = el.tagName.toLowerCase();
    if (tag === 'script' || tag === 'style' || tag === 'option') continue;
    const heard = [...(listeners?.get(el) || [])].filter((type) => interesting.has(type));
    if (el.onclick) heard.push('click');
    const role = el.getAttribute('role') || implicitRole(el);
    // Overflowing content first: the computed style is asked only of the few boxes that overflow.
    const scrollable = el.scrollHeight > el.clientHeight + 4 && /(auto|scroll)/.test(getComputedStyle(el).overflowY);
    const draggable = el.getAttribute('draggable') === 'true';
    const keys = el.getAttribute('aria-keyshortcuts') || undefined;
    const native = ['button','a','input','select','textarea','summary'].includes(tag) && (tag !== 'a' || el.hasAttribute('href'));
    const isInteractive = native || clickRoles.has(role) || heard.length > 0 || scrollable || draggable || keys || el.isContentEditable || (el.hasAttribute('tabindex') && el.tabIndex >= 0);
    // An entry of a list whose one click listener sits on the list (event delegation): it has no
    // listener, role or tabindex of its own, and a click on it reaches the list's. It is one control
    // to a person, and the list is many: clicked at its centre, the list hits whichever entry its
    // scroll puts there. Its click is the list's, heard through it.
    const servedBy = isInteractive ? undefined : delegatorOf(el);
    if (servedBy) heard.push('click');
    if ((!isInteractive && !servedBy) || !visible(el)) continue;
    const rect = el.getBoundingClientRect();
    const x = rect.left + rect.width / 2, y = rect.top + rect.height / 2;
    const inViewport = x >= 0 && y >= 0 && x < innerWidth && y < innerHeight;
    const hit = inViewport ? hitAt(x, y) : null;
    const disabled = el.disabled === true || el.getAttribute('aria-disabled') === 'true';
    const actionable = !disabled && !el.closest('[inert]') && Boolean(hit) && (holds(el, hit) || (hit.tagName === 'LABEL' && hit.control === el));
    const flags = (disabled ? 'd' : '') + (el.getAttribute('aria-selected') === 'true' ? 's' : '') + (el.getAttribute('aria-expanded') === 'true' && expandedShows(el) ? 'e' : '') + (el.checked || el.getAttribute('aria-checked') === 'true' ? 'c' : '') + (el.getAttribute('aria-pressed') === 'true' ? 'p' : '') + (activeByClass(el) ? 'a' : '');
    const item = { role, name: nameOf(el), selector: selectorOf(el), tag, type: (el.getAttribute('type') || '').toLowerCase(), flags, value: tag === 'select' ? el.value : '', x, y, width: rect.width, height: rect.height, actionable, listeners: heard, scrollable, draggable };
    if ((tag === 'input' && textTypes.has(item.type)) || tag === 'textarea' || el.isContentEditable) {
      item.field = { type: item.type || 'text', name: el.getAttribute('name') || '', placeholder: el.getAttribute('placeholder') || '', required: el.required === true };
      if (el.minLength > 0) item.field.minLength = el.minLength;
      if (el.maxLength > 0) item.field.maxLength = el.maxLength;
      if (el.getAttribute('pattern')) item.field.pattern = el.getAttribute('pattern');
      if (el.getAttribute('min')) item.field.min = el.getAttribute('min');
      if (el.getAttribute('max')) item.field.max = el.getAttribute('max');
    }
    if (tag === 'select') item.options = [...el.options].map((option) => option.value).filter((value) => value !== '').slice(0, 5);
    if (keys) item.keys = keys;
    const popup = el.getAttribute('aria-haspopup');
    if (!disabled && (el.getAttribute('aria-expanded') === 'false' || (popup && popup !== 'false' && el.getAttribute('aria-expanded') !== 'true'))) item.opens = true;
    if (tag === 'a' && el.href) item.href = el.href;
    if (modals.length && !modals.some((modal) => holds(modal, el))) item.behindModal = true;
    if (servedBy) {
      // Named by the text it shows, as a person reads it (nameOf leaves a generic element that
      // holds others unnamed, taking its text for content), and its list is no place to click.
      if (!item.name && el.childElementCount > 0 && text(el.innerText)) {
        item.name = text(el.innerText);
        item.nameInside = true;
      }
      elements[servedBy.index].delegates = true;
    }
    // A control by tag or role is one control, whatever it holds; a generic element that hears
    // clicks may serve entries inside it.
    if (native || clickRoles.has(role)) controls.add(el);
    else if (!servedBy && heard.some((type) => type === 'click' || type === 'mousedown' || type === 'pointerdown')) delegators.push({ el, index: elements.length });
    elements.push(item);
    shownOf.push(el);
  }
  // Look-alikes (one actions button per tree row): the first text of each one's own row that no
  // other's row shows, read by the same code the recorder and replay's DOM rung use.
  const lookAlikeTexts = ${lookAlikeTextsSource};
  const groups = new Map();
  elements.forEach((item, index) => { if (item.name) groups.set(item.role + '|' + item.name, [...(groups.get(item.role + '|' + item.name) || []), index]); });
  for (const members of groups.values()) {
    if (members.length < 2 || members.length > 50) continue;
    const alike = members.map((index) => shownOf[index]);
    const texts = alike.map((element) => lookAlikeTexts(element, alike).map((text) => text.toLowerCase()));
    const keys = texts.map((list) => list.join('\\n'));
    members.forEach((index, position) => {
      const theirs = new Set(texts.filter((_, other) => other !== position).flat());
      const shows = lookAlikeTexts(alike[position], alike);
      const own = shows.find((text) => !theirs.has(text.toLowerCase()));
      if (own) elements[index].anchor = own;
      else {
        // No text of its own (two empty rows): which of the look-alikes showing exactly these texts it is.
        const same = keys.flatMap((key, other) => (key === keys[position] ? [other] : []));
        elements[index].row = { texts: shows.slice(0, 12), nth: same.indexOf(position), count: same.length };
      }
    });
  }
  // A control carrying a state flag (a chosen tab, an expanded section): which of the page's
  // elements with its tag and name it is, hidden ones included. Operations that each show an
  // "Example" tab, or a "Response" tab once run, with the rest kept hidden in the page: counted
  // among the visible ones, the chosen tabs read the same whichever operation showed its response.
  const namesOfTag = new Map();
  const sameNamed = (tag, name) => {
    if (!namesOfTag.has(tag)) namesOfTag.set(tag, roots.flatMap((root) => [...root.querySelectorAll(tag)]).map((el) => ({ el, name: nameOf(el) })));
    return namesOfTag.get(tag).filter((entry) => entry.name === name).map((entry) => entry.el);
  };
  elements.forEach((item, index) => {
    if (!item.name || item.flags.replace(/d/g, '') === '') return;
    const alike = sameNamed(item.tag, item.name);
    const place = alike.indexOf(shownOf[index]);
    if (place >= 0) item.alikeInPage = { index: place, count: alike.length };
  });
  const headingElements = roots.flatMap((root) => [...root.querySelectorAll('h1,h2,h3,[role=heading]')]).filter(visible).slice(0, 30);
  const headings = headingElements.map((el) => el.tagName.toLowerCase() + ':' + text(el.textContent));
  const dialogs = roots.flatMap((root) => [...root.querySelectorAll('[role=dialog],[role=alertdialog],dialog[open]')]).filter(visible);
  for (const dialog of dialogs) headings.push('dialog:' + nameOf(dialog));
  const shown = (el, name) => Boolean(name) && text(el.innerText).includes(name);
  const cues = [
    ...headingElements.map((el) => text(el.innerText)),
    ...dialogs.map((el) => nameOf(el)).filter((name, index) => shown(dialogs[index], name)),
    ...elements.filter((item, index) => !item.field && item.tag !== 'select' && shown(shownOf[index], item.name)).map((item) => item.name),
  ].filter(Boolean);
  const clock = window.__sfChanges;
  const pending = Boolean(clock) && (clock.requests > 0 || clock.due().some((time) => time <= performance.now() + ${pendingWithinMs}));
  const direction = getComputedStyle(document.documentElement).direction;
  return { title: document.title, url: location.href, headings, elements, cues: [...new Set(cues)], at, pending, direction };
})()`;

/**
 * A second look at a page scanned at `at` (its clock): true when its DOM changed after `at`, so the
 * scan may have caught it mid-change — read once the page settled again (quiet for `quietMs`, its due
 * timers and requests answered, at most `maxMs`) when anything changed or is pending, else at once.
 * A page without the change clock: false.
 */
export const changedSince = (at: number, quietMs: number, maxMs: number) => `(() => {
  const clock = window.__sfChanges;
  if (!clock) return false;
  // Nothing changed since the scan began and nothing is pending (a timer due within the wait, a
  // request in flight): the scan stands, with no frame waited for (the common case, one round trip).
  const due = clock.due().some((time) => time <= performance.now() + ${maxMs});
  if (clock.last <= ${at} && !due && !(clock.requests > 0)) return false;
  return ${settleScript(quietMs, maxMs, true)}.then(() => clock.last > ${at});
})()`;

/** Resolves after two animation frames: the page has laid out what changed and updated what is under the pointer. */
export const twoFrames = 'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))))';

/**
 * What a settle waited on when it ended: `quiet` when the page settled; at its bound, what it was
 * still waiting for — DOM changes (`dom`), a timer the page set (`timer`), a request in flight
 * (`request`) or a finite animation (`animation`). Counted by the explore driver, so a page that
 * keeps every settle to its bound shows why.
 */
export type SettleEnd = 'quiet' | 'dom' | 'timer' | 'request' | 'animation';

/** How a settle ended, and the ms it spent waiting on each thing (the frames after the quiet are `frame`). */
export interface SettleResult {
  end: SettleEnd;
  spent: Partial<Record<Exclude<SettleEnd, 'quiet'> | 'frame', number>>;
  /** How many times it waited for a timer the page set to fall due. */
  timerWaits: number;
  /** By source, whether the page's timers' callbacks in this document changed nothing (see listenerTracker). */
  learned: [string, boolean][];
}

/**
 * Resolves once the DOM has been quiet for `quietMs` (or after `maxMs`): the UI has settled.
 * `fromAction`: the quiet is counted from the page's own change clock (the later of the action's
 * mark and the DOM's last change, see `listenerTracker`), so the time since the action counts; on a
 * page without the clock (or a new document: no action mark), from its last change or from now.
 * Resolves with a SettleResult.
 */
export const settleScript = (quietMs: number, maxMs: number, fromAction = false, quietSources: readonly string[] = []) => `new Promise((resolve) => {
  const started = performance.now();
  const clock = ${fromAction ? 'window.__sfChanges' : 'undefined'};
  // Timer sources seen to change nothing on earlier pages, unless this page's own callback from one changed something.
  if (clock && clock.quiet) for (const source of ${JSON.stringify(quietSources)}) if (clock.learned.get(source) !== false) clock.quiet.add(source);
  const wait = clock && clock.wait ? clock.wait : setTimeout;
  let last = started;
  const since = () => (clock ? Math.max(clock.last, clock.acted) : last);
  // Quiet DOM is not enough: a panel sliding open by a CSS transition changes no node, yet its
  // content is half visible until it ends. Wait for finite animations too (spinners loop forever).
  const finite = () => (document.getAnimations ? document.getAnimations() : []).filter((animation) => animation.playState === 'running' && animation.effect && animation.effect.getComputedTiming().iterations !== Infinity);
  // Milliseconds an animation has left to play (Infinity when it cannot tell).
  const remaining = (animation) => {
    const timing = animation.effect.getComputedTiming();
    const rate = Math.abs(animation.playbackRate || 0);
    const end = Number(timing.endTime);
    const now = Number(animation.currentTime);
    return rate > 0 && Number.isFinite(end) && Number.isFinite(now) ? (animation.playbackRate > 0 ? end - now : now) / rate : Infinity;
  };
  let timer;
  let observer;
  let waitingOn = 'dom';
  let timerWaits = 0;
  const spent = {};
  let since_ = started;
  // The time since the last check goes to what that check waited on.
  const charge = () => { const now = performance.now(); spent[waitingOn] = Math.round((spent[waitingOn] || 0) + now - since_); since_ = now; };
  const done = (value) => { charge(); clearTimeout(timer); if (observer) observer.disconnect(); resolve({ end: value ? 'quiet' : waitingOn, spent, timerWaits, learned: clock && clock.learned ? [...clock.learned] : [] }); };
  // The next frame runs what waits for one (animation-frame callbacks, resize and intersection
  // observers): a change it makes is waited for like any other, else the page is settled.
  const finish = (value) => {
    charge();
    if (value) waitingOn = 'frame';
    const before = since();
    requestAnimationFrame(() => (value && since() > before && performance.now() - started <= ${maxMs} ? check() : done(value)));
  };
  const check = () => {
    charge();
    const now = performance.now();
    if (now - started > ${maxMs}) return finish(false);
    const quiet = now - since();
    if (quiet < ${quietMs}) { waitingOn = 'dom'; timer = wait(check, ${quietMs} - quiet); return; }
    // A timer the page set that falls due before this wait would give up, or a request for data
    // in flight (see listenerTracker): wait for it, then for quiet again (what follows may change the page).
    const due = clock && clock.due ? clock.due().filter((at) => at <= started + ${maxMs}) : [];
    if (due.length) { waitingOn = 'timer'; timerWaits += 1; timer = wait(check, Math.max(1, Math.min(...due) - now + 1)); return; }
    if (clock && clock.requests > 0) { waitingOn = 'request'; timer = wait(check, 20); return; }
    const running = finite();
    const left = ${maxMs} - (now - started);
    if (running.length && left > 0) {
      waitingOn = 'animation';
      // One that would end within this wait is played to its end now: the page reaches the state the
      // wait would have shown (its end events fire, as they would), without the frames in between.
      // Ones that would outlast the wait (a toast's fade after seconds) are waited for as before.
      const ending = running.filter((animation) => remaining(animation) <= left);
      if (ending.length) {
        for (const animation of ending) { try { animation.finish(); } catch {} }
        // End events (transitionend, animationend) are dispatched at the next frame; what their
        // handlers change is then waited for like any other change.
        requestAnimationFrame(() => { timer = wait(check, 0); });
        return;
      }
      Promise.race([Promise.all(running.map((animation) => animation.finished.catch(() => undefined))), new Promise((wake) => wait(wake, left))]).then(() => finish(true));
      return;
    }
    finish(true);
  };
  if (!clock) {
    observer = new MutationObserver(() => { last = performance.now(); });
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  }
  check();
})`;
