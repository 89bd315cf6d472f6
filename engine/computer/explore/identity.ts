import { createHash } from 'node:crypto';
import { loadSharp } from '../../../native/image.ts';

/**
 * State identity = a signature of the interactive elements (what a person could act on, plus
 * headings) + a perceptual hash of the screen. Free text (clocks, counters) never enters the
 * signature, and the perceptual hash is compared with a Hamming tolerance, so a ticking clock, a
 * blinking caret or an animation frame does not make a "new" state.
 */

/**
 * The route a view lives at: path and hash, with a hash router's root ('#', '#/') as no hash and a
 * folder's index page ('/docs/index.html') as the folder ('/docs/'), the page a server gives for
 * both. Undefined for no or a bad address.
 */
export function routeOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  try {
    const url = new URL(address);
    return `${url.pathname.replace(/\/index\.html?$/, '/')}${/^#\/?$/.test(url.hash) ? '' : url.hash}`;
  } catch {
    return undefined;
  }
}

/** Selectors of X11 actions found in the accessibility tree: this prefix, then the node's path from the application root (JSON). */
export const accessibleSelectorPrefix = 'a11y:';

/** A short stable hash of a signature string. */
export function signatureHash(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

const size = 32;
const low = 8;
let cosines: Float64Array | undefined;

function cosineTable(): Float64Array {
  if (cosines) return cosines;
  cosines = new Float64Array(low * size);
  for (let u = 0; u < low; u += 1) for (let x = 0; x < size; x += 1) cosines[u * size + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * size));
  return cosines;
}

/**
 * DCT perceptual hash (64 bits, hex) of a 32×32 grayscale image (row-major bytes). The 8×8
 * lowest frequencies are compared against their median, so small local changes flip few bits.
 */
export function perceptualHash(gray32: Uint8Array | Buffer): string {
  if (gray32.length !== size * size) throw new Error(`perceptualHash expects ${size * size} gray pixels, got ${gray32.length}`);
  const table = cosineTable();
  const rows = new Float64Array(low * size);
  for (let y = 0; y < size; y += 1) {
    for (let u = 0; u < low; u += 1) {
      let sum = 0;
      for (let x = 0; x < size; x += 1) sum += gray32[y * size + x] * table[u * size + x];
      rows[u * size + y] = sum;
    }
  }
  const coefficients: number[] = [];
  for (let v = 0; v < low; v += 1) {
    for (let u = 0; u < low; u += 1) {
      let sum = 0;
      for (let y = 0; y < size; y += 1) sum += rows[u * size + y] * table[v * size + y];
      coefficients.push(sum);
    }
  }
  // The DC term says nothing about structure; leave it out of the median.
  const sorted = coefficients.slice(1).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  let bits = 0n;
  for (let index = 0; index < 64; index += 1) if (coefficients[index] > median) bits |= 1n << BigInt(index);
  return bits.toString(16).padStart(16, '0');
}

export function hammingDistance(a: string, b: string): number {
  let value = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let count = 0;
  while (value) {
    count += Number(value & 1n);
    value >>= 1n;
  }
  return count;
}

/** Decodes an image (PNG/JPEG) to the 32×32 gray pixels the hash wants; sharp is loaded lazily. */
export async function hashImage(image: Buffer): Promise<string> {
  const sharp = await loadSharp();
  const pixels = await sharp(image).grayscale().resize(size, size, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer();
  return perceptualHash(pixels);
}

/** A small JPEG for the UI's live graph (data: URL). */
export async function thumbnail(image: Buffer, width = 200): Promise<string> {
  const sharp = await loadSharp();
  const jpeg = await sharp(image).resize({ width, withoutEnlargement: true }).jpeg({ quality: 60 }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/** Two observations are the same state when signatures match and the screens look alike. */
export const samePictureTolerance = 12;
