import { SkillframeError, throwIfAborted } from '../core/index.ts';
import { loadOrt, sharedModelRegistry, type ExecutionProvider, type ModelRegistry } from '../native/onnx/sessions.ts';
import { checkImage, clampBox, intersectionOverUnion, toGray, type Box, type GrayImage, type RgbaImage, loadSharp } from '../native/image.ts';
import type { Ocr, OcrLine } from './ocr.ts';

export type ElementKind = 'button' | 'input' | 'link' | 'text' | 'icon' | 'unknown';

export interface UiElement {
  box: Box;
  kind: ElementKind;
  /** 0..1: how sure the detector is. */
  score: number;
  /** Text read inside it, when known. */
  label?: string;
}

export interface DetectOptions {
  region?: Box;
  signal?: AbortSignal;
  /** Text lines already read from this image (saves a second OCR pass); the classical detector uses them. */
  lines?: OcrLine[];
}

/** Finds interactive elements on a screen that has no DOM or accessibility tree. */
export interface ElementDetector {
  readonly name: string;
  detect(image: RgbaImage, options?: DetectOptions): Promise<UiElement[]>;
  dispose(): Promise<void>;
}

export interface ClassicalOptions {
  /** When given, text lines become `text`/`link` elements and label the controls they sit in. */
  ocr?: Ocr;
  /** Gradient (0..255) above which a pixel is an edge. */
  edgeThreshold?: number;
}

/**
 * The built-in detector: bordered rectangles (buttons, fields) are edge components whose edge
 * pixels run along their own bounding box; underlined text lines are links. Classical and cheap,
 * it knows nothing of flat borderless controls or icons; a trained ONNX model can replace it.
 */
export function createClassicalDetector(options: ClassicalOptions = {}): ElementDetector {
  const edgeThreshold = options.edgeThreshold ?? 40;
  return {
    name: 'classical',
    async detect(image, detectOptions = {}) {
      checkImage(image);
      throwIfAborted(detectOptions.signal, 'detection');
      const gray = toGray(image);
      const region = detectOptions.region ? clampBox(detectOptions.region, image.width, image.height) : ([0, 0, image.width, image.height] as Box);
      if (!region) throw new SkillframeError('bad_input', `region [${detectOptions.region?.join(', ')}] lies outside the ${image.width}×${image.height} image`);
      const rectangles = borderedRectangles(gray, region, edgeThreshold);
      const lines: OcrLine[] = detectOptions.lines ?? (options.ocr ? (await options.ocr.recognize(image, { region, signal: detectOptions.signal })).lines : []);
      throwIfAborted(detectOptions.signal, 'detection');
      const elements: UiElement[] = [];
      for (const rectangle of rectangles) {
        const inside = lines.filter((line) => containsCentre(rectangle.box, line.box));
        const label = inside.map((line) => line.text).join(' ') || undefined;
        // A field is wide for its height and holds its text at the left; a button centres it.
        const aspect = rectangle.box[2] / rectangle.box[3];
        const leftAligned = inside.length > 0 && inside[0].box[0] - rectangle.box[0] < rectangle.box[2] * 0.15 && aspect > 3.5;
        const kind: ElementKind = inside.length === 0 ? (aspect > 4 ? 'input' : 'button') : leftAligned ? 'input' : 'button';
        elements.push({ box: rectangle.box, kind, score: round(rectangle.score), ...(label ? { label } : {}) });
      }
      for (const line of lines) {
        if (rectangles.some((rectangle) => containsCentre(rectangle.box, line.box))) continue;
        const underlined = hasUnderline(gray, line.box);
        elements.push({ box: line.box, kind: underlined ? 'link' : 'text', score: round(underlined ? 0.7 : line.confidence), label: line.text });
      }
      return elements;
    },
    async dispose() {
      /* nothing held: the OCR belongs to the caller */
    },
  };
}

interface Rectangle {
  box: Box;
  score: number;
}

