import type { Box } from '../../../../native/image.ts';
import { describeNode, resolveAccessible } from '../../accessibility.ts';
import { topLevelRoles } from '../../../../native/a11y/index.ts';
import type { Rung } from './rung.ts';
import { sleep } from '../../../../core/abort.ts';
import { rectContains, type Point, type Rect } from '../../../../core/geometry.ts';


/** Beyond this size on both sides a node is an area (a sheet, a text area, a list), not a control. */
const controlSide = 80;

/**
 * Where to act inside the resolved accessible. A control (a button, a menu item, a field) is acted
 * on at its centre once it changed size, and at the recorded spot while it kept it. An area larger
 * than a control names only the container: the spot in it is what was clicked (gnumeric's whole
 * sheet is one unnamed "panel"; its centre selected a cell far from A3 and every check passed). That
 * spot keeps its offset from the area's corner while the area keeps its recorded size; once the size
 * changed, an off-centre offset is a position, not an identity, and the visual rungs decide.
 */
export function pointInNode(recordedPoint: Point | undefined, recorded: Rect | undefined, live: Rect): Point | string {
  const centre = { x: live.x + live.width / 2, y: live.y + live.height / 2 };
  if (!recordedPoint || !recorded || !rectContains(recorded, recordedPoint)) return centre;
  const offset = { x: recordedPoint.x - recorded.x, y: recordedPoint.y - recorded.y };
  const sameSize = Math.abs(live.width - recorded.width) <= 2 && Math.abs(live.height - recorded.height) <= 2;
  if (sameSize) return { x: live.x + offset.x, y: live.y + offset.y };
  const area = recorded.width > controlSide && recorded.height > controlSide;
  const nearCentre = Math.abs(offset.x - recorded.width / 2) <= recorded.width / 4 && Math.abs(offset.y - recorded.height / 2) <= recorded.height / 4;
  if (!area || nearCentre) return centre;
  return `the click was at (${offset.x}, ${offset.y}) inside a ${recorded.width}×${recorded.height} area that is now ${live.width}×${live.height}: a spot in a resized area is a position, not an identity`;
}

/** How long a recorded node that is there but hidden may take to show. */
const unshownWaitMs = 2500;

/**
 * X11: the recorded accessible (role, name, path from the application root) resolved in the live
 * AT-SPI tree — path first, then role + name among what the app shows; look-alikes are refused.
 * The place to act is the node's current extents, wherever the window moved or however it was
 * resized. Where the app exposes no tree (Xaw, Tk, games) or the bus is down, it says so and the
 * ladder goes on visually.
 */
export const a11yRung: Rung = {
  surfaces: ['x11'],
  ground: async (input) => {
    const recorded = input.step.target.accessible;
    if (!recorded) return 'the step has no accessibility target (none was exposed when it was recorded)';
    // Where the toolkit's hit test answered nothing below the window (GTK 4's gnome-calculator),
    // the recorder kept the window itself: a window names no control, and acting at its centre
    // clicked beside the "8" (bench replay desktop, tune). The ladder goes on visually.
    if (topLevelRoles.has(recorded.role.toLowerCase())) return `the recorded accessible is the app's ${recorded.role} ${JSON.stringify(recorded.name)} itself, not a control in it`;
    const accessibility = input.surface.accessibility;
    if (!accessibility) return 'no accessibility tree on this surface';
    const live = await accessibility.target();
    if (typeof live === 'string') return live;
    const [x, y, width, height] = input.region;
    // The app's space: GTK 4 reports extents in its window's (appOrigin); what is acted on is the screen's.
    const origin = await accessibility.origin().catch(() => ({ x: 0, y: 0 }));
    // A menu or dialog the previous step opened may map a moment late (a loaded machine): the
    // recorded node, there but hidden, is given that moment to show before anything else is tried.
    const deadline = Date.now() + unshownWaitMs;
    let resolved;
    for (;;) {
      try {
        resolved = await resolveAccessible(live.client, live.app, recorded, { window: { x: x - origin.x, y: y - origin.y, width, height } });
      } catch (error) {
        input.signal?.throwIfAborted();
        return accessibility.fail(error);
      }
      if (typeof resolved === 'string' || !('unshown' in resolved) || Date.now() >= deadline) break;
      input.signal?.throwIfAborted();
      await sleep(150, input.signal);
    }
    if (typeof resolved === 'string') return resolved;
    if ('unshown' in resolved) return { refused: `the recorded ${describeNode(resolved.unshown)} is in the app but not on screen (its menu, panel or dialog did not open): a look-alike elsewhere is not it (${resolved.reason})` };
    const extents = { ...resolved.extents, x: resolved.extents.x + origin.x, y: resolved.extents.y + origin.y };
    const box: Box = [extents.x, extents.y, extents.width, extents.height];
    const point = pointInNode(input.step.target.point, recorded.extents, extents);
    if (typeof point === 'string') return `${resolved.evidence}, but ${point}`;
    if (point.x < 0 || point.y < 0 || point.x >= input.frame.width || point.y >= input.frame.height) return `${resolved.evidence}, but the point to act on (${Math.round(point.x)}, ${Math.round(point.y)}) is off screen`;
    return { tier: 'a11y', point, box, confidence: resolved.confidence, evidence: resolved.evidence, accessible: resolved.node };
  },
};
