import { checkImage, resizeGray, toGray, type GrayImage, type RgbaImage } from '../native/image.ts';

/**
 * Perceptual hashes as 16 hex digits (64 bits). Two screens that look the same hash within a few
 * bits of each other even after re-encoding or a cursor blink; replay and exploration dedupe
 * states with them.
 */

const hashSide = 32;
const lowSide = 8;
/** cos((2x+1)uπ/64), precomputed once: the DCT is the hot part of pHash. */
const cosines = (() => {
  const table = new Float64Array(lowSide * hashSide);
  for (let u = 0; u < lowSide; u += 1) {
    for (let x = 0; x < hashSide; x += 1) table[u * hashSide + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * hashSide));
  }
  return table;
})();

/**
 * A small gray thumbnail straight from RGBA: block means over a sparse grid of samples (a hash
 * needs the coarse picture, not every pixel), so a 1080p frame costs ~100k reads, not 2M.
 */
function thumbnail(image: RgbaImage | GrayImage, width: number, height: number): GrayImage {
  const gray = image.data.length === image.width * image.height;
  if (!gray) checkImage(image as RgbaImage);
  if (image.width < width * 4 || image.height < height * 4) return resizeGray(gray ? (image as GrayImage) : toGray(image as RgbaImage), width, height);
  const out = new Uint8Array(width * height);
  const { data } = image;
  for (let by = 0; by < height; by += 1) {
    const y0 = Math.floor((by * image.height) / height);
    const y1 = Math.floor(((by + 1) * image.height) / height);
    const stepY = Math.max(1, Math.floor((y1 - y0) / 8));
    for (let bx = 0; bx < width; bx += 1) {
      const x0 = Math.floor((bx * image.width) / width);
      const x1 = Math.floor(((bx + 1) * image.width) / width);
      const stepX = Math.max(1, Math.floor((x1 - x0) / 8));
      let sum = 0;
      let count = 0;
      for (let y = y0 + (stepY >> 1); y < y1; y += stepY) {
        const row = y * image.width;
        for (let x = x0 + (stepX >> 1); x < x1; x += stepX) {
          if (gray) sum += data[row + x];
          else {
            const byte = (row + x) * 4;
            sum += (data[byte] * 77 + data[byte + 1] * 150 + data[byte + 2] * 29) >> 8;
          }
          count += 1;
        }
      }
      out[by * width + bx] = Math.round(sum / count);
    }
  }
  return { data: out, width, height };
}

/** Difference hash: is each of 8×8 cells brighter than its right neighbour (9×8 thumbnail). */
export function dHash(image: RgbaImage | GrayImage): string {
  const small = thumbnail(image, 9, 8);
  let bits = 0n;
  for (let y = 0; y < 8; y += 1) {
    for (let x = 0; x < 8; x += 1) bits = (bits << 1n) | (small.data[y * 9 + x] > small.data[y * 9 + x + 1] ? 1n : 0n);
  }
  return bits.toString(16).padStart(16, '0');
}

/** DCT hash: signs of the 8×8 lowest frequencies (minus DC) of a 32×32 thumbnail against their median. */
export function pHash(image: RgbaImage | GrayImage): string {
  const small = thumbnail(image, hashSide, hashSide);
  // Separable DCT, only the 8 lowest frequencies in each direction are needed.
  const rows = new Float64Array(hashSide * lowSide);
  for (let y = 0; y < hashSide; y += 1) {
    for (let u = 0; u < lowSide; u += 1) {
      let sum = 0;
      for (let x = 0; x < hashSide; x += 1) sum += small.data[y * hashSide + x] * cosines[u * hashSide + x];
      rows[y * lowSide + u] = sum;
    }
  }
  const coefficients = new Float64Array(lowSide * lowSide);
  for (let v = 0; v < lowSide; v += 1) {
    for (let u = 0; u < lowSide; u += 1) {
      let sum = 0;
      for (let y = 0; y < hashSide; y += 1) sum += rows[y * lowSide + u] * cosines[v * hashSide + y];
      coefficients[v * lowSide + u] = sum;
    }
  }
  const values = Array.from(coefficients).slice(1);
  const median = values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
  let bits = 0n;
  for (let index = 0; index < 64; index += 1) bits = (bits << 1n) | (index > 0 && coefficients[index] > median ? 1n : 0n);
  return bits.toString(16).padStart(16, '0');
}

/** Number of differing bits between two hashes of the same kind (0 = same picture). */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError(`hashes of different lengths: ${a.length} and ${b.length}`);
  let difference = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let count = 0;
  while (difference) {
    difference &= difference - 1n;
    count += 1;
  }
  return count;
}
