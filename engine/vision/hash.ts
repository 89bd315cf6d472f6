import { checkImage, resizeGray, toGray, type GrayImage, type RgbaImage } from './image.ts';

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

function grayOf(image: RgbaImage | GrayImage): GrayImage {
  return image.data.length === image.width * image.height ? (image as GrayImage) : toGray(checkImage(image as RgbaImage));
}

/** Difference hash: is each of 8×8 cells brighter than its right neighbour (9×8 thumbnail). */
export function dHash(image: RgbaImage | GrayImage): string {
  const small = resizeGray(grayOf(image), 9, 8);
  let bits = 0n;
  for (let y = 0; y < 8; y += 1) {
    for (let x = 0; x < 8; x += 1) bits = (bits << 1n) | (small.data[y * 9 + x] > small.data[y * 9 + x + 1] ? 1n : 0n);
  }
  return bits.toString(16).padStart(16, '0');
}

/** DCT hash: signs of the 8×8 lowest frequencies (minus DC) of a 32×32 thumbnail against their median. */
export function pHash(image: RgbaImage | GrayImage): string {
  const small = resizeGray(grayOf(image), hashSide, hashSide);
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
