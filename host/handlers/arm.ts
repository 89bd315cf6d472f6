import { SkillframeError } from '../../core/index.ts';
import type { CommandContext, HandlerTable } from '../dispatcher.ts';
import { readSettings, skillframeHome } from '../home.ts';
import { stopOtherProcesses } from '../kill-switch.ts';

/**
 * Handlers of the arm room. Thin: each forwards to engine/robot/arm/service.ts, imported lazily
 * so the CLI starts fast and serialport loads only when an arm command runs.
 */
const service = () => import('../../engine/robot/arm/service.ts');

function armContext(context: CommandContext) {
  return {
    home: skillframeHome(),
    signal: context.signal,
    progress: (fraction: number | undefined, message: string) => context.progress({ ...(fraction === undefined ? {} : { fraction }), message }),
    state: (payload: Parameters<typeof context.emit<'robot.arm.state'>>[1]) => context.emit('robot.arm.state', payload),
    torque: (payload: Parameters<typeof context.emit<'robot.arm.torque'>>[1]) => context.emit('robot.arm.torque', payload),
  };
}

/**
 * Moving an arm, teleoperating it, recording with it and running a policy on it drive actuators:
 * they need the `robot` permission tier, or the person's explicit yes for this one command
 * (observed: `robot.arm.move` ran with the tier at `read`).
 */
async function motionService(context: CommandContext, what: string): Promise<Awaited<ReturnType<typeof service>>> {
  const tier = readSettings().permissions.autoApproveTier;
  if (tier === 'robot') return service();
  const allowed = await context.confirm(`${what} moves a real arm. Allow it this once?`, { permission_tier: tier, needs: 'robot' });
  if (!allowed) {
    throw new SkillframeError('refused', `${what} needs the "robot" permission tier (it is "${tier}") or a yes when asked; allow it with: skillframe settings set '{"permissions":{"autoApproveTier":"robot"}}'`);
  }
  return service();
}

export const armHandlers: HandlerTable = {
  'robot.arm.scan': async (input, context) => (await service()).scan(input, armContext(context)),
  'robot.arm.calibrate': async (input, context) => (await service()).calibrate(input, armContext(context)),
  'robot.arm.calibration.export': async (input, context) => (await service()).exportCalibration(input, armContext(context)),
  'robot.arm.calibration.import': async (input, context) => (await service()).importCalibration(input, armContext(context)),
  'robot.arm.read': async (input, context) => (await service()).read(input, armContext(context)),
  'robot.arm.move': async (input, context) => (await motionService(context, 'robot.arm.move')).move(input, armContext(context)),
  'robot.arm.teleop': async (input, context) => (await motionService(context, 'robot.arm.teleop')).teleop(input, armContext(context)),
  'robot.arm.record': async (input, context) => (await motionService(context, 'robot.arm.record')).record(input, armContext(context)),
  'robot.arm.memory.add': async (input, context) => (await service()).addToMemory(input, armContext(context)),
  // Demonstrations and training run on the kinematic sim and the CPU: no arm moves.
  'robot.arm.demo': async (input, context) => (await service()).demonstrations(input, armContext(context)),
  'robot.arm.train': async (input, context) => (await service()).train(input, armContext(context)),
  'robot.arm.spec': async (input, context) => {
    const [{ createProvider }, { readSettings }] = await Promise.all([import('../../perception/models/index.ts'), import('../home.ts')]);
    const provider = await createProvider(readSettings().vlm);
    try {
      return await (await service()).writeSpec(input, provider, context.signal);
    } finally {
      await provider.dispose();
    }
  },
  'robot.arm.run': async (input, context) => (await motionService(context, 'robot.arm.run')).run(input, armContext(context)),
  'robot.arm.estop': async (input, context) => {
    // Other processes first: their kill switch releases the port this process may then open.
    const signalled = stopOtherProcesses();
    const result = await (await service()).estop(input, armContext(context));
    return { signalled, ...result };
  },
  'robot.arm.release': async () => {
    (await service()).releaseEstop();
    return { released: true };
  },
  'robot.arm.episodes': async (input) => (await service()).listDataset(skillframeHome(), input.dataset),
  'robot.arm.export': async (input) => (await service()).exportDataset(skillframeHome(), input.dataset, input.out),
  'robot.arm.import': async (input, context) => (await service()).importDataset(skillframeHome(), input.from, input.dataset, context.signal),
};
