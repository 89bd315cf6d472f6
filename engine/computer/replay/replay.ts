import { mkdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { SkillframeError, sleep, toErrorBody } from '../../../core/index.ts';
import { containsRedactionPlaceholder, tierRank, type ExpectedPostState, type PlanFile, type PlanStep, type TargetDescriptor } from '../../../core/schemas/skill.ts';
import { auditLoaded } from '../../../skills-mm/audit.ts';
import { recordedInItsWindow } from './rungs/rung.ts';
import { bindPlan } from '../../../skills-mm/parameters.ts';
import { loadPackageSource, parsePackage, type SkillPackage } from '../../../skills-mm/format.ts';
import { clampBox, encodePng, paste, type Box, type RgbaImage } from '../../../native/image.ts';
import { cropBoth, evidenceOfChange } from '../../../perception/blink.ts';
import { createOcr, type Ocr } from '../../../perception/ocr.ts';
import { lineReader } from './line-reader.ts';
import { groundStep, prefetchTemplates, templateLoader, type Attempt, type GroundingMemory } from './ground.ts';
import { assertNoPlaceholder, resolveParameters, substitute } from './params.ts';
import type { Point, Surface } from './surface.ts';
import type { ReplayOptions, ReplayReport, ReplayStepReport } from './types.ts';
import { comparedRegion, needsPixels, settleBudget, verifyStep } from './verify.ts';
import { titleReader, waitForTitleChange } from './title-verify.ts';
import type { KnownBoundary } from '../../../core/commands/explore.ts';
import { boundaryWords, stepBoundary } from '../../../skills-mm/boundaries.ts';
import { decisiveChange, snapshotAccessible, waitForAccessibleChange, watchKeyText } from './a11y-verify.ts';
import { textOfKey } from '../../../native/input/keys.ts';
import type { WindowAccessibility } from '../accessibility.ts';
import type { AccessibleNode } from '../../../native/a11y/index.ts';
import { modelGrounder } from './vlm-grounding.ts';
import { armPage } from './web-settle.ts';
import { unconfirmedAt } from './rungs/dom.ts';
import { openWebSurface } from './web-surface.ts';
import { openX11Surface } from './x11-surface.ts';
import { literalTitle } from '../../../native/window/window.ts';

type TargetStep = Extract<PlanStep, { target: TargetDescriptor }>;

/** How long an X11 step whose target is not found waits for the window to show it (looked for again at every change). */
const lookAgainMs = 5000;

function hasTarget(step: PlanStep): step is TargetStep {
  return step.action === 'click' || step.action === 'double_click' || step.action === 'right_click' || step.action === 'hover' || step.action === 'select' || step.action === 'drag';
}

/** Loads a package for replay: the audit gate first, so a hostile package is refused before anything is touched. */
export function loadForReplay(skillDirectory: string): SkillPackage {
  const loaded = loadPackageSource(skillDirectory);
  const report = auditLoaded(loaded, skillDirectory);
  if (!report.accepted) {
    const refusals = report.findings.filter((finding) => finding.severity === 'refuse');
    throw new SkillframeError('refused', `the skill failed its audit: ${refusals.slice(0, 3).map((finding) => `${finding.code}: ${finding.message}`).join('; ')}`, { findings: refusals });
  }
  return parsePackage(loaded.files);
}

/**
 * Replays a skill on a live window or page. Each step is grounded through the ladder, acted on
 * only when grounding is confident, then verified; the first step that cannot be done safely
 * ends the replay with a coded error and the evidence, and the rest are reported as skipped.
 */
export async function replaySkill(options: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now();
  const skill = loadForReplay(options.skillDirectory);
  const values = resolveParameters(skill.plan, options.params ?? {});
  // Choice parameters pick their option's target; branches of other choices are skipped (skills-mm/parameters.ts).
  const { plan, skip: branchesNotTaken } = bindPlan(skill.plan, values);
  const branchesSkipped = new Set<number>();
  // Stop before acting, not at the step: a placeholder left in any typed text ends the replay now.
  for (const step of plan.steps) if (step.action === 'type') assertNoPlaceholder(substitute(step.text, values), step.id);
  // What this replay types: a folder in it is one the title must show; any other is the app's own.
  const typed = plan.steps.map((step) => (step.action === 'type' ? substitute(step.text, values) : '')).join('\n');
  const threshold = options.threshold ?? 0.8;
  const signal = options.signal;
  // Reports and live views show a secret by its name, never its value.
  const shown = Object.fromEntries(Object.entries(values).filter(([name]) => !plan.parameters.some((parameter) => parameter.name === name && parameter.secret)));
  const steps: ReplayStepReport[] = plan.steps.map((step) => ({ index: step.id, status: 'skipped', ms: 0, action: step.action, description: substitute(step.description, shown) }));
  let surface: Surface | undefined = options.surface;
  // A check that failed may quote what it looked for: a typed secret is named, never shown.
  const hide = (text: string) => hideSecrets(text, plan, values);
  const hiddenStep = (step: ReplayStepReport): ReplayStepReport => (step.reason ? { ...step, reason: hide(step.reason) } : step);
  const report = (error?: unknown, evidence?: string): ReplayReport => ({
    ok: !error && steps.every((step) => step.status === 'done' || branchesSkipped.has(step.index) || (options.dryRun && step.status === 'skipped')),
    steps: steps.map(hiddenStep),
    totalMs: Date.now() - started,
    ...(error ? { error: (({ code, message }) => ({ code, message: hide(message) }))(pick(toErrorBody(error))) } : {}),
    ...(evidence ? { evidence } : {}),
    ...(surface?.accessibility?.warnings.length ? { warnings: surface.accessibility.warnings.map((warning) => ({ code: warning.code, message: warning.message })) } : {}),
  });

  // The permission tier: a skill above what runs unasked needs a yes first.
  const allowed = options.autoApproveTier ?? 'read';
  if (tierRank[plan.permission_tier] > tierRank[allowed] && !options.dryRun) {
    const question = `Skill ${plan.skill} needs the "${plan.permission_tier}" permission tier (it ${describeTier(plan)}). Allow it?`;
    const approved = options.confirm === 'auto' ? true : options.confirm === 'never' ? false : await (options.askConfirmation?.(question, { skill: plan.skill, tier: plan.permission_tier, app: plan.app.name }) ?? Promise.resolve(false));
    // Say how to allow it: a first replay from a script (no one to ask) ends here.
    if (!approved) return report(new SkillframeError('refused', `permission tier ${plan.permission_tier} was not approved for ${plan.skill} (it ${describeTier(plan)}): allow it for this replay with --confirm auto, or for every skill with: skillframe settings set '{"permissions":{"autoApproveTier":"${plan.permission_tier}"}}'`));
  }

  const boundaries = (await options.boundariesFor?.({ name: plan.app.name, ...(plan.app.url ? { url: plan.app.url } : {}) }).catch(() => [])) ?? [];
  const ownsSurface = !surface;
  let ocr: Promise<Ocr> | undefined;
  try {
    surface ??= await openSurface(plan, options);
    // Screens without a DOM lean on OCR: when a check will read text, the models load while the
    // first step is grounded. Otherwise they load only if a check or rung comes to need them: a
    // skill checked by titles never waits for them. A step the accessibility tree grounds still
    // reads its expected text (focus alone proves nothing there: any button takes it), so it
    // counts too: left to load at the first check, the demo's first step waited ~0.8 s for them.
    const readsTextFirst = (step: PlanStep) => readsText(expectationFor(step, plan, values));
    if (surface.kind === 'x11' && !options.dryRun && plan.steps.some(readsTextFirst)) ocr = createOcr();
    const templates = templateLoader(skill.images);
    // On X11 every visual rung reads the recorded crops: they decode ahead, off the steps' path.
    // (A web page is grounded through its DOM; a crop is decoded there only when a rung needs it.)
    if (surface.kind === 'x11' && !options.dryRun) prefetchTemplates(plan.steps, templates);
    const readLines = lineReader(() => (ocr ??= createOcr()), signal);
    // What grounding learns about the window step after step (a search that keeps finding nothing
    // there is put off). X11 only: a web page is grounded through its DOM, and its pixels change
    // with every scroll, not with the window.
    const memory: GroundingMemory | undefined = surface.kind === 'x11' ? { searches: new Map() } : undefined;

    // One capture, two uses: the settled frame that proved step N is the frame step N+1 is grounded on.
    let settled: RgbaImage | undefined;
    // The window as it was when `settled` was taken: a frame carried past a move or resize of the
    // window would ground the next step on stale pixels where the window now is.
    let settledWindow: Box | undefined;
    for (const [position, step] of plan.steps.entries()) {
      const stepReport = steps[position];
      const stepStarted = Date.now();
      signal?.throwIfAborted();
      // On X11 one look at the window says both that it is still there and where it is now.
      let windowNow = surface.kind === 'x11' && surface.window ? await surface.window() : undefined;
      const lookMs = Date.now() - stepStarted;
      if (!(windowNow ?? (await surface.alive()))) throw new SkillframeError('unavailable', `the ${surface.kind === 'web' ? 'page navigated away or closed' : 'window closed'} before step ${step.id}`);
      const notTaken = branchesNotTaken.get(step.id);
      if (notTaken) {
        Object.assign(stepReport, { status: 'skipped', reason: notTaken });
        branchesSkipped.add(step.id);
        continue;
      }

      const known = stepBoundary(boundaries, step);
      if (known && !options.dryRun) {
        const why = `exploration found that this control ${boundaryWords[known.reason]} (${known.detail})`;
        const approved = options.confirm === 'auto' ? false : options.confirm === 'never' ? false : await (options.askConfirmation?.(`Step ${step.id}: ${stepReport.description} — ${why}. Do it anyway?`, { step: step.id, boundary: known }) ?? Promise.resolve(false));
        if (!approved) {
          stepReport.status = 'aborted';
          stepReport.reason = why;
          stepReport.ms = Date.now() - stepStarted;
          return report(new SkillframeError('refused', `step ${step.id} (${stepReport.description}): ${why}`, { boundary: known }));
        }
      }

      if (step.destructive && !options.dryRun) {
        const approved = options.confirm === 'auto' ? true : options.confirm === 'never' ? false : await (options.askConfirmation?.(`Step ${step.id} is destructive: ${stepReport.description}. Do it?`, { step: step.id, reason: step.destructive_reason }) ?? Promise.resolve(false));
        if (!approved) {
          stepReport.status = 'aborted';
          stepReport.reason = 'destructive step not confirmed';
          stepReport.ms = Date.now() - stepStarted;
          return report(new SkillframeError('refused', `step ${step.id} is destructive and was not confirmed (${step.destructive_reason ?? stepReport.description})`));
        }
        // The question may have taken a while: look at the screen afresh.
        settled = undefined;
      }

      const windowBox: Box | undefined = windowNow ? [windowNow.geometry.x, windowNow.geometry.y, windowNow.geometry.width, windowNow.geometry.height] : undefined;
      if (settled && windowBox && (!settledWindow || windowBox.some((value, index) => value !== settledWindow![index]))) settled = undefined;
      settledWindow = windowBox;
      let before: RgbaImage | undefined = settled;
      const carried = before !== undefined;
      settled = undefined;
      // On the web the page is grounded and verified through the DOM: a screenshot is taken only
      // when a rung or a check reads pixels. On X11 every rung and check does.
      const screen = surface;
      // Looking the window up is part of finding the target.
      const phases = { captureMs: 0, groundMs: lookMs, armMs: 0, guardMs: 0, actMs: 0, settleMs: 0, checkMs: 0 };
      const timed = async <T>(phase: keyof typeof phases, work: () => Promise<T>): Promise<T> => {
        const begun = Date.now();
        try {
          return await work();
        } finally {
          phases[phase] += Date.now() - begun;
        }
      };
      const frame = async (): Promise<RgbaImage> => (before ??= await screen.capture());
      if (surface.kind !== 'web') await timed('captureMs', frame);
      const size = before ?? surface.page?.viewportSize() ?? (await frame());
      let live = await liveGeometry(surface, plan, step, size, windowNow);
      // Another program's window over where the target is: move the app clear of it and look
      // again, rather than ground on (or click into) the window on top. Looking for (and moving
      // clear of) a covering window is a safety check: the engine's time.
      const uncover = hasTarget(step) && !options.dryRun ? screen.uncover?.bind(screen) : undefined;
      const moveClear = async (at: Point): Promise<boolean> => {
        const uncovered = uncover ? await timed('guardMs', () => uncover(at)) : undefined;
        if (!uncovered) return false;
        stepReport.uncovered = uncovered;
        windowNow = (await screen.window?.()) ?? windowNow;
        settledWindow = windowNow ? [windowNow.geometry.x, windowNow.geometry.y, windowNow.geometry.width, windowNow.geometry.height] : settledWindow;
        before = undefined;
        await timed('captureMs', frame);
        live = await liveGeometry(screen, plan, step, size, windowNow);
        return true;
      };
      // Where the recording puts the target, first.
      await moveClear(live.expected);
      const expectation = expectationFor(step, plan, values);
      let point: Point | undefined;
      let dropPoint: Point | undefined;
      let accessible: AccessibleNode | undefined;
      let engineMs = 0;
      /** Time spent waiting for the app to draw the target (looked for again while it changed). */
      let appearMs = 0;
      if (hasTarget(step)) {
        const groundStarted = Date.now();
        options.onStep?.({ ...stepReport, status: 'skipped', reason: 'grounding' }, before);
        const ground = () =>
          groundStep({
            surface: screen,
            plan,
            step,
            frame: before ?? frame,
            region: live.region,
            expected: live.expected,
            positionTrusted: live.positionTrusted,
            scale: live.scale,
            readLines: async () => readLines(await frame(), live.region),
            templateImage: templates,
            ...(options.model ? { askModel: modelGrounder(options.model, skill.cards.states, templates, () => live.region, signal) } : {}),
            threshold,
            disabled: new Set(options.disabledTiers ?? []),
            signal,
            ...(memory ? { memory } : {}),
          });
        let grounding = await ground();
        engineMs += Date.now() - groundStarted;
        phases.groundMs += Date.now() - groundStarted;
        if (!grounding.found && !grounding.refused && surface.kind === 'x11' && !(step.optional && !step.optional.parameter)) {
          // The app may still be drawing what this step acts on: a search lists its results a
          // moment after the typing that started it, later still on a loaded machine (gnome-
          // characters: the result was clicked 1.3 s after typing when recorded, not there yet
          // when replay looked). Each time the window shows something new, look again on it, for
          // at most lookAgainMs; a window that does not change is only watched, never grounded
          // again, and nothing is acted on until a rung is as sure as ever.
          const waitStarted = Date.now();
          let lookedMs = 0;
          let seen = await frame();
          while (!grounding.found && !grounding.refused && Date.now() - waitStarted < lookAgainMs) {
            await sleep(150, signal);
            const now = await screen.capture();
            const pair = cropBoth(seen, now, live.region);
            if (!pair || !evidenceOfChange(pair[0], pair[1]).length) continue;
            seen = before = now;
            const lookStarted = Date.now();
            grounding = await ground();
            lookedMs += Date.now() - lookStarted;
          }
          appearMs = Date.now() - waitStarted - lookedMs;
          engineMs += lookedMs;
          phases.groundMs += lookedMs;
        }
        // Found elsewhere than where the recording puts it (the accessibility tree's extents, a match
        // that moved with a larger font), the target may itself be under another program's window:
        // move clear of it and ground again where the window went.
        if (grounding.found && !stepReport.uncovered && (await moveClear(grounding.found.point))) {
          const again = Date.now();
          grounding = await ground();
          engineMs += Date.now() - again;
          phases.groundMs += Date.now() - again;
        }
        const chosen = grounding.found ?? grounding.best;
        if (chosen) Object.assign(stepReport, { tier: chosen.tier, confidence: round(chosen.confidence), point: roundPoint(chosen.point), box: chosen.box });
        if (!grounding.found && step.optional && !step.optional.parameter) {
          // A branch seen in some recordings only: its target is not here, so this run does not take it.
          Object.assign(stepReport, { status: 'skipped', reason: `optional branch not taken: ${step.optional.when}`, ms: Date.now() - stepStarted, engineMs });
          branchesSkipped.add(step.id);
          continue;
        }
        if (!grounding.found) {
          stepReport.status = 'aborted';
          stepReport.reason = `not confident enough to act (threshold ${threshold}): ${summarize(grounding.attempts)}`;
          stepReport.ms = Date.now() - stepStarted;
          stepReport.engineMs = engineMs;
          const evidence = await saveEvidence(options.evidenceDirectory, step, await frame(), grounding.attempts, skill);
          return report(new SkillframeError('unsafe', `step ${step.id} (${stepReport.description}): ${stepReport.reason}`, { attempts: grounding.attempts }), evidence);
        }
        point = grounding.found.point;
        // A drag needs its drop target found as surely as what it picks up.
        if (step.action === 'drag') {
          const drop = await groundStep({
            surface,
            plan,
            step: { ...step, target: step.to },
            frame: before ?? frame,
            region: live.region,
            expected: (await liveGeometry(surface, plan, { ...step, target: step.to }, size)).expected,
            positionTrusted: live.positionTrusted,
            scale: live.scale,
            readLines: async () => readLines(await frame(), live.region),
            templateImage: templates,
            threshold,
            disabled: new Set(options.disabledTiers ?? []),
            signal,
            ...(memory ? { memory } : {}),
          });
          if (!drop.found) {
            stepReport.status = 'aborted';
            stepReport.reason = `not confident enough where to drop (threshold ${threshold}): ${summarize(drop.attempts)}`;
            stepReport.ms = Date.now() - stepStarted;
            return report(new SkillframeError('unsafe', `step ${step.id} (${stepReport.description}): ${stepReport.reason}`, { attempts: drop.attempts }));
          }
          dropPoint = drop.found.point;
        }
        accessible = grounding.found.accessible;
      }
      // A scroll lands where it was made (the list or panel under the pointer), not mid-screen.
      if (step.action === 'scroll' && step.target) point = (await liveGeometry(surface, plan, { ...step, action: 'click', target: step.target } as unknown as PlanStep, size)).expected;
      // On the web the wheel goes only over the list or panel the recording scrolled, as the page
      // describes it (its locator): at the recorded position there may now be another one.
      const scrolledPage = surface.page;
      if (step.action === 'scroll' && point && scrolledPage && step.target?.locator && !options.dryRun) {
        const [locator, at] = [step.target.locator, point];
        const doubt = await timed('groundMs', () => unconfirmedAt(scrolledPage, locator, at, false));
        if (doubt) {
          stepReport.status = 'aborted';
          stepReport.reason = `not scrolling where the recording did: ${doubt}`;
          stepReport.ms = Date.now() - stepStarted;
          return report(new SkillframeError('unsafe', `step ${step.id} (${stepReport.description}): ${stepReport.reason}`));
        }
      }
      if (options.dryRun) {
        stepReport.status = 'skipped';
        stepReport.reason = 'dry run';
        stepReport.ms = Date.now() - stepStarted;
        stepReport.engineMs = engineMs;
        options.onStep?.(hiddenStep(stepReport), before);
        continue;
      }

      // The page is watched from before the action, so the wait ends on the page's own events.
      const page = surface.page;
      const acted = surface.kind === 'web' && point && ['click', 'double_click', 'right_click'].includes(step.action) ? point : undefined;
      const armed = page ? await timed('armMs', () => armPage(page, { ...(acted ? { at: acted } : {}), texts: expectation?.dom_text_appears ?? [], scrolls: step.action === 'scroll' })) : undefined;
      // A check that compares pixels needs the frame from before the action.
      // The carried frame grounds the step, but the app may have changed a little after it was
      // taken (a title gaining its "*"): the pixels compared are taken right before acting — only
      // the part the checks compare (the window and the watched region), laid over the carried frame.
      // Keys may go to a dialog anywhere on the screen (verified in its region): a whole frame then.
      const keys = step.action === 'type' || step.action === 'press';
      const fresh = async (): Promise<RgbaImage> => {
        if (!carried || !before || !screen.captureRegion || keys) return carried ? screen.capture() : frame();
        const box = comparedRegion({ expected: expectation, mapBox: live.mapBox, region: live.region }, before);
        return paste(before, await screen.captureRegion(box), box[0], box[1]);
      };
      const beforeAction = needsPixels(surface, expectation, armed ? !armed.opaque : false) ? await timed('captureMs', fresh) : undefined;
      // A screenshot may finish the page's animations: counting starts afresh after it.
      if (beforeAction && armed) await timed('armMs', () => armed.rearm());
      // Accessibility state is checked before pixels: what the app reports (focus, a menu or dialog
      // shown, a box checked) is evidence a blinking caret or a spinner cannot fake or hide.
      const tree = surface.accessibility;
      // A key whose text goes into a text field (Enter in a text area) may show nothing but a
      // caret that moved: the app's own account of the text it took is the evidence there.
      const keyText = step.action === 'press' && tree ? textOfKey(step.key) : undefined;
      const keyWatch = keyText !== undefined && tree ? await timed('armMs', () => keyTextWatch(tree, keyText)) : undefined;
      const accessibleCheck = accessible && tree ? await timed('armMs', () => accessibleWatch(tree, accessible!)) : keyWatch?.check;
      // The title as the step found it, when the recording saw the step change it (a save's mark going).
      const title = titleReader(surface);
      const titleBefore = expectation?.title_change && title ? await timed('armMs', title) : undefined;
      // The title's recorded change decides the step (below): the screen checks would be overruled.
      const titleChange = titleBefore !== undefined ? expectation?.title_change : undefined;
      const actStarted = Date.now();
      const guardedBefore = surface.guardMs?.() ?? 0;
      let verification: Awaited<ReturnType<typeof verifyStep>>;
      let actMs: number;
      // The surface's safety checks right before the input (part of the act's wall time).
      let guarded = 0;
      let settleMs = 0;
      try {
        try {
          await act(surface, step, point, values, size, signal, dropPoint);
        } catch (error) {
          // A refusal at the keyboard (another window took the focus): the screen as it was is the evidence.
          if (!(error instanceof SkillframeError) || error.code !== 'unsafe') throw error;
          stepReport.status = 'aborted';
          stepReport.reason = error.message;
          stepReport.ms = Date.now() - stepStarted;
          const shot = await surface.capture().catch(() => before);
          const evidence = shot ? await saveEvidence(options.evidenceDirectory, step, shot, [], skill, error.details) : undefined;
          return report(error, evidence);
        }
        actMs = Date.now() - actStarted;
        // The surface's safety checks before the input are the engine's time, not the input's.
        guarded = Math.min(actMs, (surface.guardMs?.() ?? 0) - guardedBefore);
        phases.guardMs += guarded;
        // The accessibility watch is only needed while the screen has not proven the step: it stops
        // once the step is decided (it could only turn a failure into a success).
        const accessibleDone = new AbortController();
        let accessibleSaid: { changed: boolean; evidence: string[] } | undefined;
        const accessibleChanged = accessibleCheck?.(signal ? AbortSignal.any([signal, accessibleDone.signal]) : accessibleDone.signal).then((result) => (accessibleSaid = decisiveChange(result, expectation)));
        // The title is watched from the moment of the action, while the screen settles (as long as
        // before: the settle's bound, then the title's own).
        let titleSaid: { met: boolean; how: string } | undefined;
        const titled = titleChange && titleBefore !== undefined ? waitForTitleChange(surface, titleChange, titleBefore, { timeoutMs: Math.max(3000, settleBudget(expectation)) + settleBudget(expectation), signal, typed }).then((result) => (titleSaid = result)) : undefined;
        // Keys that went to one of the app's dialogs (a Save As) changed that dialog, wherever it
        // opened: its region is watched, not the main window's.
        const dialog = keys ? await surface.keyboardDialog?.() : undefined;
        const dialogRegion: Box | undefined = dialog ? [dialog.geometry.x, dialog.geometry.y, dialog.geometry.width, dialog.geometry.height] : undefined;
        verification = await verifyStep({
          surface,
          expected: expectation,
          ...(beforeAction ? { before: beforeAction } : {}),
          region: dialogRegion ?? live.region,
          mapBox: dialogRegion ? () => dialogRegion : live.mapBox,
          readLines: (frame, region) => readLines(frame, region ?? live.region),
          signal,
          armed,
          action: step.action,
          ...(point ? { point } : {}),
          ...(acted ? { acted } : {}),
          // A success the accessibility tree reported while the app settled needs no OCR to confirm it.
          decidedElsewhere: () => (titled ? 'the window title decides' : accessibleSaid?.changed ? 'the accessibility tree reported the change' : undefined),
          // Either witness proving the step ends the wait for the screen.
          provenElsewhere: () => (titleSaid?.met ? 'title' : !titled && accessibleSaid?.changed ? 'accessibility' : undefined),
          // Keys may have opened a dialog anywhere: their frame is the whole screen.
          partialFrame: !keys,
        }).finally(() => {
          if (titled) accessibleDone.abort();
        });
        settleMs = verification.settleMs;
        if (verification.verified !== false) accessibleDone.abort();
        const byAccessibility = await accessibleChanged;
        if (byAccessibility?.changed) {
          verification.reason = `accessibility: ${byAccessibility.evidence.join(', ')}${verification.verified === false ? ` (pixels alone said: ${verification.reason})` : ''}`;
          verification.verified = true;
        }
        // The title's recorded change decides over pixels: the app's own account of what it did.
        if (titled) {
          const waited = Date.now();
          const title = await titled;
          // Waiting for the app to retitle itself is the app's time, like settling.
          settleMs += Date.now() - waited;
          verification.reason = title.how;
          verification.verified = title.met;
        }
      } finally {
        armed?.dispose();
        keyWatch?.stop();
      }
      const verifyMs = Date.now() - actStarted - actMs;
      Object.assign(phases, { actMs: actMs - guarded, settleMs: settleMs + appearMs, checkMs: Math.max(0, verifyMs - settleMs) });
      // Engine overhead: captures, grounding, arming the watches, the safety checks before the
      // input and the checks after it. It excludes waiting for the app (settling is the app's
      // time) and the input itself.
      engineMs = phases.captureMs + phases.groundMs + phases.armMs + phases.guardMs + phases.checkMs;
      stepReport.ms = Date.now() - stepStarted;
      stepReport.engineMs = engineMs;
      stepReport.phases = phases;
      stepReport.verified = verification.verified;
      if (verification.verified === false) {
        stepReport.status = 'aborted';
        stepReport.reason = `acted, but the expected result did not appear: ${verification.reason}`;
        // The whole screen as it is now: the settled frame may hold only the window afresh.
        const evidence = await saveEvidence(options.evidenceDirectory, step, (await surface.capture().catch(() => undefined)) ?? verification.after ?? before ?? (await surface.capture()), [], skill);
        return report(new SkillframeError('unsafe', `step ${step.id} (${stepReport.description}): ${stepReport.reason}`), evidence);
      }
      stepReport.status = 'done';
      stepReport.reason = verification.reason;
      stepReport.settledBy = verification.settledBy;
      settled = verification.after;
      options.onStep?.(hiddenStep(stepReport), verification.after);
    }
    return report();
  } catch (error) {
    const running = steps.find((step) => step.status === 'skipped' && step.reason === undefined);
    if (running && (signal?.aborted || error instanceof SkillframeError)) {
      running.status = 'aborted';
      running.reason = toErrorBody(error).message;
    }
    if (error instanceof SkillframeError && ['bad_input', 'refused'].includes(error.code) && !surface) throw error;
    return report(signal?.aborted ? (signal.reason ?? error) : error);
  } finally {
    if (ownsSurface) await surface?.dispose().catch(() => undefined);
    if (ocr) await ocr.then((engine) => engine.dispose()).catch(() => undefined);
  }
}

/**
 * What the field must end with after a web type step, case and all: the recorded gain when the
 * recorded text is typed again; the typed text itself when the recording showed the field kept
 * keys as typed (a new value is then kept as typed too). A field that reformats what it is given,
 * typed with a new value, has no exact expectation: its page text is still checked.
 */
function fieldGained(step: Extract<PlanStep, { action: 'type' }>, plan: PlanFile, typed: string): { field_gained?: string } {
  const defaults = Object.fromEntries(plan.parameters.flatMap((parameter) => (parameter.default === undefined ? [] : [[parameter.name, parameter.default]])));
  const recordedTyped = substitute(step.text, defaults);
  const gained = step.expected?.field_gained;
  if (gained !== undefined && typed === recordedTyped) return { field_gained: gained };
  if (gained === recordedTyped || step.typing === 'insert') return { field_gained: typed };
  return {};
}

/**
 * What to check after a step. Recorded expectations speak of the recorded values, so a parameter
 * given a new value changes them too; a typed step is checked by its own text (the recording's
 * snapshot after typing can already show what the next step caused).
 */
function expectationFor(step: PlanStep, plan: PlanFile, values: Record<string, string>, expected = step.expected): ExpectedPostState | undefined {
  // A wait on X11 stands for the previous action's late effect, seen between two recorded frames;
  // that action's own check has waited for it at replay, so the change may well be over: a wait
  // only waits (it acts on nothing), and the next step's grounding finds what it needs or stops.
  if (step.action === 'wait' && plan.platform !== 'web') return undefined;
  if (step.action === 'type') {
    const typed = substitute(step.text, values);
    if (plan.platform === 'web') return typed.trim() && typed.length <= 200 ? { dom_text_appears: [typed.trim()], ocr_text_appears: [], ...fieldGained(step, plan, typed) } : undefined;
    return expected ? { ...expected, ocr_text_appears: [] } : undefined;
  }
  if (!expected) return undefined;
  // Text the recorder redacted cannot be checked: the live screen shows the real value.
  const checkable = (texts: string[]) => texts.filter((text) => !containsRedactionPlaceholder(text));
  const titleRedacted = expected.title_change && containsRedactionPlaceholder(Object.values(expected.title_change).join('\n'));
  if (titleRedacted || [...expected.dom_text_appears, ...expected.ocr_text_appears].some(containsRedactionPlaceholder)) {
    const { title_change: _unreadable, ...rest } = expected;
    return expectationFor(step, plan, values, { ...(titleRedacted ? rest : expected), dom_text_appears: checkable(expected.dom_text_appears), ocr_text_appears: checkable(expected.ocr_text_appears) });
  }
  const swaps = plan.parameters.filter((parameter) => parameter.default && values[parameter.name] !== undefined && values[parameter.name] !== parameter.default);
  if (!swaps.length) return expected;
  const swap = (text: string) => swappedPieces(swaps.map((parameter) => [parameter.default!, values[parameter.name]!])).reduce((current, [recorded, given]) => current.split(recorded).join(given), text);
  return {
    ...expected,
    dom_text_appears: expected.dom_text_appears.map(swap),
    ocr_text_appears: expected.ocr_text_appears.map(swap),
    ...(expected.url ? { url: swap(expected.url) } : {}),
    ...(expected.title_change ? { title_change: Object.fromEntries(Object.entries(expected.title_change).map(([key, value]) => [key, swap(value)])) as typeof expected.title_change } : {}),
  };
}

/**
 * What to swap in what the recording expected when parameters change: each recorded value for the
 * given one, and for a path also its folder and its file name — an app shows a saved file apart
 * ("out.txt - /home/me/notes - Geany", "out.txt (~/notes) - Pluma"), not as the path typed.
 * Longest first, so a whole path is swapped before its pieces.
 */
export function swappedPieces(swaps: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const pieces: Array<[string, string]> = [];
  for (const [recorded, given] of swaps) {
    pieces.push([recorded, given]);
    if (!recorded.includes('/') || !given.includes('/')) continue;
    for (const part of [posix.dirname, posix.basename]) {
      const [from, to] = [part(recorded), part(given)];
      if (from.length >= 3 && from !== to && !['.', '/'].includes(from)) pieces.push([from, to]);
    }
  }
  return pieces.sort((a, b) => b[0].length - a[0].length);
}

/** Whether checking a step reads text off the screen (OCR): text expected, and no title change to decide instead. */
function readsText(expected: ExpectedPostState | undefined): boolean {
  return Boolean(expected?.ocr_text_appears.length && !expected.title_change);
}

/** A text with each secret parameter's value (2 characters or more) written as `{{name}}`. */
export function hideSecrets(text: string, plan: PlanFile, values: Record<string, string>): string {
  return plan.parameters
    .filter((parameter) => parameter.secret && (values[parameter.name] ?? '').length >= 2)
    .sort((a, b) => values[b.name].length - values[a.name].length)
    .reduce((hidden, parameter) => hidden.split(values[parameter.name]).join(`{{${parameter.name}}}`), text);
}

function pick(body: { code: string; message: string }): { code: string; message: string } {
  return { code: body.code, message: body.message };
}

function describeTier(plan: PlanFile): string {
  return plan.permission_tier === 'input' ? `clicks and types in ${plan.app.name}` : plan.permission_tier === 'system' ? 'launches apps or touches files' : plan.permission_tier === 'robot' ? 'moves actuators' : 'only observes';
}

/** The window `--attach` acts on: the one whose title holds the recorded title as written (a title is not a pattern). */
export function attachTitle(plan: PlanFile): string | undefined {
  return plan.app.window_title === undefined ? undefined : literalTitle(plan.app.window_title);
}

async function openSurface(plan: PlanFile, options: ReplayOptions): Promise<Surface> {
  if (plan.platform === 'web') {
    const url = options.url ?? plan.app.url;
    if (!url) throw new SkillframeError('bad_input', 'input.url: the skill is for a web page; give --url');
    return openWebSurface(url, { viewport: plan.screen, headed: options.headed, env: options.env, signal: options.signal });
  }
  if (!options.app && !options.attach) throw new SkillframeError('bad_input', `input.app: the skill is for the X11 app ${JSON.stringify(plan.app.name)}; give --app "COMMAND" or --attach`);
  return openX11Surface({ env: options.env, app: options.app, title: options.attach ? attachTitle(plan) : undefined, signal: options.signal });
}

/** How recorded coordinates map onto the live frame for one step. */
export interface LiveGeometry {
  region: Box;
  expected: Point;
  /** True when `expected` came through a window mapping (X11), so it may break ties. */
  positionTrusted: boolean;
  scale: { x: number; y: number };
  /** Maps a recorded box into the live frame (through the moved/resized window on X11). */
  mapBox: (box: { x: number; y: number; width: number; height: number }) => Box;
}

/**
 * Where the recorded target should be now. On X11 the recorded point is mapped through the
 * window's new position and size; on the web the viewport is the frame.
 */
async function liveGeometry(surface: Surface, plan: PlanFile, step: PlanStep, frame: { width: number; height: number }, known?: Awaited<ReturnType<NonNullable<Surface['window']>>>): Promise<LiveGeometry> {
  const whole: Box = [0, 0, frame.width, frame.height];
  const target = hasTarget(step) ? step.target : undefined;
  const recordedPoint = target?.point ?? { x: frame.width / 2, y: frame.height / 2 };
  // A point recorded outside the window the recording names for it (the window active at the
  // press, not the one under the pointer) is mapped through the app's main window as recorded.
  const mainRecorded = (plan.steps.find((candidate) => hasTarget(candidate) && candidate.target.window?.title === plan.app.window_title) ?? plan.steps.find((candidate) => hasTarget(candidate) && candidate.target.window?.geometry))?.target?.window?.geometry;
  const ownWindow = target && recordedInItsWindow(target);
  const recordedWindow = (ownWindow ? target?.window?.geometry : undefined) ?? mainRecorded;
  if (surface.kind === 'x11' && surface.window) {
    const main = known ?? (await surface.window());
    // A step recorded in one of the app's dialogs (its window has the dialog's title) is mapped
    // through that dialog: through the main window its point lands elsewhere and it looks resized
    // (gedit's Find and Replace: its Close button was read at the recorded spot and refused).
    // The recorded window is the one active at the press, not always the one under the pointer
    // (fluid: a click on the main window's File menu while its Widget Bin was active): only a point
    // recorded inside the dialog (give or take its frame) is the dialog's.
    const recordedTitle = target?.window?.title;
    const dialog = main && ownWindow && recordedTitle !== undefined && recordedTitle !== main.title ? await surface.dialogTitled?.(recordedTitle) : undefined;
    const window = dialog ?? main;
    if (window) {
      const geometry = window.geometry;
      const region = clampBox([geometry.x, geometry.y, geometry.width, geometry.height], frame.width, frame.height) ?? whole;
      if (recordedWindow) {
        const scale = { x: geometry.width / Math.max(1, recordedWindow.width), y: geometry.height / Math.max(1, recordedWindow.height) };
        const mapPoint = (point: Point) => ({ x: geometry.x + (point.x - recordedWindow.x) * scale.x, y: geometry.y + (point.y - recordedWindow.y) * scale.y });
        const inWindow = ownWindow ? target?.window?.point_in_window : undefined;
        const expected = inWindow ? { x: geometry.x + inWindow.x * scale.x, y: geometry.y + inWindow.y * scale.y } : mapPoint(recordedPoint);
        return { region, scale, expected, positionTrusted: true, mapBox: (box) => mapRect(box, mapPoint, scale) };
      }
      return { region, scale: { x: 1, y: 1 }, expected: recordedPoint, positionTrusted: false, mapBox: (box) => [box.x, box.y, box.width, box.height] };
    }
  }
  const scale = { x: frame.width / plan.screen.width, y: frame.height / plan.screen.height };
  const mapPoint = (point: Point) => ({ x: point.x * scale.x, y: point.y * scale.y });
  return { region: whole, scale, expected: mapPoint(recordedPoint), positionTrusted: false, mapBox: (box) => mapRect(box, mapPoint, scale) };
}

function mapRect(box: { x: number; y: number; width: number; height: number }, mapPoint: (point: Point) => Point, scale: { x: number; y: number }): Box {
  const origin = mapPoint(box);
  return [Math.round(origin.x), Math.round(origin.y), Math.max(1, Math.round(box.width * scale.x)), Math.max(1, Math.round(box.height * scale.y))];
}

async function act(surface: Surface, step: PlanStep, point: Point | undefined, values: Record<string, string>, frame: { width: number; height: number }, signal?: AbortSignal, dropPoint?: Point): Promise<void> {
  signal?.throwIfAborted();
  switch (step.action) {
    case 'hover':
    case 'select':
    case 'drag': {
      const missing = () => new SkillframeError('unavailable', `this ${surface.kind} surface cannot ${step.action}`);
      if (step.action === 'hover') return surface.hover ? surface.hover(point as Point) : Promise.reject(missing());
      if (step.action === 'select') return surface.select ? surface.select(point as Point, substitute(step.value, values)) : Promise.reject(missing());
      return surface.drag ? surface.drag(point as Point, dropPoint as Point) : Promise.reject(missing());
    }
    case 'click':
      return surface.click(point as Point, { button: 'left', count: 1 });
    case 'double_click':
      return surface.click(point as Point, { button: 'left', count: 2 });
    case 'right_click':
      return surface.click(point as Point, { button: 'right', count: 1 });
    case 'type': {
      const text = substitute(step.text, values);
      assertNoPlaceholder(text, step.id);
      return surface.type(text, { insert: step.typing === 'insert', ...(step.keyboard_window ? { window: step.keyboard_window } : {}) });
    }
    case 'press':
      return surface.press(step.key, step.keyboard_window ? { window: step.keyboard_window } : undefined);
    case 'scroll': {
      if (point) return surface.scroll(point, step.dx, step.dy, step.scroll_to);
      return surface.scroll({ x: frame.width / 2, y: frame.height / 2 }, step.dx, step.dy, step.scroll_to);
    }
    case 'wait':
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, Math.min(step.ms, 60_000));
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason);
        }, { once: true });
      });
      return;
  }
}

