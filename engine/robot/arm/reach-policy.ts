import type { Method, RewardSpec } from '../../../core/commands/robot.ts';
import type { JointValues } from './arm.ts';
import type { ArmPolicy } from './control-loop.ts';

/**
 * Plugs the steering room's policy runtime (engine/robot/policy/runtime.ts: a planar reach
 * policy whose observation is an end-effector x, y and whose actions are dx, dy displacements)
 * into the arm loop. The plane is mapped onto two joints around the start pose: x drives
 * shoulder_lift, y drives shoulder_pan, `degreesPerUnit` degrees per world unit; the other joints
 * hold their start pose. Loaded lazily: onnxruntime only comes in when a policy runs.
 */
export async function reachPolicy(options: { sampler?: Method; spec?: RewardSpec; seed?: number; degreesPerUnit?: number } = {}): Promise<ArmPolicy> {
  const { createPolicyRuntime } = await import('../policy/runtime.ts');
  const runtime = await createPolicyRuntime({ sampler: options.sampler ?? 'base', spec: options.spec, seed: options.seed ?? 1 });
  const scale = options.degreesPerUnit ?? 30;
  let origin: JointValues | undefined;
  const toWorld = (positions: JointValues): [number, number] => [
    (positions.shoulder_lift - origin!.shoulder_lift) / scale,
    (positions.shoulder_pan - origin!.shoulder_pan) / scale,
  ];
  return {
    name: `reach:${options.sampler ?? 'base'}`,
    execute: runtime.execute,
    async nextChunk({ positions }, signal) {
      origin ??= { ...positions };
      let [x, y] = toWorld(positions);
      const actions = await runtime.nextChunk([x, y], signal);
      return actions.map((action) => {
        x += action[0];
        y += action[1];
        return { ...origin!, shoulder_lift: origin!.shoulder_lift + x * scale, shoulder_pan: origin!.shoulder_pan + y * scale };
      });
    },
    observe(positions) {
      if (origin) runtime.observe(toWorld(positions));
    },
    dispose: () => runtime.dispose(),
  };
}
