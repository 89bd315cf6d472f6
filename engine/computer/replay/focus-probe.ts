import type { Accessibility, AccessibleApp } from '../../../native/a11y/index.ts';
import type { AccessibilityProbe } from './surface.ts';

/**
 * Verification's question to the AT-SPI tree: after a click, does the accessible under the
 * click (or the nearest of its parents the toolkit reports) have the focus? A surface with an
 * accessibility session attaches this as `surface.accessibility`; where the app exposes nothing
 * the answer is undefined and verification goes on with pixels and the caret.
 */
export function focusProbe(client: Accessibility, app: AccessibleApp): AccessibilityProbe {
  return {
    async focusedAt(point) {
      const node = await client.nodeAt(app.ref, point).catch(() => undefined);
      if (!node) return undefined;
      if (node.states.includes('focused')) return true;
      // A text area's caret lives in the text node; containers report focus on it, not themselves.
      return node.states.includes('focusable') ? false : undefined;
    },
  };
}