/**
 * Snapshots the app's accessibility state before an action on an accessible; the returned function
 * waits (bounded) for it to change after. Undefined when the tree cannot be read now.
 */
async function accessibleWatch(accessibility: WindowAccessibility, node: AccessibleNode): Promise<((signal?: AbortSignal) => Promise<{ changed: boolean; evidence: string[] } | undefined>) | undefined> {
  const live = await accessibility.target();
  if (typeof live === 'string') return undefined;
  try {
    const before = await snapshotAccessible(live.client, live.app, node);
    return (signal) => waitForAccessibleChange(live.client, live.app, node, before, { timeoutMs: 1500, signal }).catch((error) => {
      // Never rejects: an abort is raised by the step itself, a bus failure only loses this evidence.
      if (!signal?.aborted) accessibility.fail(error);
      return undefined;
    });
  } catch (error) {
    accessibility.fail(error);
    return undefined;
  }
}

/** Listens, before a key is sent, for the app taking the key's text at its caret (a11y-verify.ts watchKeyText). */
async function keyTextWatch(accessibility: WindowAccessibility, inserted: string): Promise<{ check: (signal?: AbortSignal) => Promise<{ changed: boolean; evidence: string[] } | undefined>; stop: () => void } | undefined> {
  const live = await accessibility.target({ waitMs: 0 });
  if (typeof live === 'string') return undefined;
  const watch = await watchKeyText(live.client, live.app, inserted, accessibility.textInUse()).catch(() => undefined);
  if (!watch) return undefined;
  return { check: (signal) => watch.wait({ timeoutMs: 1500, signal }).catch(() => undefined), stop: watch.stop };
}

function summarize(attempts: Attempt[]): string {
  return attempts.map((attempt) => `${attempt.tier}${attempt.confidence === undefined ? '' : ` ${attempt.confidence}`}: ${attempt.reason}`).join('; ');
}

async function saveEvidence(directory: string | undefined, step: PlanStep, frame: RgbaImage, attempts: Attempt[], skill: SkillPackage, details?: unknown): Promise<string | undefined> {
  if (!directory) return undefined;
  try {
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `step-${step.id}-live.png`), await encodePng(frame));
    const recorded = hasTarget(step) && step.target.template ? skill.images.get(step.target.template.file) : undefined;
    if (recorded) writeFileSync(join(directory, `step-${step.id}-recorded-target.png`), recorded);
    writeFileSync(join(directory, `step-${step.id}.json`), JSON.stringify({ step, attempts, ...(details === undefined ? {} : { details }) }, null, 2));
    return directory;
  } catch {
    return undefined;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function roundPoint(point: Point): Point {
  return { x: Math.round(point.x), y: Math.round(point.y) };
}
