import type { TabletopScene } from '../../../core/schemas/tabletop.ts';
import type { Vector3, WorldState } from './tabletop.ts';

/**
 * A small CPU renderer for the tabletop: a fixed pinhole camera above and in front of the arm,
 * flat-shaded convex polygons drawn far to near (painter's algorithm), Lambert shading from one
 * light, the scene's brightness and tint. RGB out, row-major, no GPU.
 */
export interface Camera {
  width: number;
  height: number;
  eye: Vector3;
  target: Vector3;
  /** Vertical field of view, degrees. */
  fov: number;
}

export const defaultCamera: Camera = { width: 96, height: 72, eye: [0, -0.62, 0.5], target: [0, -0.22, 0.02], fov: 50 };

/** What a polygon belongs to; the keypoint detector (../vision/keypoints.ts) is trained on these labels. */
export const sceneLabels = ['background', 'cube', 'bin', 'obstacle'] as const;
export type SceneLabel = (typeof sceneLabels)[number];

interface Polygon {
  points: Vector3[];
  colour: Vector3;
  label: SceneLabel;
}

const lightDirection = normalise([0.3, 0.4, 1]);

function normalise(v: Vector3): Vector3 {
  const length = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / length, v[1] / length, v[2] / length];
}
function cross(a: Vector3, b: Vector3): Vector3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
function subtract(a: Vector3, b: Vector3): Vector3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}
function dot(a: Vector3, b: Vector3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** Five visible faces of an axis-aligned box (no bottom). */
function box(center: Vector3, half: Vector3, colour: Vector3, label: SceneLabel): Polygon[] {
  const [cx, cy, cz] = center;
  const [hx, hy, hz] = half;
  const corner = (sx: number, sy: number, sz: number): Vector3 => [cx + sx * hx, cy + sy * hy, cz + sz * hz];
  return [
    { points: [corner(-1, -1, 1), corner(1, -1, 1), corner(1, 1, 1), corner(-1, 1, 1)], colour, label },
    { points: [corner(-1, -1, -1), corner(1, -1, -1), corner(1, -1, 1), corner(-1, -1, 1)], colour, label },
    { points: [corner(-1, 1, -1), corner(1, 1, -1), corner(1, 1, 1), corner(-1, 1, 1)], colour, label },
    { points: [corner(-1, -1, -1), corner(-1, 1, -1), corner(-1, 1, 1), corner(-1, -1, 1)], colour, label },
    { points: [corner(1, -1, -1), corner(1, 1, -1), corner(1, 1, 1), corner(1, -1, 1)], colour, label },
  ];
}

/** A capsule-ish link: a box oriented along a→b, `radius` thick. */
function link(a: Vector3, b: Vector3, radius: number, colour: Vector3): Polygon[] {
  const axis = normalise(subtract(b, a));
  const side = normalise(Math.abs(axis[2]) > 0.9 ? cross(axis, [1, 0, 0]) : cross(axis, [0, 0, 1]));
  const up = cross(side, axis);
  const offset = (point: Vector3, s: number, u: number): Vector3 => [point[0] + radius * (s * side[0] + u * up[0]), point[1] + radius * (s * side[1] + u * up[1]), point[2] + radius * (s * side[2] + u * up[2])];
  const faces: Polygon[] = [];
  for (const [s1, u1, s2, u2] of [
    [-1, -1, 1, -1],
    [1, -1, 1, 1],
    [1, 1, -1, 1],
    [-1, 1, -1, -1],
  ]) {
    faces.push({ points: [offset(a, s1, u1), offset(a, s2, u2), offset(b, s2, u2), offset(b, s1, u1)], colour, label: 'background' });
  }
  return faces;
}

function cylinder(position: [number, number], radius: number, height: number, colour: Vector3): Polygon[] {
  const sides = 10;
  const ring = (z: number) => Array.from({ length: sides }, (_, index): Vector3 => [position[0] + radius * Math.cos((2 * Math.PI * index) / sides), position[1] + radius * Math.sin((2 * Math.PI * index) / sides), z]);
  const bottom = ring(0);
  const top = ring(height);
  const faces: Polygon[] = [{ points: top, colour, label: 'obstacle' }];
  for (let index = 0; index < sides; index += 1) {
    const next = (index + 1) % sides;
    faces.push({ points: [bottom[index], bottom[next], top[next], top[index]], colour, label: 'obstacle' });
  }
  return faces;
}

export function scenePolygons(scene: TabletopScene, state: WorldState): Polygon[] {
  const polygons: Polygon[] = [];
  const [bx, by] = scene.bin.position;
  const b = scene.bin.size / 2;
  polygons.push({ points: [[bx - b, by - b, 0.001], [bx + b, by - b, 0.001], [bx + b, by + b, 0.001], [bx - b, by + b, 0.001]], colour: scene.bin.colour as Vector3, label: 'bin' });
  for (const distractor of scene.distractors) {
    const half = distractor.size / 2;
    polygons.push(...box([distractor.position[0], distractor.position[1], half], [half, half, half], distractor.colour as Vector3, 'background'));
  }
  for (const obstacle of scene.obstacles) polygons.push(...cylinder(obstacle.position, obstacle.radius, obstacle.height, [0.35, 0.35, 0.38]));
  const half = scene.cube.size / 2;
  polygons.push(...box(state.cube, [half, half, half], scene.cube.colour as Vector3, 'cube'));
  const points = state.pose.points;
  const armColour: Vector3 = [0.95, 0.8, 0.15];
  for (let index = 1; index < points.length; index += 1) polygons.push(...link(points[index - 1], points[index], index === points.length - 1 ? 0.012 : 0.02, index === points.length - 1 ? [0.15, 0.15, 0.15] : armColour));
  return polygons;
}

/** The camera's projection: world point → pixel column, row and depth along the view. */
export function projector(camera: Camera): (point: Vector3) => [number, number, number] {
  const { forward, right, up, focal } = cameraFrame(camera);
  return (point) => {
    const relative = subtract(point, camera.eye);
    const depth = Math.max(1e-3, dot(relative, forward));
    return [camera.width / 2 + (focal * dot(relative, right)) / depth, camera.height / 2 - (focal * dot(relative, up)) / depth, depth];
  };
}

function cameraFrame(camera: Camera) {
  const forward = normalise(subtract(camera.target, camera.eye));
  const right = normalise(cross(forward, [0, 0, 1]));
  const up = cross(right, forward);
  return { forward, right, up, focal: camera.height / 2 / Math.tan((camera.fov * Math.PI) / 360) };
}

/** The direction (not normalised) from the camera's eye through pixel (column, row), and the focal length in pixels. */
export function pixelRay(camera: Camera, column: number, row: number): { ray: Vector3; focal: number } {
  const { forward, right, up, focal } = cameraFrame(camera);
  const a = (column - camera.width / 2) / focal;
  const b = -(row - camera.height / 2) / focal;
  return { ray: [forward[0] + a * right[0] + b * up[0], forward[1] + a * right[1] + b * up[1], forward[2] + a * right[2] + b * up[2]], focal };
}

/** The inverse of `projector` on a horizontal plane: the point at height `z` seen at pixel (column, row). */
export function backProject(camera: Camera, column: number, row: number, z: number): [number, number] | undefined {
  const { ray } = pixelRay(camera, column, row);
  if (Math.abs(ray[2]) < 1e-9) return undefined;
  const distance = (z - camera.eye[2]) / ray[2];
  if (!(distance > 0)) return undefined;
  return [camera.eye[0] + distance * ray[0], camera.eye[1] + distance * ray[1]];
}

/** Paints every polygon far to near with `paint(polygon, shade)` → RGB. */
function rasterise(scene: TabletopScene, state: WorldState, camera: Camera, image: Uint8Array, paint: (polygon: Polygon, shade: number) => Vector3): void {
  const { width, height } = camera;
  const project = projector(camera);
  const drawn = scenePolygons(scene, state)
    .map((polygon) => {
      const projected = polygon.points.map(project);
      const depth = projected.reduce((sum, point) => sum + point[2], 0) / projected.length;
      const normal = normalise(cross(subtract(polygon.points[1], polygon.points[0]), subtract(polygon.points[2], polygon.points[0])));
      const shade = 0.35 + 0.65 * Math.abs(dot(normal, lightDirection));
      return { projected, depth, colour: paint(polygon, shade) };
    })
    .sort((a, b) => b.depth - a.depth);
  for (const polygon of drawn) fillPolygon(image, width, height, polygon.projected, polygon.colour);
}

/** Renders the scene to RGB bytes (width × height × 3). */
export function renderScene(scene: TabletopScene, state: WorldState, camera: Camera = defaultCamera, into?: Uint8Array): Uint8Array {
  const { width, height } = camera;
  const image = into ?? new Uint8Array(width * height * 3);
  const light = scene.lighting.brightness;
  const tint = scene.lighting.tint;
  const table = scene.table.colour;
  for (let index = 0; index < width * height; index += 1) {
    image[index * 3] = clampByte(table[0] * tint[0] * light * 0.9 * 255);
    image[index * 3 + 1] = clampByte(table[1] * tint[1] * light * 0.9 * 255);
    image[index * 3 + 2] = clampByte(table[2] * tint[2] * light * 0.9 * 255);
  }
  rasterise(scene, state, camera, image, (polygon, shade) => polygon.colour.map((value, channel) => clampByte(value * tint[channel] * light * shade * 255)) as Vector3);
  return image;
}

/** What each pixel shows, as an index into `sceneLabels` (width × height): the detector's training labels. */
export function renderLabels(scene: TabletopScene, state: WorldState, camera: Camera = defaultCamera): Uint8Array {
  const rgb = new Uint8Array(camera.width * camera.height * 3);
  rasterise(scene, state, camera, rgb, (polygon) => [sceneLabels.indexOf(polygon.label), 0, 0]);
  const labels = new Uint8Array(camera.width * camera.height);
  for (let index = 0; index < labels.length; index += 1) labels[index] = rgb[index * 3];
  return labels;
}

function clampByte(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
}

/** Scanline fill of a convex polygon in pixel coordinates. */
function fillPolygon(image: Uint8Array, width: number, height: number, points: [number, number, number][], colour: Vector3) {
  let top = Infinity;
  let bottom = -Infinity;
  for (const point of points) {
    top = Math.min(top, point[1]);
    bottom = Math.max(bottom, point[1]);
  }
  const first = Math.max(0, Math.ceil(top - 0.5));
  const last = Math.min(height - 1, Math.floor(bottom - 0.5));
  for (let row = first; row <= last; row += 1) {
    const y = row + 0.5;
    let left = Infinity;
    let right = -Infinity;
    for (let index = 0; index < points.length; index += 1) {
      const a = points[index];
      const b = points[(index + 1) % points.length];
      if ((a[1] <= y && b[1] > y) || (b[1] <= y && a[1] > y)) {
        const x = a[0] + ((y - a[1]) / (b[1] - a[1])) * (b[0] - a[0]);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
    const start = Math.max(0, Math.ceil(left - 0.5));
    const end = Math.min(width - 1, Math.floor(right - 0.5));
    for (let column = start; column <= end; column += 1) {
      const offset = (row * width + column) * 3;
      image[offset] = colour[0];
      image[offset + 1] = colour[1];
      image[offset + 2] = colour[2];
    }
  }
}
