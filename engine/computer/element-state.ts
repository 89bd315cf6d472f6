/**
 * How a page element's own state is read (ARIA states, focus, form value), as JavaScript source:
 * the web recorder runs it in the page's input hooks to record what an action changed, and replay
 * runs the same code to check that change. One definition, so both read the same thing.
 * The function takes an element and returns an ElementState (core/schemas/trajectory.ts).
 */
export const elementStateSource = String.raw`(element) => {
  if (!element || !element.isConnected) return { present: false };
  const rect = element.getBoundingClientRect();
  const style = getComputedStyle(element);
  const state = { present: (rect.width > 0 || rect.height > 0) && style.visibility !== 'hidden' && style.display !== 'none' };
  const flag = (name) => {
    const value = element.getAttribute(name);
    return value === 'true' ? true : value === 'false' ? false : undefined;
  };
  const expanded = element.tagName === 'SUMMARY' && element.parentElement && element.parentElement.tagName === 'DETAILS' ? element.parentElement.open : flag('aria-expanded');
  if (expanded !== undefined) state.expanded = expanded;
  const type = (element.getAttribute('type') || '').toLowerCase();
  const checkable = element.tagName === 'INPUT' && (type === 'checkbox' || type === 'radio');
  const checked = checkable ? element.checked : flag('aria-checked');
  if (checked !== undefined) state.checked = checked;
  const selected = element.tagName === 'OPTION' ? element.selected : flag('aria-selected');
  if (selected !== undefined) state.selected = selected;
  const pressed = flag('aria-pressed');
  if (pressed !== undefined) state.pressed = pressed;
  let active = document.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
  // Containment across shadow roots: the focused field may sit in a shadow tree inside the element.
  const within = (node) => {
    for (let current = node; current; current = current.parentNode || current.host) if (current === element) return true;
    return false;
  };
  state.focused = Boolean(active && active !== document.body && within(active));
  const password = type === 'password' || /password/i.test(element.getAttribute('autocomplete') || '');
  if (['INPUT', 'TEXTAREA', 'SELECT'].includes(element.tagName) && !password && !checkable) state.value = String(element.value).slice(0, 2000);
  return state;
}`;

/** Elements an action lands on (a click inside a button's icon acts on the button). */
export const interactiveSelector =
  'button, a[href], input, select, textarea, summary, option, [role=button], [role=link], [role=menuitem], [role=menuitemcheckbox], [role=menuitemradio], [role=tab], [role=option], [role=checkbox], [role=radio], [role=switch], [role=treeitem], [role=gridcell], [role=cell], [role=row], [role=listitem], [contenteditable=true], label, td, th, li, [onclick], [tabindex], [data-testid]';

/**
 * The focused text field's value (through open shadow roots), or null when the focus is not on an
 * input or textarea: what a type step's exact check reads. JavaScript source taking no argument.
 */
export const focusedFieldValueSource = String.raw`() => {
  let active = document.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
  return active && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA') ? active.value : null;
}`;
