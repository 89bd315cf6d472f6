import { clampBox, crop, type Box, type RgbaImage } from '../../../native/image.ts';
import { frameDifference } from '../../../perception/diff.ts';
import type { Ocr, OcrLine, OcrResult } from '../../../perception/ocr.ts';

/** Reads the text of a frame, or of one region of it. */
export type ReadLines = (frame: RgbaImage, region?: Box) => Promise<OcrLine[]>;

/**
 * OCR for a replay, the costliest thing it does: each frame and region is read at most once, and a
 * region read on an earlier frame is read again only where its pixels changed since (the rest of
 * its lines are kept). Between two steps most of a window is the same — a calculator's keys around
 * its display, an editor's menus around the text — so a step grounded or checked by its text pays
 * for the part the last step changed, not for the whole window again. The models load on first use.
 */
export function lineReader(engine: () => Promise<Ocr>, signal?: AbortSignal): ReadLines {
  const byFrame = new WeakMap<RgbaImage, Map<string, Promise<OcrLine[]>>>();
  // The last reading of each region and the frame it was taken from.
  const lastRead = new Map<string, { frame: RgbaImage; result: Promise<OcrResult> }>();
  return (frame, region) => {
    let byRegion = byFrame.get(frame);
    if (!byRegion) byFrame.set(frame, (byRegion = new Map()));
    const key = region ? region.join(',') : 'all';
    const known = byRegion.get(key);
    if (known) return known;
    const previous = lastRead.get(key);
    const result = engine().then(async (ocr) => {
      const prior = previous && previous.frame.width === frame.width && previous.frame.height === frame.height ? await previous.result.catch(() => undefined) : undefined;
      if (!prior || !previous) return ocr.recognize(frame, { ...(region ? { region } : {}), signal });
      const area = (region && clampBox(region, frame.width, frame.height)) || ([0, 0, frame.width, frame.height] as Box);
      const changed = changedWithin(previous.frame, frame, area);
      if (!changed.length) return prior;
      const updated = await ocr.update(frame, prior, changed, { signal });
      // Re-reading a changed line may look a few pixels past the region: what lies outside it is not the region's text.
      return region ? { ...updated, lines: updated.lines.filter((line) => centreInside(line.box, area)) } : updated;
    });
    lastRead.set(key, { frame, result });
    const lines = result.then((read) => read.lines);
    byRegion.set(key, lines);
    return lines;
  };
}

/** Where two frames differ inside `area`, in frame pixels. */
export function changedWithin(before: RgbaImage, after: RgbaImage, area: Box): Box[] {
  const whole = area[0] === 0 && area[1] === 0 && area[2] === before.width && area[3] === before.height;
  const difference = whole ? frameDifference(before, after) : frameDifference(crop(before, area), crop(after, area));
  return difference.boxes.map((box) => [box[0] + area[0], box[1] + area[1], box[2], box[3]] as Box);
}

function centreInside(box: Box, area: Box): boolean {
  const x = box[0] + box[2] / 2;
  const y = box[1] + box[3] / 2;
  return x >= area[0] && y >= area[1] && x < area[0] + area[2] && y < area[1] + area[3];
}