/** Edge components whose pixels lie mostly on their own bounding box: boxes with borders. */
export function borderedRectangles(gray: GrayImage, region: Box, edgeThreshold: number): Rectangle[] {
  const [rx, ry, rw, rh] = region;
  const edges = new Uint8Array(rw * rh);
  const { data, width } = gray;
  for (let y = 1; y < rh - 1; y += 1) {
    for (let x = 1; x < rw - 1; x += 1) {
      const index = (ry + y) * width + rx + x;
      const dx = Math.abs(data[index + 1] - data[index - 1]);
      const dy = Math.abs(data[index + width] - data[index - width]);
      if (dx + dy > edgeThreshold) edges[y * rw + x] = 1;
    }
  }
  const seen = new Uint8Array(rw * rh);
  const stack = new Int32Array(rw * rh);
  const found: Rectangle[] = [];
  for (let start = 0; start < rw * rh; start += 1) {
    if (!edges[start] || seen[start]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x0 = rw;
    let y0 = rh;
    let x1 = -1;
    let y1 = -1;
    const members: number[] = [];
    while (top > 0) {
      const index = stack[--top];
      members.push(index);
      const x = index % rw;
      const y = (index - x) / rw;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy += 1) {
        for (let dx = -1; dx <= 1; dx += 1) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= rw || ny >= rh) continue;
          const next = ny * rw + nx;
          if (edges[next] && !seen[next]) {
            seen[next] = 1;
            stack[top++] = next;
          }
        }
      }
    }
    const boxWidth = x1 - x0 + 1;
    const boxHeight = y1 - y0 + 1;
    if (boxWidth < 16 || boxHeight < 12 || boxWidth > 900 || boxHeight > 160 || boxWidth / boxHeight > 30) continue;
    // A border is four straight runs hugging the component's own bounding box, each covered
    // almost end to end, with little of the component inside (text inside a button is a separate
    // component). A word of text touches its box only here and there and fills its inside.
    const band = 2;
    const topRow = new Uint8Array(boxWidth);
    const bottomRow = new Uint8Array(boxWidth);
    const leftColumn = new Uint8Array(boxHeight);
    const rightColumn = new Uint8Array(boxHeight);
    let interior = 0;
    for (const index of members) {
      const x = (index % rw) - x0;
      const y = Math.floor(index / rw) - y0;
      let onBorder = false;
      if (y < band) (topRow[x] = 1), (onBorder = true);
      if (y >= boxHeight - band) (bottomRow[x] = 1), (onBorder = true);
      if (x < band) (leftColumn[y] = 1), (onBorder = true);
      if (x >= boxWidth - band) (rightColumn[y] = 1), (onBorder = true);
      if (!onBorder && x > band + 1 && y > band + 1 && x < boxWidth - band - 2 && y < boxHeight - band - 2) interior += 1;
    }
    const sides = [sum(topRow) / boxWidth, sum(bottomRow) / boxWidth, sum(leftColumn) / boxHeight, sum(rightColumn) / boxHeight];
    const coverage = Math.min(...sides);
    if (coverage < 0.75 || interior / members.length > 0.15) continue;
    found.push({ box: [rx + x0, ry + y0, boxWidth, boxHeight], score: Math.min(1, coverage) });
  }
  // A border drawn twice (focus ring, shadow) yields nested near-duplicates: keep the outer one.
  found.sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3]);
  const kept: Rectangle[] = [];
  for (const rectangle of found) if (!kept.some((other) => intersectionOverUnion(other.box, rectangle.box) > 0.6)) kept.push(rectangle);
  return kept;
}

