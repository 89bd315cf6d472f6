/**
 * How a look-alike is told apart on a web page (one "Archive" button per table row, one "Edit"
 * link per card), as JavaScript source: the web recorder runs it to record the text a person would
 * name the target by ("the Archive button in the Globex row"), and replay's DOM rung runs the same
 * code over the live matches to find the one that carries that text. One definition, so both read
 * the same thing.
 *
 * The function takes an element and its look-alikes (elements matching the same locator; the element
 * itself may be among them) and returns the texts that identify the element's own row, item or
 * card, best first:
 * - its container is the largest ancestor that holds no other look-alike (a table row, a list item,
 *   a card); with no other look-alike, the nearest row, item, card, section or form;
 * - the texts are the container's headings and row headers first (h1–h6, role heading, a row's
 *   header cell, legend, caption), then its cells and lines of text in order; the element's own
 *   text and labels inside it never identify it; at most 12 texts of at most 120 characters;
 * - last, among look-alikes, the label just before its container: the last line of the nearest of
 *   the container's three earlier siblings that shows text, unless that sibling holds another
 *   look-alike (a table's previous row never labels the next).
 */
export const lookAlikeTextsSource = String.raw`(element, others) => {
  const clean = (text) => (text || '').replace(/\s+/g, ' ').trim();
  const parentOf = (node) => node.parentElement || (node.getRootNode && node.getRootNode().host) || null;
  const holds = (node, other) => {
    for (let current = other; current; current = parentOf(current)) if (current === node) return true;
    return false;
  };
  const rest = others.filter((other) => other !== element);
  let container = element;
  if (rest.length) {
    for (let parent = parentOf(container); parent && parent !== document.body && parent !== document.documentElement; parent = parentOf(parent)) {
      if (rest.some((other) => holds(parent, other))) break;
      container = parent;
    }
  } else {
    container = element.closest('tr, [role=row], li, [role=listitem], article, [role=article], [role=group], fieldset, section, [role=region], dialog, [role=dialog], form') || element.parentElement || element;
  }
  if (container === element) return [];
  const own = new Set([clean(element.innerText || element.textContent), clean(element.getAttribute('aria-label')), clean(element.value)].filter(Boolean));
  const texts = [];
  const add = (text) => {
    const value = clean(text);
    if (value && value.length <= 120 && !own.has(value) && !texts.includes(value) && texts.length < 12) texts.push(value);
  };
  const inside = (node) => node === element || element.contains(node);
  const headings = container.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading], th[scope=row], [role=rowheader], legend, caption');
  for (const heading of headings) if (!inside(heading)) add(heading.innerText || heading.textContent);
  const cells = container.querySelectorAll('td, th, [role=cell], [role=gridcell]');
  if (cells.length) {
    for (const cell of cells) if (!inside(cell) && !cell.contains(element)) add(cell.innerText || cell.textContent);
  } else {
    const text = container.innerText || container.textContent || '';
    for (const line of text.split(/[\n\t]+/)) add(line);
  }
  // The label just before it, between it and the look-alike before it ("Dropdown Button Example:"
  // over a button that has the name of two links above it): the last line of the nearest earlier
  // sibling of its container that shows text, unless that sibling holds another look-alike.
  if (rest.length) {
    let sibling = container.previousElementSibling;
    for (let steps = 0; sibling && steps < 3; steps += 1, sibling = sibling.previousElementSibling) {
      if (rest.some((other) => holds(sibling, other))) break;
      const lines = (sibling.innerText || '').split(/\n+/).map(clean).filter(Boolean);
      if (lines.length) {
        add(lines[lines.length - 1]);
        break;
      }
    }
  }
  return texts;
}`;
