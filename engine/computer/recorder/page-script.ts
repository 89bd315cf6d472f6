/**
 * The listeners injected into every page of a web recording (as source text: the function never
 * runs in Node, and a string keeps bundler helpers out of the page).
 *
 * They report trusted input only (a person's, or Playwright's CDP input standing in for one;
 * never events the page script fabricates), each with a description of the element it hit:
 * role and accessible name first, then test id, text and a unique CSS path, plus which of those
 * is unique in the page right now. Text typed into password fields never leaves the page.
 */
import { elementStateSource, interactiveSelector } from '../element-state.ts';
import { lookAlikeTextsSource } from '../look-alike.ts';

export const bindingName = '__skillframeRecord';

export const pageScript = String.raw`
(() => {
  if (window.__skillframeListening) return;
  window.__skillframeListening = true;
  const send = (message) => {
    try { window.${bindingName}(message); } catch (error) { /* binding gone: the page is closing */ }
  };
  let nextKey = 1;
  const keys = new WeakMap();
  const keyOf = (element) => {
    if (!keys.has(element)) keys.set(element, nextKey++);
    return 'dom:' + keys.get(element);
  };
  const clean = (text, max) => (text || '').replace(/\s+/g, ' ').trim().slice(0, max || 120);

  const inputRoles = { button: 'button', submit: 'button', reset: 'button', image: 'button', checkbox: 'checkbox', radio: 'radio', range: 'slider', number: 'spinbutton', search: 'searchbox', email: 'textbox', tel: 'textbox', text: 'textbox', url: 'textbox', password: 'textbox' };
  const roleOf = (element) => {
    const explicit = element.getAttribute('role');
    if (explicit) return explicit.split(/\s+/)[0];
    const tag = element.tagName.toLowerCase();
    if (tag === 'button') return 'button';
    if (tag === 'a' && element.hasAttribute('href')) return 'link';
    if (tag === 'input') return inputRoles[(element.getAttribute('type') || 'text').toLowerCase()] || 'textbox';
    if (tag === 'textarea') return 'textbox';
    if (tag === 'select') return element.multiple || element.size > 1 ? 'listbox' : 'combobox';
    if (tag === 'option') return 'option';
    if (/^h[1-6]$/.test(tag)) return 'heading';
    if (tag === 'img') return 'img';
    if (tag === 'li') return 'listitem';
    if (tag === 'td') return 'cell';
    if (tag === 'th') return 'columnheader';
    if (tag === 'tr') return 'row';
    if (tag === 'table') return 'table';
    if (tag === 'dialog') return 'dialog';
    if (tag === 'summary') return 'button';
    if (tag === 'nav') return 'navigation';
    if (tag === 'form') return 'form';
    return undefined;
  };
  const labelText = (element) => {
    if (element.labels && element.labels.length) return clean(Array.from(element.labels).map((label) => label.innerText).join(' '));
    return undefined;
  };
  const nameOf = (element) => {
    const labelledBy = element.getAttribute('aria-labelledby');
    if (labelledBy) {
      const text = labelledBy.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean).map((node) => node.innerText || node.textContent).join(' ');
      if (clean(text)) return clean(text);
    }
    const aria = element.getAttribute('aria-label');
    if (aria && clean(aria)) return clean(aria);
    const tag = element.tagName.toLowerCase();
    if (tag === 'input' || tag === 'textarea' || tag === 'select') {
      const type = (element.getAttribute('type') || '').toLowerCase();
      if (type === 'submit' || type === 'button' || type === 'reset') return clean(element.value) || (type === 'submit' ? 'Submit' : undefined);
      return labelText(element) || clean(element.getAttribute('title')) || clean(element.getAttribute('placeholder')) || undefined;
    }
    if (tag === 'img') return clean(element.getAttribute('alt')) || undefined;
    const role = roleOf(element);
    const fromContent = ['button', 'link', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'tab', 'option', 'heading', 'cell', 'columnheader', 'rowheader', 'checkbox', 'radio', 'switch', 'treeitem', 'listitem', 'row'];
    if (role && fromContent.includes(role)) return clean(element.innerText || element.textContent) || clean(element.getAttribute('title')) || undefined;
    if (role === 'dialog' || role === 'alertdialog') {
      const heading = element.querySelector('h1, h2, h3, [role=heading]');
      return heading ? clean(heading.innerText) : undefined;
    }
    return clean(element.getAttribute('title')) || undefined;
  };
  const visible = (element) => {
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) return false;
    const style = getComputedStyle(element);
    return style.visibility !== 'hidden' && style.display !== 'none';
  };
  const cssEscape = (value) => (window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/[^\w-]/g, '\\$&'));
  const unique = (selector) => {
    try { return document.querySelectorAll(selector).length === 1; } catch (error) { return false; }
  };
  const cssOf = (element) => {
    if (element.id && unique('#' + cssEscape(element.id))) return '#' + cssEscape(element.id);
    const testId = element.getAttribute('data-testid');
    if (testId && unique('[data-testid="' + testId.replace(/"/g, '\\"') + '"]')) return '[data-testid="' + testId.replace(/"/g, '\\"') + '"]';
    const parts = [];
    let node = element;
    while (node && node.nodeType === 1 && node !== document.documentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) {
        parts.unshift('#' + cssEscape(node.id) + (parts.length ? '' : ''));
        const candidate = parts.join(' > ');
        if (unique(candidate)) return candidate;
        parts.shift();
      }
      const name = node.getAttribute('name');
      if (name && ['input', 'select', 'textarea', 'button'].includes(part)) part += '[name="' + name.replace(/"/g, '\\"') + '"]';
      const parent = node.parentElement;
      if (parent) {
        const same = Array.from(parent.children).filter((child) => child.tagName === node.tagName);
        if (same.length > 1) part += ':nth-of-type(' + (same.indexOf(node) + 1) + ')';
      }
      parts.unshift(part);
      const candidate = parts.join(' > ');
      if (unique(candidate)) return candidate;
      node = parent;
    }
    return parts.join(' > ');
  };
  // The nearest ancestor (across shadow roots) with an id that looks stable: not minted per load
  // (base64 with '=', React's ':r1:', long digit runs).
  const scopeOf = (element) => {
    let node = element.parentElement || (element.getRootNode() && element.getRootNode().host);
    while (node && node !== document.body && node !== document.documentElement) {
      const id = node.id;
      if (id && id.length <= 100 && !/[=:]|\d{4,}/.test(id)) return '#' + cssEscape(id);
      node = node.parentElement || (node.getRootNode() && node.getRootNode().host);
    }
    return undefined;
  };
  const withRoleName = (role, name) => {
    if (!role || !name) return [];
    const found = [];
    const all = document.querySelectorAll('*');
    for (let index = 0; index < all.length && index < 8000; index++) {
      const element = all[index];
      if (roleOf(element) === role && nameOf(element) === name && visible(element)) found.push(element);
    }
    return found;
  };
  const withText = (text) => {
    if (!text) return [];
    const found = [];
    const all = document.querySelectorAll('body *');
    for (let index = 0; index < all.length && index < 8000; index++) {
      const element = all[index];
      // Innermost elements whose own text is exactly this.
      if (clean(element.innerText) === text && !Array.from(element.children).some((child) => clean(child.innerText) === text)) found.push(element);
    }
    return found;
  };
  const lookAlikeTexts = ${lookAlikeTextsSource};
  // Look-alikes (one "Archive" button per row): the first text of the element's own row or card
  // that no other look-alike's row or card shows, as a person would say "Archive in the Globex row".
  const anchorOf = (element, alike) => {
    if (alike.length < 2 || !alike.includes(element) || alike.length > 50) return undefined;
    const others = alike.filter((other) => other !== element);
    const theirs = new Set(others.flatMap((other) => lookAlikeTexts(other, alike).map((text) => text.toLowerCase())));
    return lookAlikeTexts(element, alike).find((text) => !theirs.has(text.toLowerCase()));
  };
  const quote = (text) => JSON.stringify(text).replace(/^"|"$/g, '').replace(/'/g, "\\'");
  const isPassword = (element) => Boolean(element && element.tagName === 'INPUT' && ((element.type || '').toLowerCase() === 'password' || /password/i.test(element.getAttribute('autocomplete') || '')));
  const describe = (element) => {
    const rect = element.getBoundingClientRect();
    const target = { tag: element.tagName.toLowerCase(), box: { x: rect.x, y: rect.y, width: rect.width, height: rect.height } };
    const role = roleOf(element);
    const name = nameOf(element);
    const testId = element.getAttribute('data-testid') || element.getAttribute('data-test-id') || element.getAttribute('data-test') || undefined;
    const text = isPassword(element) ? undefined : clean(element.innerText || '', 80) || undefined;
    if (role) target.role = role;
    if (name) target.name = name;
    if (testId) target.testId = testId;
    if (text) target.text = text;
    if (element.id) target.elementId = element.id;
    if (element.tagName === 'INPUT') target.inputType = (element.getAttribute('type') || 'text').toLowerCase();
    const label = labelText(element);
    if (label) target.label = label;
    const placeholder = element.getAttribute('placeholder');
    if (placeholder) target.placeholder = clean(placeholder);
    if (element.tagName === 'A' && element.getAttribute('href')) target.href = element.getAttribute('href');
    target.css = cssOf(element);
    const scope = scopeOf(element);
    if (scope) target.scope = scope;
    const sameRoleName = withRoleName(role, name);
    // Text matches are costly to find (innerText of every element): only where role and name say nothing.
    const sameText = !sameRoleName.length && text && text.length <= 60 ? withText(text) : [];
    const anchor = anchorOf(element, sameRoleName.length ? sameRoleName : sameText);
    if (anchor) target.anchorText = anchor;
    if (role && name && sameRoleName.length === 1) {
      target.strategy = 'role';
      target.locator = "getByRole('" + role + "', { name: '" + quote(name) + "', exact: true })";
    } else if (testId && unique('[data-testid="' + testId.replace(/"/g, '\\"') + '"]')) {
      target.strategy = 'testId';
      target.locator = "getByTestId('" + quote(testId) + "')";
    } else if (text && text.length <= 60 && (sameText.length ? sameText : withText(text)).length === 1) {
      target.strategy = 'text';
      target.locator = "getByText('" + quote(text) + "', { exact: true })";
    } else if (target.css && unique(target.css)) {
      target.strategy = 'css';
      target.locator = "locator('" + quote(target.css) + "')";
    } else {
      target.strategy = 'position';
    }
    return target;
  };
  const interactiveSelector = ${JSON.stringify(interactiveSelector)};
  const interactive = (node) => {
    const element = node && node.nodeType === 1 ? node : node && node.parentElement;
    if (!element) return document.body;
    return element.closest(interactiveSelector) || element;
  };
  // After-states, taken synchronously in the hook of the next input, before that input is
  // applied (listeners on window, added before any page script, run first): a step's after-state
  // can never show what the next step typed, however fast the typing.
  const deepActive = () => {
    let element = document.activeElement;
    while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
    return element;
  };
  const elementState = ${elementStateSource};
  let lastActed = undefined;
  let lastKind = undefined;
  const pageState = (taken) => {
    const shown = [];
    const add = (element, fallbackRole) => {
      if (shown.length < 20 && element && visible(element)) shown.push({ role: roleOf(element) || fallbackRole, name: nameOf(element) || '' });
    };
    for (const element of document.querySelectorAll('[role=dialog], [role=alertdialog], dialog[open]')) add(element, 'dialog');
    if (lastActed && lastActed.isConnected) {
      for (const id of (lastActed.getAttribute('aria-controls') || '').split(/\s+/).filter(Boolean)) add(document.getElementById(id), 'region');
    }
    const active = deepActive();
    const text = (document.body ? document.body.innerText || '' : '').split('\n').map((line) => clean(line, 200)).filter(Boolean).slice(0, 600);
    const state = { taken, shown, text };
    if (lastActed) state.target = elementState(lastActed);
    if (active && active !== document.body) state.focused = { role: roleOf(active), name: nameOf(active) };
    return state;
  };
  window.__skillframeState = () => pageState('settled');
  /** What a pointer press saw before it was applied, for the click that follows it. */
  let pressed = undefined;
  window.addEventListener('pointerdown', (event) => {
    if (!event.isTrusted) return;
    const element = interactive(hitOf(event));
    pressed = { at: Date.now(), element, prior: pageState('input'), targetBefore: elementState(element) };
  }, true);
  const acted = (element, kind) => {
    lastActed = element;
    lastKind = kind;
  };
  // Inside an open shadow root the event is retargeted to the host; the path knows the real target.
  const hitOf = (event) => (event.composedPath && event.composedPath()[0]) || event.target;
  const pointer = (type, event, target) => {
    if (!event.isTrusted) return;
    const element = target || interactive(hitOf(event));
    const message = { kind: type, x: event.clientX, y: event.clientY, detail: event.detail, at: performance.timeOrigin + event.timeStamp, target: describe(element), targetKey: keyOf(element) };
    if (pressed && pressed.element === element && Date.now() - pressed.at < 10000) {
      message.prior = pressed.prior;
      message.targetBefore = pressed.targetBefore;
    }
    pressed = undefined;
    acted(element, type);
    send(message);
  };
  // detail 0: a click the browser made for a key (Enter submitting a form, Space on a button); the key is recorded.
  // A click on a <label> makes the browser click its control too: a trusted event with the same
  // detail, a moment later. The person clicked once, meaning the control: one step, on the control.
  let forwarded = undefined;
  document.addEventListener('click', (event) => {
    if (event.button !== 0 || event.detail <= 0) return;
    const hit = hitOf(event);
    if (forwarded && forwarded.control === hit && event.timeStamp - forwarded.at < 100) {
      forwarded = undefined;
      return;
    }
    const path = event.composedPath ? event.composedPath() : [];
    const label = path.find((node) => node instanceof HTMLLabelElement);
    forwarded = label && label.control && label.control !== hit ? { control: label.control, at: event.timeStamp } : undefined;
    pointer('click', event, forwarded ? forwarded.control : undefined);
  }, true);
  document.addEventListener('dblclick', (event) => pointer('double_click', event), true);
  document.addEventListener('contextmenu', (event) => pointer('right_click', event), true);
  document.addEventListener('auxclick', (event) => { if (event.button === 1) pointer('middle_click', event); }, true);

  const modifierKeys = ['Control', 'Alt', 'Shift', 'Meta', 'CapsLock', 'NumLock', 'AltGraph', 'Dead', 'Unidentified'];
  const keyNames = { ' ': 'Space', Esc: 'Escape', Left: 'ArrowLeft', Right: 'ArrowRight', Up: 'ArrowUp', Down: 'ArrowDown', Del: 'Delete' };
  window.addEventListener('keydown', (event) => {
    if (!event.isTrusted || event.isComposing || modifierKeys.includes(event.key)) return;
    const element = deepActive() || document.body;
    const chorded = event.ctrlKey || event.metaKey || (event.altKey && !event.getModifierState('AltGraph'));
    const masked = isPassword(element);
    const isChar = event.key.length === 1 && !chorded;
    // A keystroke that continues typing into the same field is part of the same step: no state.
    const starts = !(isChar && lastKind === 'char' && lastActed === element);
    const extra = starts ? { prior: pageState('input'), targetBefore: elementState(element) } : {};
    acted(element, isChar ? 'char' : 'key');
    if (isChar) {
      send({ kind: 'char', text: masked ? undefined : event.key, masked, at: performance.timeOrigin + event.timeStamp, target: describe(element), targetKey: keyOf(element), ...extra });
      return;
    }
    let key = keyNames[event.key] || event.key;
    if (key.length === 1) key = key.toLowerCase();
    const parts = [];
    if (event.ctrlKey) parts.push('ctrl');
    if (event.altKey) parts.push('alt');
    if (event.shiftKey) parts.push('shift');
    if (event.metaKey) parts.push('meta');
    parts.push(key);
    send({ kind: 'key', key: parts.join('+'), masked, at: performance.timeOrigin + event.timeStamp, target: describe(element), targetKey: keyOf(element), ...extra });
  }, true);
  // Every value a password field has held (never sent, only used to scrub stored text): a snapshot
  // taken mid-typing shows a prefix of the final password, which scrubbing the final value would miss.
  const passwordHistory = [];
  document.addEventListener('input', (event) => {
    const element = event.target;
    if (element && isPassword(element) && element.value.length >= 3 && !passwordHistory.includes(element.value)) {
      passwordHistory.push(element.value);
      if (passwordHistory.length > 500) passwordHistory.shift();
    }
  }, true);
  document.addEventListener('input', (event) => {
    if (!event.isTrusted) return;
    const element = event.target;
    if (!element || element.nodeType !== 1) return;
    const masked = isPassword(element);
    const value = 'value' in element ? String(element.value) : clean(element.innerText, 2000);
    send({ kind: 'value', value: masked ? undefined : value.slice(0, 2000), masked, targetKey: keyOf(element) });
  }, true);
  // A field whose page handles the keys itself (an upper-casing coupon field that sets the value
  // and swallows the key) fires no input event: its value as the page kept it is read on key up.
  document.addEventListener('keyup', (event) => {
    if (!event.isTrusted || event.key.length !== 1 || event.ctrlKey || event.metaKey) return;
    const element = event.target;
    if (!element || (element.tagName !== 'INPUT' && element.tagName !== 'TEXTAREA')) return;
    const masked = isPassword(element);
    send({ kind: 'value', value: masked ? undefined : String(element.value).slice(0, 2000), masked, targetKey: keyOf(element) });
  }, true);
  document.addEventListener('change', (event) => {
    if (!event.isTrusted) return;
    const element = event.target;
    if (!element || element.tagName !== 'SELECT') return;
    // The list's other options too: one recording then says which values the choice can take.
    const target = describe(element);
    target.options = Array.from(element.options).slice(0, 200).map((option) => clean(option.text, 200));
    send({ kind: 'select', value: clean(element.options[element.selectedIndex] ? element.options[element.selectedIndex].text : element.value), target, targetKey: keyOf(element) });
  }, true);
  let wheel = undefined;
  document.addEventListener('wheel', (event) => {
    if (!event.isTrusted) return;
    const unit = event.deltaMode === 1 ? 40 : event.deltaMode === 2 ? window.innerHeight : 1;
    const element = interactive(event.target);
    const extra = lastKind === 'scroll' ? {} : { prior: pageState('input') };
    acted(element, 'scroll');
    send({ kind: 'scroll', x: event.clientX, y: event.clientY, dx: event.deltaX * unit, dy: event.deltaY * unit, at: performance.timeOrigin + event.timeStamp, target: describe(element), ...extra });
  }, { capture: true, passive: true });

  /** For frames: where password fields are, and what they hold (so no stored text can contain it). */
  window.__skillframePrivacy = () => {
    const boxes = [];
    const secrets = passwordHistory.slice();
    const names = [];
    for (const element of document.querySelectorAll('input')) {
      if (!isPassword(element)) continue;
      if (element.value) secrets.push(element.value);
      const name = nameOf(element);
      if (name) names.push(name);
      if (!visible(element)) continue;
      const rect = element.getBoundingClientRect();
      boxes.push({ x: rect.x, y: rect.y, width: rect.width, height: rect.height });
    }
    for (const element of document.querySelectorAll('[data-skillframe-mask]')) {
      const rect = element.getBoundingClientRect();
      boxes.push({ x: rect.x, y: rect.y, width: rect.width, height: rect.height });
    }
    return { boxes, secrets, names };
  };
})();
`;
