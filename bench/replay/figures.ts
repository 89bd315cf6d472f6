import { percentile, type TaskJudgement } from './judge.ts';

export interface MethodFigures {
  tasks: number;
  tasksSucceeded: number;
  taskSuccessPercent: number | null;
  steps: number;
  stepsSucceeded: number;
  stepSuccessPercent: number | null;
  wrongActions: number;
  repeatedActions: number;
  /** Engine time per step (captures, grounding, arming, the safety checks before the input, verification; the app's settle and the input itself excluded), ms. */
  overheadMsP50: number | null;
  overheadMsP95: number | null;
  /** Which ladder rung grounded the steps (engine only). */
  tiers?: Record<string, number>;
  failures: { task: string; notes: string[] }[];
}

export interface ConditionFigures {
  platform: 'web' | 'x11';
  condition: string;
  family: 'unchanged' | 'layout' | 'theme-scale';
  engine?: MethodFigures;
  naive: MethodFigures;
}

export interface RecordingNote {
  task: string;
  via: 'recorder' | 'scripted';
  reason?: string;
}

export interface Sample {
  judgement: TaskJudgement;
  task: string;
  engineMs: number[];
  tiers: string[];
}

export function figures(samples: Sample[], withTiers: boolean): MethodFigures {
  const steps = samples.reduce((sum, sample) => sum + sample.judgement.steps, 0);
  const stepsSucceeded = samples.reduce((sum, sample) => sum + sample.judgement.stepsSucceeded, 0);
  const tasksSucceeded = samples.filter((sample) => sample.judgement.taskSucceeded).length;
  const overhead = samples.flatMap((sample) => sample.engineMs);
  const tiers: Record<string, number> = {};
  for (const tier of samples.flatMap((sample) => sample.tiers)) tiers[tier] = (tiers[tier] ?? 0) + 1;
  return {
    tasks: samples.length,
    tasksSucceeded,
    taskSuccessPercent: samples.length ? round((100 * tasksSucceeded) / samples.length) : null,
    steps,
    stepsSucceeded,
    stepSuccessPercent: steps ? round((100 * stepsSucceeded) / steps) : null,
    wrongActions: samples.reduce((sum, sample) => sum + sample.judgement.wrongActions, 0),
    repeatedActions: samples.reduce((sum, sample) => sum + sample.judgement.repeatedActions, 0),
    overheadMsP50: percentile(overhead, 0.5),
    overheadMsP95: percentile(overhead, 0.95),
    ...(withTiers ? { tiers } : {}),
    failures: samples.filter((sample) => !sample.judgement.taskSucceeded || sample.judgement.wrongActions > 0).map((sample) => ({ task: sample.task, notes: sample.judgement.notes })),
  };
}

export const round = (value: number) => Math.round(value * 10) / 10;

export type ReplayModule = typeof import('../../engine/computer/replay/replay.ts');

/** The engine, loaded lazily (it pulls vision and onnxruntime); undefined if it cannot load. */
export async function loadEngine(errors: string[]): Promise<{ replay: ReplayModule; build: typeof import('../../skills-mm/builder.ts'); web: typeof import('../../engine/computer/replay/web-surface.ts'); x11: typeof import('../../engine/computer/replay/x11-surface.ts') } | undefined> {
  try {
    return {
      replay: await import('../../engine/computer/replay/replay.ts'),
      build: await import('../../skills-mm/builder.ts'),
      web: await import('../../engine/computer/replay/web-surface.ts'),
      x11: await import('../../engine/computer/replay/x11-surface.ts'),
    };
  } catch (error) {
    errors.push(`engine unavailable: ${(error as Error).message}`);
    return undefined;
  }
}

export function engineSample(task: string, judgement: TaskJudgement, report: import('../../engine/computer/replay/types.ts').ReplayReport): Sample {
  if (!report.ok && report.error) judgement.notes.push(`replay: ${report.error.code}: ${report.error.message.slice(0, 200)}`);
  return {
    task,
    judgement,
    engineMs: report.steps.filter((step) => step.status === 'done' && typeof step.engineMs === 'number').map((step) => step.engineMs!),
    tiers: report.steps.filter((step) => step.status === 'done' && step.tier).map((step) => step.tier!),
  };
}

