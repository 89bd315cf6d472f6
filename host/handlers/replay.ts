import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkillframeError } from '../../core/index.ts';
import type { ReplayReport } from '../../core/commands/replay.ts';
import { parseParamPairs } from '../../engine/computer/replay/params.ts';
import { loadPackageSource, parsePackage } from '../../skills-mm/format.ts';
import type { ReplayOptions, ReplayStepReport } from '../../engine/computer/replay/types.ts';
import { loadSharp, type RgbaImage } from '../../native/image.ts';
import type { CommandContext, HandlerTable } from '../dispatcher.ts';
import { homePath, readSettings } from '../home.ts';

/** A skill argument is a folder or .zip on disk, else the name of a skill in the library. */
export function resolveSkill(reference: string): string {
  if (existsSync(reference)) return resolve(reference);
  const inLibrary = homePath('skills', reference);
  if (/^[a-z0-9-]{1,64}$/.test(reference) && existsSync(join(inLibrary, 'SKILL.md'))) return inLibrary;
  throw new SkillframeError('not_found', `input.skill: ${JSON.stringify(reference)} is neither a skill folder, a .zip, nor a skill in the library`);
}

async function thumbnail(frame: RgbaImage): Promise<string | undefined> {
  try {
    const sharp = await loadSharp();
    const png = await sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), { raw: { width: frame.width, height: frame.height, channels: 4 } })
      .resize({ width: Math.min(640, frame.width) })
      .png({ compressionLevel: 3 })
      .toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  } catch {
    return undefined;
  }
}

