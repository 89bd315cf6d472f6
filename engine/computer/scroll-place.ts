import type { Page } from 'playwright-core';
import type { ScrollPlace } from '../../core/schemas/trajectory.ts';

/**
 * Where the wheel at a point scrolls on a web page, and how far that container is scrolled: the
 * innermost element under the point (through open shadow roots) that scrolls vertically, else the
 * page itself. The explorer reads it after a scroll it tried (the exported step carries it), replay
 * reads it before the wheel, so the step reaches that place wherever the page starts. One
 * definition, so both read the same container.
 *
 * Answers the place plus how far the container can scroll (`maxTop`, `maxLeft`), or null when
 * nothing under the point scrolls.
 */
const placeAtSource = String.raw`({ x, y }) => {
  let root = document;
  let hit = root.elementFromPoint(x, y);
  while (hit && hit.shadowRoot && hit.shadowRoot !== root) {
    root = hit.shadowRoot;
    const inner = root.elementFromPoint(x, y);
    if (!inner || inner === hit) break;
    hit = inner;
  }
  const parentOf = (node) => node.parentElement || (node.getRootNode && node.getRootNode().host) || null;
  const page = document.scrollingElement || document.documentElement;
  let container = null;
  for (let node = hit; node && node !== document.body && node !== document.documentElement; node = parentOf(node)) {
    const style = getComputedStyle(node);
    if (node.scrollHeight > node.clientHeight + 4 && /(auto|scroll|overlay)/.test(style.overflowY)) {
      container = node;
      break;
    }
  }
  if (!container && page.scrollHeight > page.clientHeight + 4) container = page;
  if (!container) return null;
  const maxTop = Math.max(0, container.scrollHeight - container.clientHeight);
  const maxLeft = Math.max(0, container.scrollWidth - container.clientWidth);
  const top = Math.round(container.scrollTop);
  const left = Math.round(container.scrollLeft);
  return { top, left, end: top >= maxTop - 1, maxTop, maxLeft };
}`;

export type LivePlace = ScrollPlace & { maxTop: number; maxLeft: number };

const placeAt = new Function('point', `return (${placeAtSource})(point);`) as (point: { x: number; y: number }) => LivePlace | null;

/** The scroll place of the container the wheel at `point` scrolls, or undefined (nothing scrolls there, or the page did not answer). */
export async function scrollPlaceAt(page: Page, point: { x: number; y: number }): Promise<LivePlace | undefined> {
  return (await page.evaluate(placeAt, point).catch(() => null)) ?? undefined;
}

/** The place as a step carries it (without the live extent). */
export function carriedPlace(live: LivePlace): ScrollPlace {
  return { top: live.top, left: live.left, end: live.end };
}

/**
 * The wheel distance from `live` to `wanted`: the recorded position, or — where the recording
 * ended at the container's end — at least as far as this container's end (its length may differ).
 */
export function wheelTowards(live: LivePlace, wanted: ScrollPlace): { dx: number; dy: number } {
  const dy = wanted.end ? Math.max(wanted.top, live.maxTop) - live.top : Math.min(wanted.top, live.maxTop) - live.top;
  const dx = Math.min(wanted.left, live.maxLeft) - live.left;
  return { dx, dy };
}

/**
 * After a wheel turn: waits (at most 1.5 s) until the container at `point` stops moving — a page
 * may scroll smoothly — and says whether it moved at all from `before`.
 */
export async function scrollStopped(page: Page, point: { x: number; y: number }, before: ScrollPlace): Promise<boolean> {
  let last = before;
  let still = 0;
  const deadline = Date.now() + 1_500;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 40));
    const now = await scrollPlaceAt(page, point);
    if (!now) return false;
    still = now.top === last.top && now.left === last.left ? still + 1 : 0;
    last = now;
    // Two looks in a row at the same place, once it has moved (or after a while when it has not).
    if (still >= (last.top === before.top && last.left === before.left ? 4 : 2)) break;
  }
  return last.top !== before.top || last.left !== before.left;
}
