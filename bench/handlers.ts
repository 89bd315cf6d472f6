import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SkillframeError, type ParsedInputOf } from '../core/index.ts';
import type { CommandContext, HandlerTable } from '../host/dispatcher.ts';
import { layoutsFrom } from '../host/handlers/robot.ts';

/**
 * The benchmark commands (`bench.*`, `robot.bench`). bench/ sits above host/: the entry points
 * (bin/skillframe.js, tests) add this table to the dispatcher when bench/ is present, so the
 * product never imports benchmarks and a build without bench/ answers `unavailable`.
 */
async function runRobotBench(input: ParsedInputOf<'robot.bench'>, context: CommandContext) {
  if (input.task === 'so101') {
    const { runSo101Bench } = await import('./robot-so101.ts');
    const { TabletopSceneList } = await import('../core/schemas/tabletop.ts');
    const { parseOrThrow } = await import('../core/errors.ts');
    const { readFileSync } = await import('node:fs');
    let scenes;
    if (input.layouts) {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(input.layouts, 'utf8'));
      } catch (error) {
        throw new SkillframeError('bad_input', `input.layouts: ${input.layouts} is missing or not JSON: ${(error as Error).message}`);
      }
      scenes = parseOrThrow(TabletopSceneList, raw, `input.layouts (${input.layouts})`);
    }
    return runSo101Bench({
      policyFile: input.policy ?? fileURLToPath(new URL('../engine/robot/policy/assets/so101-flow.onnx', import.meta.url)),
      ...(scenes ? { scenes } : {}),
      episodes: input.episodes ?? 10,
      seed: input.seed,
      seeds: input.seeds ?? 1,
      particles: input.particles,
      ...(input.method ? { methods: input.method } : {}),
      signal: context.signal,
      onProgress: (fraction, message) => context.progress({ fraction, message }),
    });
  }
  const { runBench } = await import('./robot-steer.ts');
  const { layouts } = await layoutsFrom(input.layouts);
  const report = await runBench({
    seed: input.seed,
    seeds: input.seeds,
    episodes: input.episodes,
    layouts,
    particles: input.particles,
    ...(input.method ? { methods: input.method } : {}),
    ...(input.policy ? { policyFile: input.policy } : {}),
    signal: context.signal,
    onProgress: (fraction, message) => context.progress({ fraction, message }),
  });
  // Say so when the task cannot tell methods apart: two or more methods at ≥ 95 % on every layout.
  const byLayout = Object.values(report.layouts);
  const top = Object.keys(byLayout[0] ?? {}).filter((method) => byLayout.every((byMethod) => (byMethod[method]?.success ?? 0) >= 0.95));
  report.task = 'planar';
  if (top.length >= 2) report.notes = [`The planar point task saturates: ${top.join(', ')} all succeed in at least 95 % of episodes on every layout, so it cannot tell them apart (--task so101 is the harder benchmark)`];
  return report;
}

export const benchHandlers: HandlerTable = {
  'robot.bench': (input, context) => runRobotBench(input, context),
  'bench.robot': (input, context) => runRobotBench(input, context),
  'bench.skills': async (input, context) => {
    const { runSkillsBench } = await import('./skills.ts');
    const result = await runSkillsBench({ iterations: input.iterations, signal: context.signal, onProgress: (fraction, message) => context.progress({ fraction, message }) });
    if (!input.selection) return result;
    const { runSelectionBench } = await import('./skill-selection.ts');
    return { ...result, selection: await runSelectionBench() };
  },
  'bench.arm': async (input, context) => {
    const { runArmBench } = await import('./arm.ts');
    return runArmBench({ seconds: input.seconds, signal: context.signal, onProgress: (fraction, message) => context.progress({ fraction, message }) });
  },
  'bench.explore': async (input, context) => {
    const { benchExplore } = await import('./explore.ts');
    return benchExplore({
      ...input,
      signal: context.signal,
      progress: (fraction, message) => context.progress({ fraction, message }),
      onApp: (app) => context.progress({ fraction: 0, message: `${app.app} (${app.split ?? ''}): views DFS/BFS/random ${app.views_dfs}/${app.views_bfs}/${app.views_random}, recall ${app.state_recall}, replay ${app.exported_replay_rate}` }),
    });
  },
  'bench.web-upgrade': async (input, context) => {
    const { runWebUpgradeBench } = await import('./web-upgrade.ts');
    return runWebUpgradeBench({ ...(input.apps ? { apps: input.apps } : {}), signal: context.signal, progress: (fraction, message) => context.progress({ fraction, message }) });
  },
  'bench.replay': async (input, context) => {
    const { runReplayBenchmark } = await import('./replay/benchmark.ts');
    return runReplayBenchmark({
      quick: input.quick,
      ...(input.platform ? { platform: input.platform } : {}),
      naiveOnly: input.naiveOnly,
      ...(input.app ? { apps: input.app } : {}),
      ...(input.condition ? { conditions: input.condition } : {}),
      ...(input.split ? { split: input.split } : {}),
      ...(input.task ? { tasks: input.task } : {}),
      ...(input.keep ? { keepDirectory: resolve(input.keep) } : {}),
      signal: context.signal,
      progress: (fraction, message) => context.progress({ fraction, message }),
    });
  },
  'bench.fleet': async (input, context) => {
    const { runFleetBench } = await import('./fleet.ts');
    return runFleetBench({ jobs: input.jobs, workers: input.workers, signal: context.signal, progress: (fraction, message) => context.progress({ fraction, message }) });
  },
  'bench.vision': async (input, context) => {
    // Run as its own process: the OCR benchmark loads models and measures CPU time, which a
    // shared host process would disturb.
    const script = fileURLToPath(new URL('./vision.ts', import.meta.url));
    if (!existsSync(script)) throw new SkillframeError('unavailable', `the vision benchmark is not in this build (${script})`);
    const args = ['--import', 'tsx', script, '--json', ...(input.quick ? ['--quick'] : [])];
    const output = await new Promise<string>((resolvePromise, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: fileURLToPath(new URL('../', import.meta.url)) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // The benchmark reports progress as "progress <fraction> <message>" lines on stderr.
        for (const line of chunk.toString().split('\n')) {
          const match = /^progress (\d*\.?\d+) (.*)$/.exec(line.trim());
          if (match) context.progress({ fraction: Math.min(1, Number(match[1])), message: match[2] });
        }
      });
      const onAbort = () => child.kill('SIGTERM');
      context.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', reject);
      child.on('close', (code) => {
        context.signal.removeEventListener('abort', onAbort);
        if (context.signal.aborted) reject(context.signal.reason);
        else if (code !== 0) reject(new SkillframeError('internal', `the vision benchmark exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
        else resolvePromise(stdout);
      });
    });
    const last = output.trim().split('\n').at(-1) ?? '';
    try {
      return JSON.parse(last);
    } catch {
      throw new SkillframeError('internal', `the vision benchmark printed no JSON: ${JSON.stringify(last.slice(0, 200))}`);
    }
  },
};