/** Runs a replay with the host's settings, live events for the Replay page, and confirmations. */
export async function runReplay(context: CommandContext, options: Omit<ReplayOptions, 'signal' | 'onStep' | 'askConfirmation' | 'autoApproveTier' | 'evidenceDirectory'> & { skillName?: string }): Promise<ReplayReport> {
  const { replaySkill } = await import('../../engine/computer/replay/replay.ts');
  const settings = readSettings();
  const skillName = options.skillName ?? options.skillDirectory;
  // Live views show "step i/total" with the plan's step count (observed: the highest index so far,
  // "3/3" at the third of ten). A package that does not parse leaves it to the replay to refuse.
  let total = 0;
  try {
    total = parsePackage(loadPackageSource(options.skillDirectory).files).plan.steps.length;
  } catch {
    /* replaySkill reports what is wrong with the package */
  }
  const onStep = (step: ReplayStepReport, frame?: RgbaImage) => {
    // Thumbnails are made off the replay's own path: a slow encode never delays the next step.
    void (async () => {
      const screenshot = frame ? await thumbnail(frame) : undefined;
      try {
        context.emit('replay.step', { ...step, skill: skillName, total, ...(screenshot ? { screenshot } : {}), ...(frame ? { frameSize: { width: frame.width, height: frame.height } } : {}) });
      } catch {
        /* a listener problem must not end the replay */
      }
    })();
  };
  // The model rung exists only when the person configured one; it is created once per replay.
  const model = settings.vlm.provider === 'none' ? undefined : await (await import('../../perception/models/index.ts')).createProvider(settings.vlm).catch(() => undefined);
  try {
    const report = await replaySkill({
      ...options,
      ...(model ? { model } : {}),
      threshold: options.threshold ?? settings.replay.confidenceThreshold,
      confirm: options.confirm ?? settings.replay.confirm,
      autoApproveTier: settings.permissions.autoApproveTier,
      evidenceDirectory: homePath('replays', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`),
      signal: context.signal,
      askConfirmation: (question, details) => context.confirm(question, details),
      boundariesFor: async (app) => (await import('./explore.ts')).knownBoundaries(app.url ?? app.name),
      onStep: (step, frame) => {
        total = Math.max(total, step.index);
        onStep(step, frame);
      },
    });
    return report as ReplayReport;
  } finally {
    await model?.dispose().catch(() => undefined);
  }
}

function requireInputTier(): void {
  const tier = readSettings().permissions.autoApproveTier;
  if (tier === 'read') {
    throw new SkillframeError('refused', `acting on the screen needs the "input" permission tier; it is "${tier}". Allow it with: skillframe settings set '{"permissions":{"autoApproveTier":"input"}}'`);
  }
}

export const replayHandlers: HandlerTable = {
  replay: async (input, context) => {
    const skillDirectory = resolveSkill(input.skill);
    return runReplay(context, {
      skillDirectory,
      skillName: input.skill,
      url: input.url,
      app: input.app,
      attach: input.attach,
      dryRun: input.dryRun,
      confirm: input.confirm,
      params: parseParamPairs(input.param ?? []),
      threshold: input.threshold,
      headed: input.headed,
    });
  },
  'library.verify': async (input, context) => {
    const { verifySkills } = await import('../../engine/computer/replay/upkeep.ts');
    const { SkillLibrary } = await import('../../skills-mm/library.ts');
    const references = input.skills?.length ? input.skills : new SkillLibrary(homePath('skills')).list().map((entry) => entry.name);
    return verifySkills(
      references.map((reference) => ({ reference, directory: resolveSkill(reference) })),
      { url: input.url, app: input.app, attach: input.attach },
      (options) => runReplay(context, options),
      context.signal,
    );
  },
  'library.repair': async (input, context) => {
    const { repairStep } = await import('../../engine/computer/replay/upkeep.ts');
    const directory = resolveSkill(input.skill);
    const libraryRoot = homePath('skills');
    if (!directory.startsWith(`${libraryRoot}/`)) return repairStep({ skillDirectory: directory, step: input.step, recording: resolve(input.recording), signal: context.signal });
    // A library skill is repaired on a copy and put back through the library (audit, index).
    const { cpSync, mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const work = mkdtempSync(join(tmpdir(), 'sf-repair-library-'));
    try {
      const copy = join(work, 'skill');
      cpSync(directory, copy, { recursive: true });
      const result = await repairStep({ skillDirectory: copy, step: input.step, recording: resolve(input.recording), signal: context.signal });
      const { SkillLibrary } = await import('../../skills-mm/library.ts');
      await new SkillLibrary(libraryRoot).add(copy, { replace: true, signal: context.signal });
      return result;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
  'screen.capture': async (input) => {
    if (!process.env.DISPLAY) throw new SkillframeError('unavailable', 'no display: DISPLAY is not set');
    const { createScreen, encodePng } = await import('../../native/screen/index.ts');
    const screen = await createScreen();
    try {
      const capture = await screen.capture();
      const png = await encodePng(capture);
      if (input.out) (await import('node:fs')).writeFileSync(input.out, png);
      return { width: capture.width, height: capture.height, png: png.toString('base64'), ...(input.out ? { file: resolve(input.out) } : {}) };
    } finally {
      screen.dispose();
    }
  },
  'input.click': async (input) => {
    requireInputTier();
    if (!process.env.DISPLAY) throw new SkillframeError('unavailable', 'no display: DISPLAY is not set');
    const { createInput } = await import('../../native/input/index.ts');
    const driver = await createInput('robot');
    try {
      await driver.click(input.x, input.y, { button: input.button ?? 'left', double: input.double ?? false });
      return { clicked: { x: input.x, y: input.y } };
    } finally {
      driver.dispose();
    }
  },
  'input.type': async (input) => {
    requireInputTier();
    if (!process.env.DISPLAY) throw new SkillframeError('unavailable', 'no display: DISPLAY is not set');
    const { createInput } = await import('../../native/input/index.ts');
    const driver = await createInput('robot');
    try {
      if (input.key) await driver.press(input.key);
      else await driver.type(input.text ?? '');
      return { typed: input.key ? 1 : (input.text ?? '').length };
    } finally {
      driver.dispose();
    }
  },
};
