import type { ReplayOptions, ReplayReport } from './types.ts';

export interface SkillHealthReport {
  skill: string;
  health: 'healthy' | 'drifted' | 'broken';
  mode: 'sandbox' | 'dry-run';
  drifted: { index: number; tier?: ReplayReport['steps'][number]['tier'] }[];
  broken?: { index: number; reason: string };
  report: ReplayReport;
}

/** The rung each platform's skills should normally ground on when the UI has not drifted. */
const firstRung = { web: 'dom', x11: 'a11y' } as const;

/**
 * Skill upkeep: replays each skill where it can do no harm — a fresh app or page (sandbox) when
 * the skill knows how to open one or the caller names it, else a dry run against the live app —
 * and reads the report: every step on its first rung is healthy; steps that needed a lower rung
 * are drift (the UI changed under the skill); a step that could not be done is broken.
 */
export async function verifySkills(
  skills: { reference: string; directory: string }[],
  target: { url?: string; app?: string; attach?: boolean },
  replay: (options: Omit<ReplayOptions, 'signal'>) => Promise<ReplayReport>,
  signal?: AbortSignal,
): Promise<{ skills: SkillHealthReport[] }> {
  const { loadForReplay } = await import('./replay.ts');
  const out: SkillHealthReport[] = [];
  for (const { reference, directory } of skills) {
    signal?.throwIfAborted();
    let platform: 'web' | 'x11' = 'web';
    let sandbox = false;
    try {
      const plan = loadForReplay(directory).plan;
      platform = plan.platform;
      sandbox = platform === 'web' ? Boolean(target.url ?? plan.app.url) : Boolean(target.app);
    } catch (error) {
      const report: ReplayReport = { ok: false, steps: [], totalMs: 0, error: { code: 'refused', message: (error as Error).message } };
      out.push({ skill: reference, health: 'broken', mode: 'dry-run', drifted: [], broken: { index: 0, reason: (error as Error).message }, report });
      continue;
    }
    const report = await replay({ skillDirectory: directory, url: target.url, app: target.app, attach: sandbox ? undefined : true, dryRun: !sandbox, confirm: 'never' });
    const drifted = report.steps.filter((step) => step.tier && step.tier !== firstRung[platform] && step.status !== 'aborted').map((step) => ({ index: step.index, tier: step.tier }));
    const failed = report.steps.find((step) => step.status === 'aborted');
    const broken = !report.ok && failed ? { index: failed.index, reason: failed.reason ?? report.error?.message ?? 'failed' } : !report.ok ? { index: 0, reason: report.error?.message ?? 'failed' } : undefined;
    out.push({ skill: reference, health: broken ? 'broken' : drifted.length ? 'drifted' : 'healthy', mode: sandbox ? 'sandbox' : 'dry-run', drifted, ...(broken ? { broken } : {}), report });
  }
  return { skills: out };
}