function sum(values: Uint8Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** A row just under the text, differing from the background almost all the way across. */
function hasUnderline(gray: GrayImage, box: Box): boolean {
  const [bx, by, bw, bh] = box;
  const x0 = Math.max(0, Math.round(bx + bw * 0.1));
  const x1 = Math.min(gray.width - 1, Math.round(bx + bw * 0.9));
  if (x1 - x0 < 8) return false;
  const background = gray.data[Math.max(0, by) * gray.width + Math.max(0, bx)];
  for (let y = Math.round(by + bh * 0.55); y <= Math.min(gray.height - 1, by + bh + 2); y += 1) {
    let differing = 0;
    for (let x = x0; x <= x1; x += 1) if (Math.abs(gray.data[y * gray.width + x] - background) > 40) differing += 1;
    // Browsers skip the underline around descenders (g, p, y), so it is not quite continuous.
    if (differing / (x1 - x0 + 1) > 0.8) return true;
  }
  return false;
}

function containsCentre(outer: Box, inner: Box): boolean {
  const cx = inner[0] + inner[2] / 2;
  const cy = inner[1] + inner[3] / 2;
  return cx >= outer[0] && cx <= outer[0] + outer[2] && cy >= outer[1] && cy <= outer[1] + outer[3];
}

export interface OnnxDetectorOptions {
  /** Class names in the model's order (OmniParser's icon detector has one: "icon"). */
  classes?: readonly string[];
  scoreThreshold?: number;
  iouThreshold?: number;
  registry?: ModelRegistry;
}

/**
 * A user-supplied YOLO-style detector (YOLOv5 `[1, N, 5+C]` or YOLOv8 / OmniParser
 * `[1, 4+C, N]`), input `[1, 3, H, W]` RGB 0..1, letterboxed. Class names map to element kinds
 * when they match one (button, input, link, text, icon), else `unknown`.
 */
export async function loadOnnxDetector(path: string, options: OnnxDetectorOptions = {}): Promise<ElementDetector & { provider: ExecutionProvider }> {
  const registry = options.registry ?? sharedModelRegistry();
  const name = `detector:${path}`;
  if (!registry.has(name)) registry.register({ name, path });
  const model = await registry.get(name);
  const ort = await loadOrt();
  const session = model.session;
  const inputName = session.inputNames[0];
  const metadata = (session as unknown as { inputMetadata?: { shape?: unknown[] }[] }).inputMetadata?.[0]?.shape ?? [];
  if (metadata.length && metadata.length !== 4) throw new SkillframeError('bad_input', `detector ${path}: input ${inputName} has ${metadata.length} dimensions; a YOLO-style detector takes [1, 3, H, W]`);
  const inputHeight = typeof metadata[2] === 'number' ? metadata[2] : 640;
  const inputWidth = typeof metadata[3] === 'number' ? metadata[3] : 640;
  if (typeof metadata[1] === 'number' && metadata[1] !== 3) throw new SkillframeError('bad_input', `detector ${path}: input has ${metadata[1]} channels; expected 3 (RGB)`);
  const scoreThreshold = options.scoreThreshold ?? 0.3;
  const iouThreshold = options.iouThreshold ?? 0.5;
  const classes = options.classes ?? [];
  return {
    name: `onnx:${path}`,
    provider: model.provider,
    async detect(image, detectOptions = {}) {
      checkImage(image);
      throwIfAborted(detectOptions.signal, 'detection');
      const region = detectOptions.region ? clampBox(detectOptions.region, image.width, image.height) : ([0, 0, image.width, image.height] as Box);
      if (!region) throw new SkillframeError('bad_input', 'detector region lies outside the image');
      const scale = Math.min(inputWidth / region[2], inputHeight / region[3]);
      const fittedWidth = Math.max(1, Math.round(region[2] * scale));
      const fittedHeight = Math.max(1, Math.round(region[3] * scale));
      const sharp = await loadSharp();
      const rgb = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } })
        .extract({ left: region[0], top: region[1], width: region[2], height: region[3] })
        .resize(fittedWidth, fittedHeight, { fit: 'fill' })
        .removeAlpha()
        .raw()
        .toBuffer();
      const plane = inputWidth * inputHeight;
      const tensorData = new Float32Array(3 * plane).fill(114 / 255);
      for (let y = 0; y < fittedHeight; y += 1) {
        for (let x = 0; x < fittedWidth; x += 1) {
          const source = (y * fittedWidth + x) * 3;
          const target = y * inputWidth + x;
          tensorData[target] = rgb[source] / 255;
          tensorData[plane + target] = rgb[source + 1] / 255;
          tensorData[2 * plane + target] = rgb[source + 2] / 255;
        }
      }
      const input = new ort.Tensor('float32', tensorData, [1, 3, inputHeight, inputWidth]);
      let output;
      try {
        output = (await session.run({ [inputName]: input }))[session.outputNames[0]];
      } catch (error) {
        throw new SkillframeError('bad_input', `detector ${path} failed to run: ${String((error as Error).message).split('\n')[0]}`);
      }
      const dims = output.dims as number[];
      const values = output.data as Float32Array;
      if (dims.length !== 3 || dims[0] !== 1) throw new SkillframeError('bad_input', `detector ${path}: output shape [${dims.join(', ')}] is not YOLO-style [1, A, N] or [1, N, A]`);
      const decoded = decodeYolo(values, dims[1], dims[2], classes.length);
      const elements: UiElement[] = [];
      for (const item of nonMaximumSuppression(decoded.filter((candidate) => candidate.score >= scoreThreshold), iouThreshold)) {
        const box = clampBox([region[0] + item.box[0] / scale, region[1] + item.box[1] / scale, item.box[2] / scale, item.box[3] / scale], image.width, image.height);
        if (!box) continue;
        const className = classes[item.classIndex] ?? '';
        const kind: ElementKind = (['button', 'input', 'link', 'text', 'icon'] as const).find((known) => known === className.toLowerCase()) ?? 'unknown';
        elements.push({ box, kind, score: round(item.score), ...(className ? { label: className } : {}) });
      }
      return elements;
    },
    async dispose() {
      /* the session belongs to the registry */
    },
  };
}

