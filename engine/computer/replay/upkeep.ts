import type { GroundingTier, ReplayOptions, ReplayReport } from './types.ts';

export interface SkillHealthReport {
  skill: string;
  health: 'healthy' | 'drifted' | 'broken';
  mode: 'sandbox' | 'dry-run';
  drifted: { index: number; tier?: ReplayReport['steps'][number]['tier'] }[];
  broken?: { index: number; reason: string };
  report: ReplayReport;
}

/**
 * The rungs each platform's skills should normally ground on when the UI has not drifted. On X11
 * an app without an accessibility tree grounds on the window-relative point, which is as healthy
 * as that app can be.
 */
const firstRungs: Record<'web' | 'x11', readonly GroundingTier[]> = { web: ['dom'], x11: ['a11y', 'window'] };

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
    const drifted = report.steps.filter((step) => step.tier && !firstRungs[platform].includes(step.tier) && step.status !== 'aborted').map((step) => ({ index: step.index, tier: step.tier }));
    const failed = report.steps.find((step) => step.status === 'aborted');
    const broken = !report.ok && failed ? { index: failed.index, reason: failed.reason ?? report.error?.message ?? 'failed' } : !report.ok ? { index: 0, reason: report.error?.message ?? 'failed' } : undefined;
    out.push({ skill: reference, health: broken ? 'broken' : drifted.length ? 'drifted' : 'healthy', mode: sandbox ? 'sandbox' : 'dry-run', drifted, ...(broken ? { broken } : {}), report });
  }
  return { skills: out };
}

export interface RepairResult {
  skill: string;
  step: number;
  /** What the step's target looked like before and after the repair (its description). */
  before: string;
  after: string;
  images: string[];
}

/**
 * Repairs one broken step from a new recording of just that step: the recording is built into a
 * throwaway skill, its first step of the same kind replaces the broken one (target descriptors,
 * images, expectations), and the repaired package must pass the audit again before it is written.
 */
export async function repairStep(options: { skillDirectory: string; step: number; recording: string; signal?: AbortSignal }): Promise<RepairResult> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { SkillframeError } = await import('../../../core/index.ts');
  const { buildSkill } = await import('../../../skills-mm/builder.ts');
  const { auditLoaded } = await import('../../../skills-mm/audit.ts');
  const { loadPackageSource, packageToFiles, parsePackage, writePackageFiles } = await import('../../../skills-mm/format.ts');
  const { createOcr } = await import('../../../perception/ocr.ts');
  const { loadForReplay } = await import('./replay.ts');

  const skill = loadForReplay(options.skillDirectory);
  const index = skill.plan.steps.findIndex((step) => step.id === options.step);
  if (index < 0) throw new SkillframeError('not_found', `input.step: the skill has no step ${options.step} (it has 1..${skill.plan.steps.length})`);
  const broken = skill.plan.steps[index];
  const work = mkdtempSync(join(tmpdir(), 'sf-repair-'));
  const ocr = skill.plan.platform === 'x11' ? await createOcr() : undefined;
  try {
    const fresh = await buildSkill({ trajectoryDir: options.recording, outDir: join(work, 'fresh'), ...(ocr ? { ocr } : {}), signal: options.signal });
    const built = parsePackage(loadPackageSource(fresh.dir).files);
    if (built.plan.platform !== skill.plan.platform) throw new SkillframeError('bad_input', `input.recording: a ${built.plan.platform} recording cannot repair a ${skill.plan.platform} skill`);
    const replacement = built.plan.steps.find((step) => step.action === broken.action);
    if (!replacement) throw new SkillframeError('bad_input', `input.recording: it has no ${broken.action} step to repair step ${broken.id} with`);
    // Images the new step refers to move in under names that cannot collide with the old ones.
    const images: string[] = [];
    const rename = (file: string) => {
      const renamed = `Images/repair-step-${broken.id}-${file.slice('Images/'.length)}`;
      const data = built.images.get(file);
      if (data) {
        skill.images.set(renamed, data);
        images.push(renamed);
      }
      return renamed;
    };
    const repaired = { ...replacement, id: broken.id, state_id: broken.state_id, stage: broken.stage, destructive: broken.destructive || replacement.destructive } as typeof broken;
    if ('target' in repaired && repaired.target?.template) repaired.target = { ...repaired.target, template: { ...repaired.target.template, file: rename(repaired.target.template.file) as typeof repaired.target.template.file } };
    if (repaired.action === 'type' && broken.action === 'type') repaired.text = broken.text; // keep the parameter placeholders
    skill.plan.steps[index] = repaired;
    const files = packageToFiles(skill);
    const bytes = [...files.values()].reduce((sum, data) => sum + data.length, 0);
    const report = auditLoaded({ files, problems: [], names: [...files.keys()], bytes }, options.skillDirectory);
    if (!report.accepted) throw new SkillframeError('refused', `the repaired skill fails its audit: ${report.findings.filter((finding) => finding.severity === 'refuse').map((finding) => finding.message).slice(0, 3).join('; ')}`);
    writePackageFiles(options.skillDirectory, files);
    return { skill: skill.plan.skill, step: broken.id, before: broken.description, after: repaired.description, images };
  } finally {
    await ocr?.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}
