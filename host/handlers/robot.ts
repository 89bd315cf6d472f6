import { readFileSync, writeFileSync } from 'node:fs';
import type { Layout, Point, RewardSpec } from '../../core/commands/robot.ts';
import { SkillframeError } from '../../core/errors.ts';
import type { ParsedInputOf } from '../../core/index.ts';
import type { CommandContext, HandlerTable } from '../dispatcher.ts';
import { sleep } from '../../core/index.ts';

/**
 * Handlers of the robot steering room. Keep this file thin: heavy modules (onnxruntime, the
 * samplers, the benchmark) are imported inside each handler so the CLI starts fast.
 */

function readText(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new SkillframeError('not_found', `input.${field}: cannot read ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export async function layoutsFrom(file: string | undefined): Promise<{ layouts: Layout[]; all: Layout[] }> {
  const reach = await import('../../engine/robot/sim/reach.ts');
  if (file === undefined) return { layouts: reach.builtinLayouts, all: [...reach.builtinLayouts, reach.validationLayout] };
  const layouts = reach.parseLayouts(readText(file, 'layouts'), 'layouts');
  return { layouts, all: layouts };
}

async function specFor(layout: Layout, file: string | undefined): Promise<RewardSpec> {
  const spec = await import('../../engine/robot/steer/spec.ts');
  return file === undefined ? spec.specFromScene(layout) : spec.specFromJson(readText(file, 'spec'), 'spec');
}

export const robotHandlers: HandlerTable = {
  'robot.layouts': async (input) => {
    const reach = await import('../../engine/robot/sim/reach.ts');
    const { layouts } = await layoutsFrom(input.layouts);
    return { layouts, validation: reach.validationLayout, training: reach.trainingLayout.name };
  },
  'robot.sim': async (input, context) => {
    const [{ loadPolicy, defaultPolicyFile }, reach, { runEpisode, defaultMethodSettings }] = await Promise.all([
      import('../../engine/robot/policy/onnx-policy.ts'),
      import('../../engine/robot/sim/reach.ts'),
      import('../../engine/robot/steer/episode.ts'),
    ]);
    const { all } = await layoutsFrom(input.layouts);
    const layout = reach.findLayout(input.layout, all);
    const needsSpec = input.method !== 'base' && input.method !== 'rts';
    const spec = needsSpec && input.spec !== undefined ? await specFor(layout, input.spec) : undefined;
    const network = await loadPolicy(input.policy ?? defaultPolicyFile);
    try {
      const toPath = (start: Point, chunk: Float32Array): Point[] => {
        const path: Point[] = [];
        let [x, y] = start;
        for (let index = 0; index < network.info.chunk; index += 1) {
          x += chunk[2 * index] * network.info.actionScale;
          y += chunk[2 * index + 1] * network.info.actionScale;
          path.push([x, y]);
        }
        return path;
      };
      const latencies: number[] = [];
      let chunks = 0;
      const outcome = await runEpisode({
        network,
        layout,
        method: input.method,
        random: new reach.Random(input.seed),
        settings: { ...defaultMethodSettings, particles: input.particles },
        ...(spec ? { spec } : {}),
        signal: context.signal,
        onChunk: async (event) => {
          chunks += 1;
          const done = reach.episodeOver(event.state);
          context.emit('robot.sim.frame', {
            method: input.method,
            layout,
            step: event.step,
            position: event.state.position,
            particles: event.sample.particles.length > 1 ? event.sample.particles.map((particle) => toPath(event.position, particle)) : [],
            chosen: toPath(event.position, event.sample.chunk),
            ...(event.stage ? { stage: event.stage } : {}),
            injected: event.injected,
            done,
            ...(done ? { success: reach.episodeSucceeded(event.state), collided: event.state.collided } : {}),
          });
          if (input.delayMs > 0 && !done) await sleep(input.delayMs, context.signal);
        },
      });
      latencies.push(...outcome.latencies);
      latencies.sort((a, b) => a - b);
      return {
        method: input.method,
        layout: layout.name,
        success: outcome.success,
        collided: outcome.collided,
        steps: outcome.steps,
        path: outcome.path,
        chunks,
        latency_ms_p50: latencies[Math.floor(latencies.length / 2)] ?? 0,
      };
    } finally {
      await network.dispose();
    }
  },
  'robot.spec': async (input, context) => {
    const reach = await import('../../engine/robot/sim/reach.ts');
    const { all } = await layoutsFrom(input.layouts);
    const layout = reach.findLayout(input.layout, all);
    if (input.from === 'json') {
      if (input.file === undefined) throw new SkillframeError('bad_input', 'input.file: a JSON spec file is needed with --from json');
      const spec = await specFor(layout, input.file);
      if (input.out !== undefined) writeFileSync(input.out, `${JSON.stringify(spec, null, 2)}\n`);
      return { spec, source: 'json' as const };
    }
    let result: { spec: RewardSpec; source: 'scene' | 'json' | 'vlm' };
    if (input.from === 'vlm') {
      const [{ createProvider }, { readSettings }, { specFromVision }] = await Promise.all([import('../../perception/models/index.ts'), import('../home.ts'), import('../../engine/robot/steer/spec.ts')]);
      const provider = await createProvider(readSettings().vlm);
      try {
        result = { spec: await specFromVision(provider, layout, input.instruction, context.signal), source: 'vlm' };
      } finally {
        await provider.dispose();
      }
    } else result = { spec: await specFor(layout, undefined), source: 'scene' };
    if (input.out !== undefined) writeFileSync(input.out, `${JSON.stringify(result.spec, null, 2)}\n`);
    return result;
  },
};