interface Candidate {
  box: Box;
  score: number;
  classIndex: number;
}

/** Reads either YOLO layout; boxes are centre-x, centre-y, width, height in input pixels. */
export function decodeYolo(values: Float32Array, first: number, second: number, classCount: number): Candidate[] {
  // Attributes are the short axis: 4+C (v8) or 5+C (v5) per candidate.
  const attributesFirst = first < second;
  const attributes = attributesFirst ? first : second;
  const count = attributesFirst ? second : first;
  if (attributes < 5) throw new SkillframeError('bad_input', `detector output has ${attributes} values per box; YOLO needs at least 5`);
  const objectness = classCount > 0 ? attributes - classCount === 5 : false;
  const at = (candidate: number, attribute: number) => (attributesFirst ? values[attribute * count + candidate] : values[candidate * attributes + attribute]);
  const out: Candidate[] = [];
  const firstClass = objectness ? 5 : 4;
  for (let candidate = 0; candidate < count; candidate += 1) {
    let best = 0;
    let bestScore = -Infinity;
    for (let attribute = firstClass; attribute < attributes; attribute += 1) {
      const score = at(candidate, attribute);
      if (score > bestScore) {
        bestScore = score;
        best = attribute - firstClass;
      }
    }
    const score = objectness ? bestScore * at(candidate, 4) : bestScore;
    if (!(score > 0)) continue;
    const cx = at(candidate, 0);
    const cy = at(candidate, 1);
    const w = at(candidate, 2);
    const h = at(candidate, 3);
    out.push({ box: [cx - w / 2, cy - h / 2, w, h], score, classIndex: best });
  }
  return out;
}

export function nonMaximumSuppression<T extends { box: Box; score: number }>(items: T[], iouThreshold: number): T[] {
  const sorted = items.slice().sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const item of sorted) if (!kept.some((other) => intersectionOverUnion(other.box, item.box) > iouThreshold)) kept.push(item);
  return kept;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

