import type { ChunkKinematics } from './reward.ts';
import { gripperPoint } from '../sim/so101.ts';

/**
 * The arm's chunk → path map for reward specs: each action (normalised joint targets) is
 * denormalised and put through the SO-101's forward kinematics; the path is the point between
 * the jaws on the table plane (x, y in metres), which is where spec points live. The gradient
 * goes back through a finite-difference Jacobian per action (five body joints × two outputs).
 */
export function jointKinematics(joints: readonly string[], chunkLength: number, mean: readonly number[], std: readonly number[]): ChunkKinematics {
  const dims = joints.length;
  const values: Record<string, number> = {};
  const step = 1e-3;
  // The jaws' point does not depend on the gripper opening; wrist roll moves it by millimetres only.
  const body = joints.map((name, index) => ({ name, index })).filter((joint) => joint.name !== 'gripper' && joint.name !== 'wrist_roll');
  const point: [number, number, number] = [0, 0, 0];
  const planar = new Float64Array(dims);
  const height = new Float64Array(dims);
  const planarAt = (chunk: Float32Array, base: number): [number, number] => {
    for (let joint = 0; joint < dims; joint += 1) values[joints[joint]] = mean[joint] + std[joint] * chunk[base + joint];
    gripperPoint(values, point);
    return [point[0], point[1]];
  };
  return {
    dims,
    height: true,
    path(chunk, offset, _start, pathX, pathY, pathZ) {
      for (let index = 0; index < chunkLength; index += 1) {
        [pathX[index], pathY[index]] = planarAt(chunk, offset + index * dims);
        if (pathZ) pathZ[index] = point[2];
      }
    },
    chain(chunk, offset, pathGradX, pathGradY, gradient, gradientOffset, pathGradZ) {
      const scratch = chunk.slice(offset, offset + chunkLength * dims);
      for (let index = 0; index < chunkLength; index += 1) {
        const lift = pathGradZ?.[index] ?? 0;
        if (pathGradX[index] === 0 && pathGradY[index] === 0 && lift === 0) continue;
        const base = index * dims;
        const [x, y] = planarAt(scratch, base);
        const z = point[2];
        let along = 0;
        let heightSquared = 0;
        for (const joint of body) {
          const saved = scratch[base + joint.index];
          scratch[base + joint.index] = saved + step;
          const [movedX, movedY] = planarAt(scratch, base);
          scratch[base + joint.index] = saved;
          planar[joint.index] = (pathGradX[index] * (movedX - x) + pathGradY[index] * (movedY - y)) / step;
          height[joint.index] = (point[2] - z) / step;
          along += planar[joint.index] * height[joint.index];
          heightSquared += height[joint.index] * height[joint.index];
        }
        // Plane terms steer the jaws across the table, not up or down: the part of their joint
        // gradient that would change the jaws' height is removed (to first order), so pulling
        // toward a keypoint cannot drive the gripper into the table. Only height terms
        // (keep_above, dR/dz) move the jaws up or down.
        const remove = heightSquared > 1e-12 ? along / heightSquared : 0;
        for (const joint of body) gradient[gradientOffset + base + joint.index] += planar[joint.index] - remove * height[joint.index] + lift * height[joint.index];
      }
    },
  };
}
