import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseRedactions, redactText } from '../core/redaction.ts';
import { SkillframeError } from '../core/index.ts';
import {
  PlanFile,
  RuntimeStateCardsFile,
  SKILL_FORMAT_VERSION,
  SkillFrontmatter,
  SkillName,
  StateCardsFile,
  type AnchorDescriptor,
  type KeyboardWindow,
  type Rect,
  type ExpectedPostState,
  type PermissionTier,
  containsRedactionPlaceholder,
  redactionPlaceholders,
  labelUnderPoint,
  type PlanParameter,
  type PlanStep,
  type StateCard,
  type StateView,
  type TargetDescriptor,
} from '../core/schemas/skill.ts';
import type { ElementState, PageState, TrajectoryEvent, TrajectoryMeta } from '../core/schemas/trajectory.ts';
import { readTrajectory } from './trajectory/store.ts';
import { cleanEventText } from './trajectory/clean-text.ts';
import { stepTitleChange, type TitleChange } from './title-change.ts';
import { cleanText } from '../core/text.ts';
import { frameDifference } from '../perception/diff.ts';
import { dHash, hammingDistance } from '../perception/hash.ts';
import { splitWordsAtBars, type Ocr, type OcrLine, type OcrWord } from '../perception/ocr.ts';
import { auditLoaded, labelRefusal, requiredTier, stepDestructiveReason } from './audit.ts';
import { packageToFiles, writePackageFiles, type SkillPackage } from './format.ts';
import { decodeImage } from '../native/image.ts';
import { topLevelRoles } from '../native/a11y/index.ts';
import { boxAround, clampRect, cropPng, grow, hideBoxes, intersects, renderView, unionOf } from './images.ts';

/**
 * Builder: trajectory → MMSkills package. Deterministic: the same recording gives the same
 * procedure text. OCR (perception) adds labels, anchors and expected text on X11 frames; DOM
 * targets carry the web. An optional rewriter (a VLM pass) may improve the wording afterwards.
 */

export interface BuildOptions {
  trajectoryDir: string;
  /** More recordings of the same task: merged with the first into one procedure (skills-mm/merge.ts). */
  moreTrajectoryDirs?: string[];
  outDir: string;
  name?: string;
  /** OCR for X11 labels and anchors; omit to build without (faster, fewer rungs for replay). */
  ocr?: Pick<Ocr, 'recognize'>;
  rewriter?: SkillRewriter;
  /** metadata.version to write (a merge into an existing skill bumps it). */
  version?: string;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

/** The hook for an optional VLM pass; what it returns is validated and length-capped before use. */
export interface SkillRewriter {
  rewrite(draft: {
    task: string;
    app: string;
    steps: { id: number; description: string }[];
    states: { state_id: string; stage: string; when_to_use: string }[];
    /** The first states' keyframes (their `before` view, red box on the target), for a model that sees. */
    keyframes: { state_id: string; image: Buffer }[];
  }, signal?: AbortSignal): Promise<{
    description?: string;
    steps?: { id: number; description: string }[];
    states?: { state_id: string; when_to_use?: string; visual_risk?: string }[];
  }>;
}

export interface BuildResult {
  name: string;
  dir: string;
  steps: number;
  states: number;
  parameters: string[];
  permission_tier: PermissionTier;
  files: number;
  bytes: number;
  ms: number;
  warnings: string[];
  /** With several recordings: what the merge found (choices, branches). */
  merge?: import('./merge.ts').MergeReport;
}

type Action = PlanStep['action'];

interface Draft {
  action: Action;
  events: TrajectoryEvent[];
  text?: string;
  masked?: boolean;
  /** The recorder redacted part of the typed text (an e-mail, a key …): the value is a secret. */
  redacted?: boolean;
  key?: string;
  dx?: number;
  dy?: number;
  ms?: number;
  before?: string;
  after?: string;
  url?: string;
  navigatedTo?: string;
  windowTitleAfter?: string;
  /** `select`: the list box's option labels as the recorder saw them. */
  listOptions?: string[];
}

const modifierKeys = new Set(['ctrl', 'control', 'alt', 'shift', 'meta', 'super', 'control_l', 'control_r', 'shift_l', 'shift_r', 'alt_l', 'alt_r', 'super_l', 'super_r']);
const keyAliases: Record<string, string> = { return: 'enter', kp_enter: 'enter', esc: 'escape', del: 'delete', arrowup: 'up', arrowdown: 'down', arrowleft: 'left', arrowright: 'right', prior: 'pageup', next: 'pagedown', ' ': 'space' };
/** A pause longer than this between actions, with the screen changing meanwhile, becomes a wait step. */
const waitGapMs = 1500;
const maxStepsPerState = 4;

export function normalizeKey(chord: string): string | undefined {
  const parts = chord.split('+').map((part) => part.trim()).filter(Boolean);
  if (!parts.length) return undefined;
  const mapped = parts.map((part, index) => {
    const lower = part.toLowerCase();
    if (index < parts.length - 1) return lower === 'control' ? 'ctrl' : lower === 'super' ? 'meta' : lower;
    return keyAliases[lower] ?? (lower.length === 1 ? lower : lower.replace(/[^a-z0-9_]/g, ''));
  });
  const key = mapped[mapped.length - 1];
  if (!key || modifierKeys.has(key)) return undefined;
  return mapped.join('+');
}

/** Pass 1: events → draft steps (merge keystrokes, drop no-ops, fold navigation into the step that caused it). */
export function segment(meta: TrajectoryMeta, events: readonly TrajectoryEvent[], warnings: string[]): Draft[] {
  const drafts: Draft[] = [];
  let lastAfter = meta.startFrame;
  let url = meta.url;
  let previousKind: string | undefined;
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
    const before = event.frames?.before ?? lastAfter;
    const last = drafts[drafts.length - 1];
    if (event.kind === 'navigate') {
      url = event.url ?? url;
      if (last && last.action !== 'wait') last.navigatedTo = event.url;
      if (event.frames?.after) lastAfter = event.frames.after;
      if (last && event.frames?.after) last.after = event.frames.after;
      previousKind = event.kind;
      continue;
    }
    if (event.kind === 'focus') {
      if (last && event.window?.title) last.windowTitleAfter = event.window.title;
      if (event.frames?.after) lastAfter = event.frames.after;
      previousKind = event.kind;
      continue;
    }
    const draft: Draft = { action: 'click', events: [event], before, after: event.frames?.after, url: event.url ?? url };
    switch (event.kind) {
      case 'click':
      case 'middle_click': {
        // Two clicks at one spot within 400 ms that the recorder did not fold are a double click.
        const previousEvent = last?.events[last.events.length - 1];
        if (last?.action === 'click' && previousEvent?.pointer && event.pointer && event.t - previousEvent.t < 400 && Math.hypot(previousEvent.pointer.x - event.pointer.x, previousEvent.pointer.y - event.pointer.y) < 4) {
          last.action = 'double_click';
          last.events.push(event);
          last.after = event.frames?.after ?? last.after;
          lastAfter = last.after ?? lastAfter;
          continue;
        }
        draft.action = 'click';
        break;
      }
      case 'double_click':
        if (last?.action === 'click' && last.events[0].pointer && event.pointer && Math.hypot(last.events[0].pointer.x - event.pointer.x, last.events[0].pointer.y - event.pointer.y) < 4 && event.t - last.events[0].t < 600) {
          drafts.pop(); // the recorder logged the first click of the double click on its own
          draft.before = last.before;
        }
        draft.action = 'double_click';
        break;
      case 'right_click':
        draft.action = 'right_click';
        break;
      case 'type': {
        const text = event.text ?? '';
        if (!text && !event.masked) continue;
        if (last?.action === 'type' && previousKind === 'type' && sameField(last.events[0], event)) {
          last.text = `${last.text ?? ''}${text}`;
          last.masked = last.masked || event.masked;
          last.redacted = last.redacted || wasRedacted(event);
          last.events.push(event);
          last.after = event.frames?.after ?? last.after;
          lastAfter = last.after ?? lastAfter;
          continue;
        }
        draft.action = 'type';
        draft.text = text;
        draft.masked = event.masked;
        draft.redacted = wasRedacted(event);
        break;
      }
      case 'key': {
        const key = event.key ? normalizeKey(event.key) : undefined;
        if (!key) continue;
        draft.action = 'press';
        draft.key = key;
        break;
      }
      case 'scroll': {
        const dx = Math.round(event.scroll?.dx ?? 0);
        const dy = Math.round(event.scroll?.dy ?? 0);
        if (dx === 0 && dy === 0) continue;
        if (last?.action === 'scroll' && previousKind === 'scroll') {
          last.dx = (last.dx ?? 0) + dx;
          last.dy = (last.dy ?? 0) + dy;
          last.events.push(event);
          last.after = event.frames?.after ?? last.after;
          lastAfter = last.after ?? lastAfter;
          continue;
        }
        draft.action = 'scroll';
        draft.dx = dx;
        draft.dy = dy;
        break;
      }
      case 'wait':
        draft.action = 'wait';
        draft.ms = Math.round(event.ms ?? 0);
        if (!draft.ms) continue;
        break;
      case 'hover':
        draft.action = 'hover';
        break;
      case 'select': {
        draft.action = 'select';
        draft.text = event.value ?? event.text ?? '';
        if (event.target?.options?.length) draft.listOptions = event.target.options;
        // Opening the list box and moving through its options is part of choosing: one step,
        // replayed by the option's label, that expects what the choice changed.
        const opening = openingOfSelect(drafts, event);
        if (opening.length) Object.assign(draft, { events: [...opening.flatMap((item) => item.events), event], before: opening[0].before, url: opening[0].url });
        break;
      }
      case 'drag':
        if (!event.pointerEnd) throw new SkillframeError('bad_input', `events.jsonl: event ${event.seq}: a drag without pointerEnd cannot be replayed`);
        draft.action = 'drag';
        break;
    }
    drafts.push(draft);
    if (draft.after) lastAfter = draft.after;
    previousKind = event.kind;
  }
  return drafts;
}

/** Keys that open a native <select> or move through its options (its own keyboard, not the app's). */
const choosingKeys = new Set(['up', 'down', 'left', 'right', 'home', 'end', 'pageup', 'pagedown', 'enter', 'space', 'escape']);

/**
 * The last drafts that opened the same <select> as `event` or moved through its options (a click
 * on it, arrow keys, letters typed to jump), removed from `drafts`: replayed on their own they
 * would pick an option by position, which an upgraded app may have moved.
 */
function openingOfSelect(drafts: Draft[], event: TrajectoryEvent): Draft[] {
  const opening: Draft[] = [];
  const sameSelect = (other: TrajectoryEvent) => other.target?.tag === 'select' && (event.target?.css ? other.target.css === event.target.css : other.target.name === event.target?.name);
  for (let last = drafts.at(-1); last && sameSelect(last.events[0]) && (last.action === 'click' || last.action === 'type' || (last.action === 'press' && choosingKeys.has(last.key ?? ''))); last = drafts.at(-1)) {
    opening.unshift(drafts.pop()!);
  }
  return opening;
}

function sameField(a: TrajectoryEvent, b: TrajectoryEvent): boolean {
  if (a.target?.css || b.target?.css) return a.target?.css === b.target?.css;
  if (a.window?.id || b.window?.id) return a.window?.id === b.window?.id;
  return true;
}

interface Frame {
  png: Buffer;
  rgba: { data: Uint8Array; width: number; height: number };
  hash: string;
}

/** The frames around one plan step, kept for the state views. */
export interface StepFrames {
  before?: Frame;
  after?: Frame;
  changed?: Rect;
}

/** Where a step happened: the page or window, which decides the stage. */
export interface StepPlace {
  key?: string;
  label: string;
}

/**
 * One recording turned into plan steps (passes segment, waits and targets). Several of them are
 * merged into one skill by skills-mm/merge.ts before the states pass.
 */
export interface Demonstration {
  dir: string;
  meta: TrajectoryMeta;
  appName: string;
  steps: PlanStep[];
  parameters: PlanParameter[];
  frames: StepFrames[];
  places: StepPlace[];
  /** Per step, the labelled group its target sits in (web: from the aria snapshot), e.g. "Plan". */
  groups: (string | undefined)[];
  /** Per step, a native <select>'s option labels as recorded (the values a choice there can take). */
  listOptions: (string[] | undefined)[];
  images: Map<string, Buffer>;
}

/** Builds a package from a trajectory folder and writes it to `outDir`. */
export async function buildSkill(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const warnings: string[] = [];
  const directories = [options.trajectoryDir, ...(options.moreTrajectoryDirs ?? [])];
  const demonstrations: Demonstration[] = [];
  for (const [index, directory] of directories.entries()) {
    const share = 0.6 / directories.length;
    demonstrations.push(await readDemonstration(directory, options, warnings, (fraction, message) => options.progress?.(0.1 + share * (index + fraction), directories.length > 1 ? `recording ${index + 1}: ${message}` : message)));
  }
  const { listChoices, mergeDemonstrations } = await import('./merge.ts');
  if (demonstrations.length === 1) {
    listChoices(demonstrations[0]);
    return finishSkill(demonstrations[0], options, warnings, started);
  }
  const { demonstration, report } = mergeDemonstrations(demonstrations);
  const result = await finishSkill(demonstration, options, warnings, started, `${demonstrations.length} recordings: ${demonstrations.map((entry) => entry.meta.id).join(', ')}`, demonstrations.length);
  return { ...result, merge: report };
}

/** The passes after the steps are known: states (cards and views), then text and write. */
export async function finishSkill(demonstration: Demonstration, options: BuildOptions, warnings: string[], started: number, source = `trajectory ${demonstration.meta.id}`, recordings = 1): Promise<BuildResult> {
  const name = resolveSkillName(options, demonstration.meta, warnings);
  const cards = groupStates(demonstration);
  await renderStateViews(demonstration, cards, options, await secretShowings(demonstration, options));
  return writeSkill(demonstration, cards, name, options, warnings, started, source, recordings);
}

/** The folder name is the skill name (Agent Skills requires it): `--name`, else the folder, else the app. */
export function resolveSkillName(options: Pick<BuildOptions, 'name' | 'outDir'>, meta: TrajectoryMeta, warnings: string[]): string {
  const folder = basename(resolve(options.outDir));
  if (options.name) {
    const name = skillName(options.name, meta);
    if (name !== folder) warnings.push(`the skill is named ${name} but its folder is ${folder}; Agent Skills readers (skills-ref validate) want them equal`);
    return name;
  }
  if (SkillName.safeParse(folder).success) return folder;
  const name = skillName(undefined, meta);
  warnings.push(`the folder name ${JSON.stringify(folder)} is not a skill name; the skill is named ${name}, so Agent Skills readers will refuse the folder`);
  return name;
}

/**
 * OCR lines a package can carry: a line the audit would refuse as an app's text is left out — a
 * misreading with look-alike letters of two scripts ("Ωpen" for "Open"), or a shell command an app
 * shows ("curl -X GET …") — and so is a line the recorder would have redacted: an e-mail typed
 * into an editor was redacted from the recording, then read back off its frames into the skill's
 * anchors and state cards (dogfood, kwrite).
 */
function readable(lines: OcrLine[]): OcrLine[] {
  return lines.filter((line) => !labelRefusal(line.text) && !wouldRedact(line.text));
}

/** The recorder's default patterns, as applied to text an app shows (names, titles). */
const shownTextRedactions = parseRedactions(undefined);

/** Text an app shows that the recorder would have redacted (an e-mail, a key …). */
function wouldRedact(text: string): boolean {
  return redactText(text, shownTextRedactions, false).fired.length > 0;
}

/** X11: what the step did to the recorded window's title (until the next step's first input). */
function titleExpectation(meta: TrajectoryMeta, draft: Draft, later: readonly Draft[]): { title_change?: TitleChange } {
  if (draft.action === 'wait') return {};
  const change = stepTitleChange(meta.titles, draft.events[0].at, later.find((next) => next.action !== 'wait')?.events[0].at);
  return change ? { title_change: change } : {};
}

/**
 * X11: the part the window an input went to plays — the recorded app's main window, or a dialog of
 * it (the recorder read WM_TRANSIENT_FOR). Undefined when that cannot be told (the web, a recording
 * made before the recorder read it, another window that is no dialog): replay then checks only that
 * keys go to the app, as before.
 */
export function windowPart(meta: TrajectoryMeta, event: TrajectoryEvent): KeyboardWindow | undefined {
  const window = event.window;
  if (meta.kind !== 'x11' || !window) return undefined;
  const main = meta.app?.window?.id;
  const role = window.id !== undefined && window.id === main ? 'main' : window.transientFor !== undefined ? 'dialog' : undefined;
  if (!role) return undefined;
  const width = Math.round(window.geometry.width);
  const height = Math.round(window.geometry.height);
  return {
    role,
    title: window.title.slice(0, 300),
    ...(window.className ? { class_name: window.className.slice(0, 200) } : {}),
    ...(width > 0 && height > 0 && width <= 16_384 && height <= 16_384 ? { size: { width, height } } : {}),
  };
}

/**
 * X11: the step opened one of the app's dialogs (a click on "Save As…", ctrl+shift+s) — the next
 * input (waits aside) was keys, which go where the focus already is, into a dialog of the app that
 * no earlier input went to. A next input that was a click may itself have brought a dialog that was
 * open all along to the front (a tool window): that says nothing of this step.
 */
function dialogExpectation(meta: TrajectoryMeta, draft: Draft, earlier: readonly Draft[], later: readonly Draft[]): { dialog_shown?: { title: string } } {
  if (draft.action === 'wait') return {};
  const nextStep = later.find((candidate) => candidate.action !== 'wait');
  const next = nextStep?.events[0];
  if (!next || (nextStep.action !== 'type' && nextStep.action !== 'press')) return {};
  const part = windowPart(meta, next);
  const dialog = next.window?.id;
  if (part?.role !== 'dialog' || !part.title || dialog === undefined) return {};
  if ([...earlier, draft].some((step) => step.events.some((event) => event.window?.id === dialog))) return {};
  return { dialog_shown: { title: part.title } };
}

/** Passes segment, waits and targets: a recording read into plan steps with their frames. */
export async function readDemonstration(trajectoryDir: string, options: Pick<BuildOptions, 'ocr' | 'signal'>, warnings: string[], progress: (fraction: number, message: string) => void = () => undefined): Promise<Demonstration> {
  const signal = options.signal;
  const trajectory = readTrajectory(trajectoryDir, { repair: false });
  const { meta } = trajectory;
  // Recordings made before text was cleaned at the recording boundary get the same cleaning here.
  for (const event of trajectory.events) cleanEventText(event);
  const drafts = segment(meta, trajectory.events, warnings);
  if (!drafts.length) throw new SkillframeError('bad_input', `trajectory ${trajectoryDir} has no actions to build a skill from (${trajectory.events.length} events)`);
  if (drafts.length > 200) throw new SkillframeError('bad_input', `trajectory ${trajectoryDir} has ${drafts.length} steps; a skill holds at most 200 — split the recording`);
  const frame = frameLoader(trajectory.dir, warnings);
  const withWaits = await insertWaits(drafts, frame);
  const screen = { width: meta.screen.width, height: meta.screen.height };
  const appName = meta.kind === 'web' ? hostOf(meta.url) ?? 'web' : meta.app?.name ?? meta.app?.window?.className?.toLowerCase() ?? 'app';
  const demonstration: Demonstration = { dir: trajectory.dir, meta, appName, steps: [], parameters: [], frames: [], places: [], groups: [], listOptions: [], images: new Map() };

  // Pass 3 (targets): per step — changed region, target descriptors, OCR label/anchors, expected post-state.
  for (const [index, draft] of withWaits.entries()) {
    if (signal?.aborted) throw signal.reason ?? new SkillframeError('aborted', 'build was cancelled');
    progress(index / withWaits.length, `step ${index + 1}/${withWaits.length}`);
    const id = index + 1;
    const event = draft.events[0];
    const before = await frame(draft.before);
    const after = await frame(draft.after);
    let changed: Rect | undefined;
    if (before && after && before.rgba.width === after.rgba.width && before.rgba.height === after.rgba.height) {
      const difference = frameDifference(before.rgba, after.rgba);
      changed = unionOf(difference.boxes.map(([x, y, width, height]) => ({ x, y, width, height })));
    }
    const target = draft.action === 'wait' ? undefined : await describeTarget(draft, event, before, id, screen, options.ocr, signal, demonstration.images, warnings);
    const expectedText = await expectedOcrText(meta, draft, before, after, changed, screen, options.ocr, typedFrom(withWaits.slice(index + 1)), signal);
    const description = describeStep(draft, target, meta, demonstration.parameters, id);
    const common = {
      id,
      state_id: 'pending',
      stage: '',
      description: description.text,
      expected: {
        ...webExpectation(draft, withWaits[index - 1], typedFrom(withWaits.slice(index)), hostOf(meta.url)),
        // What the action was seen to do (explore records it) is the best expectation.
        ...(event.effect?.textAppeared?.some((line) => !labelRefusal(line)) ? { dom_text_appears: event.effect.textAppeared.filter((line) => !labelRefusal(line)).slice(0, 8).map((line) => line.slice(0, 200)) } : {}),
        ocr_text_appears: expectedText,
        ...(changed ? { changed_region: changed } : {}),
        ...(draft.navigatedTo ? { url: draft.navigatedTo.slice(0, 2000) } : {}),
        ...(draft.windowTitleAfter ? { window_title: draft.windowTitleAfter.slice(0, 300) } : {}),
        // How long the app took to settle when recorded: replay's quiet window for this step.
        ...(draft.events.at(-1)?.settleMs !== undefined ? { settle_ms: draft.events.at(-1)!.settleMs } : {}),
        ...titleExpectation(meta, draft, withWaits.slice(index + 1)),
        ...dialogExpectation(meta, draft, withWaits.slice(0, index), withWaits.slice(index + 1)),
      },
      destructive: false,
    };
    // The audit's own judgement, over every string replay can act on: a built package passes it.
    const reason = stepDestructiveReason({ description: description.text, target, action: draft.action, key: draft.key });
    if (reason) Object.assign(common, { destructive: true, destructive_reason: reason });
    // Where the keys went: replay types only into a window playing the same part.
    const keyboardWindow = windowPart(meta, event);
    let step: PlanStep;
    switch (draft.action) {
      case 'click':
      case 'double_click':
      case 'right_click':
        step = { ...common, action: draft.action, target: target! };
        break;
      case 'type':
        step = {
          ...common,
          expected: { ...common.expected, ...fieldGain(draft, meta.kind) },
          action: 'type',
          text: description.typed ?? '',
          ...(plainTyping(draft, meta.kind) ? { typing: 'insert' as const } : {}),
          ...(target ? { target } : {}),
          ...(keyboardWindow ? { keyboard_window: keyboardWindow } : {}),
        };
        break;
      case 'press':
        step = { ...common, action: 'press', key: draft.key!, ...(target ? { target } : {}), ...(keyboardWindow ? { keyboard_window: keyboardWindow } : {}) };
        break;
      case 'scroll': {
        // Coalesced wheel events: the place the last one left the container at is where the step goes.
        const place = draft.events.at(-1)?.scrolledTo;
        step = { ...common, action: 'scroll', dx: draft.dx ?? 0, dy: draft.dy ?? 0, ...(place ? { scroll_to: place } : {}), ...(target ? { target } : {}) };
        break;
      }
      case 'wait':
        step = { ...common, action: 'wait', ms: draft.ms ?? 0 };
        break;
      case 'hover':
      case 'select':
      case 'drag': {
        if (!target) throw new SkillframeError('bad_input', `events.jsonl: event ${event.seq}: a ${draft.action} without a target position cannot be replayed`);
        if (draft.action === 'hover') step = { ...common, action: 'hover', target };
        else if (draft.action === 'select') step = { ...common, action: 'select', target, value: (draft.text ?? '').slice(0, 1000) };
        else step = { ...common, action: 'drag', target, to: dropTarget(event) };
        break;
      }
    }
    demonstration.steps.push(step);
    demonstration.frames.push({ before, after, changed });
    demonstration.places.push(placeOf(meta, draft, appName));
    demonstration.listOptions.push(draft.listOptions);
    demonstration.groups.push(target?.locator?.role && target.locator.name ? groupOf(draft.events[draft.events.length - 1].ariaSnapshot, target.locator.role, target.locator.name) : undefined);
  }
  return demonstration;
}

function frameLoader(dir: string, warnings: string[]): (name: string | undefined) => Promise<Frame | undefined> {
  const frames = new Map<string, Frame>();
  return async (name) => {
    if (!name) return undefined;
    const cached = frames.get(name);
    if (cached) return cached;
    let png: Buffer;
    try {
      png = readFileSync(join(dir, name));
    } catch {
      warnings.push(`frame ${name} is missing`);
      return undefined;
    }
    const rgba = await decodeImage(png);
    const loaded = { png, rgba, hash: dHash(rgba) };
    frames.set(name, loaded);
    return loaded;
  };
}

/** Pass 2 (waits): pauses in which the screen changed by itself become wait steps. */
async function insertWaits(drafts: Draft[], frame: (name: string | undefined) => Promise<Frame | undefined>): Promise<Draft[]> {
  const withWaits: Draft[] = [];
  for (const [index, draft] of drafts.entries()) {
    const previous = drafts[index - 1];
    if (previous && previous.action !== 'wait' && draft.action !== 'wait') {
      const gap = draft.events[0].t - previous.events[previous.events.length - 1].t;
      if (gap > waitGapMs && previous.after && draft.before && previous.after !== draft.before) {
        const [a, b] = [await frame(previous.after), await frame(draft.before)];
        const changedMeanwhile = a && b && a.rgba.width === b.rgba.width && a.rgba.height === b.rgba.height && frameDifference(a.rgba, b.rgba).boxes.length > 0;
        if (changedMeanwhile) withWaits.push({ action: 'wait', events: [draft.events[0]], ms: Math.min(10_000, Math.round(gap / 100) * 100), before: previous.after, after: draft.before, url: draft.url });
      }
    }
    withWaits.push(draft);
  }
  return withWaits;
}

const groupRoles = new Set(['group', 'radiogroup', 'listbox', 'menu', 'menubar', 'tablist', 'list', 'tree', 'grid', 'table', 'combobox', 'toolbar']);

/** The name of the labelled group (`group "Plan"`, `listbox "Shipping"`) around a node in an aria snapshot. */
export function groupOf(snapshot: string | undefined, role: string, name: string): string | undefined {
  if (!snapshot) return undefined;
  const lines = snapshot.split('\n');
  const at = lines.findIndex((line) => line.trimStart().startsWith(`- ${role} ${JSON.stringify(name)}`));
  if (at < 0) return undefined;
  let indent = lines[at].length - lines[at].trimStart().length;
  for (let index = at - 1; index >= 0; index -= 1) {
    const line = lines[index];
    const depth = line.length - line.trimStart().length;
    if (depth >= indent) continue;
    indent = depth;
    const match = /^- ([a-z]+) "([^"]{1,80})"/.exec(line.trimStart());
    if (match && groupRoles.has(match[1])) return match[2];
  }
  return undefined;
}

function placeOf(meta: TrajectoryMeta, draft: Draft, appName: string): StepPlace {
  const event = draft.events[0];
  if (meta.kind === 'web') {
    const key = pageKey(draft.url);
    return { key, label: `On ${event.pageTitle ? JSON.stringify(event.pageTitle.slice(0, 60)) : 'the page'} (${(key ?? '').slice(0, 60)})` };
  }
  const key = event.window?.title ?? meta.app?.window?.title ?? appName;
  return { key, label: `In the ${JSON.stringify(key.slice(0, 60))} window` };
}

/** Pass 4 (states): visually distinct screens become states; a page or window change starts a stage. */
export function groupStates(demonstration: Demonstration): StateCard[] {
  const { steps, frames, places } = demonstration;
  const cards: StateCard[] = [];
  let stageIndex = 0;
  let stageKey: string | undefined;
  let stageName = '';
  let stateHash: string | undefined;
  for (const [index, step] of steps.entries()) {
    const place = places[index];
    const { before } = frames[index];
    const newStage = index === 0 || place.key !== stageKey;
    if (newStage) {
      stageIndex += 1;
      stageKey = place.key;
      stageName = `${stageIndex}. ${place.label}`;
    }
    // A new state where the screen looks different; at most 4 steps a state keeps its views focused.
    const full = cards.length > 0 && cards[cards.length - 1].step_ids.length >= maxStepsPerState;
    const newState = newStage || full || !stateHash || (before && hammingDistance(before.hash, stateHash) > 6) || cards.length === 0;
    if (newState && cards.length < 100) {
      stateHash = before?.hash ?? stateHash;
      cards.push({
        state_id: `s${String(cards.length + 1).padStart(2, '0')}`,
        stage: stageName.slice(0, 120),
        image_role: step.action === 'wait' ? 'check' : 'target',
        when_to_use: '',
        when_not_to_use: '',
        visible_cues: [],
        verification_cue: '',
        visual_risk: '',
        preferred_view_order: [],
        available_views: [],
        step_ids: [],
      });
    }
    const card = cards[cards.length - 1];
    card.step_ids.push(step.id);
    step.state_id = card.state_id;
    step.stage = card.stage;
  }
  return cards;
}

/** Pass 4, views: full frame, focus crop, before and after per state, with red/green marks; then the card text. */
async function renderStateViews(demonstration: Demonstration, cards: StateCard[], options: Pick<BuildOptions, 'signal' | 'progress'>, hidden: Map<Frame, Rect[]>): Promise<void> {
  const { steps, frames, images, meta, appName } = demonstration;
  const screen = { width: meta.screen.width, height: meta.screen.height };
  const shown = new Map<Frame, Promise<Buffer>>();
  /** A frame as a package may show it: with what it must not show painted over. */
  const pixels = (frame: Frame): Promise<Buffer> => {
    const boxes = hidden.get(frame);
    if (!boxes?.length) return Promise.resolve(frame.png);
    if (!shown.has(frame)) shown.set(frame, hideBoxes(frame.png, { width: frame.rgba.width, height: frame.rgba.height }, boxes));
    return shown.get(frame)!;
  };
  // A target's template is cut from the frame before its step: once a secret showed there, cut again from the hidden frame.
  for (const [index, step] of steps.entries()) {
    const before = frames[index]?.before;
    const template = step.target?.template;
    if (!before || !template || !hidden.get(before)?.some((box) => intersects(box, template.box))) continue;
    images.set(template.file, (await cropPng(await pixels(before), { width: before.rgba.width, height: before.rgba.height }, template.box)).data);
  }
  for (const [cardIndex, card] of cards.entries()) {
    if (options.signal?.aborted) throw options.signal.reason ?? new SkillframeError('aborted', 'build was cancelled');
    options.progress?.(0.75 + 0.2 * (cardIndex / cards.length), `views of ${card.state_id}`);
    const cardSteps = card.step_ids.map((id) => steps[id - 1]);
    const first = frames[card.step_ids[0] - 1];
    const last = frames[card.step_ids[card.step_ids.length - 1] - 1];
    const targets = cardSteps.map((step) => step.target).filter((target): target is TargetDescriptor => Boolean(target));
    const targetBoxes = targets.map((target) => target.box ?? boxAround(target.point, 24, 24, screen));
    const changedBoxes = card.step_ids.map((id) => frames[id - 1].changed).filter((box): box is Rect => Boolean(box));
    const checkBox = unionOf(changedBoxes);
    const views: StateView[] = [];
    const addView = async (view: StateView['view'], source: Frame | undefined, crop: Rect | undefined, marks: { box: Rect; color: 'red' | 'green' }[]) => {
      if (!source) return;
      const size = { width: source.rgba.width, height: source.rgba.height };
      const rendered = await renderView(await pixels(source), size, { crop, marks, format: 'webp' });
      const file = `Images/${card.state_id}-${view}.webp`;
      images.set(file, rendered.data);
      views.push({ view, file, width: rendered.width, height: rendered.height, marks: [...new Set(marks.map((mark) => (mark.color === 'red' ? 'target' : 'check') as 'target' | 'check'))] });
    };
    await addView('full_frame', first.before, undefined, targetBoxes.map((box) => ({ box, color: 'red' as const })));
    // The focus is the first target; for typing and keys (no pointer on X11) it is where the screen changed.
    const focusBox = targetBoxes[0] ?? changedBoxes[0];
    const focusSource = targetBoxes[0] ? first.before : last.after;
    if (focusBox && focusSource) {
      const crop = boxAround({ x: focusBox.x + focusBox.width / 2, y: focusBox.y + focusBox.height / 2 }, Math.max(320, focusBox.width * 3), Math.max(200, focusBox.height * 3), { width: focusSource.rgba.width, height: focusSource.rgba.height });
      await addView('focus_crop', focusSource, crop, [{ box: focusBox, color: targetBoxes[0] ? 'red' : 'green' }]);
    }
    await addView('before', first.before, undefined, []);
    await addView('after', last.after, undefined, checkBox ? [{ box: checkBox, color: 'green' }] : []);
    card.available_views = views;
    card.preferred_view_order = (['focus_crop', 'full_frame', 'after', 'before'] as const).filter((view) => views.some((candidate) => candidate.view === view));
    fillCardText(card, cardSteps, meta, appName);
  }
}

/**
 * What each recorded frame must not show. The recorder redacted a secret from the typed text, but
 * the frames after that step still show it (dogfood, kwrite: an e-mail typed into the editor was in
 * the package's images): from the step that typed it on, the field it went into (the step's target,
 * and where the screen changed as it was typed) is painted over, and where OCR reads the frames
 * (X11), so is every word there the recorder's patterns would redact, wherever the app shows it.
 */
async function secretShowings(demonstration: Demonstration, options: Pick<BuildOptions, 'ocr' | 'signal'>): Promise<Map<Frame, Rect[]>> {
  const { steps, frames } = demonstration;
  const secretSteps = new Set(demonstration.parameters.filter((parameter) => parameter.secret).flatMap((parameter) => parameter.steps));
  const hidden = new Map<Frame, Rect[]>();
  if (!secretSteps.size) return hidden;
  const add = (frame: Frame | undefined, boxes: readonly Rect[]) => {
    if (frame && boxes.length) hidden.set(frame, [...(hidden.get(frame) ?? []), ...boxes]);
  };
  const fields: Rect[] = [];
  for (const [index, step] of steps.entries()) {
    const stepFrames = frames[index] ?? {};
    add(stepFrames.before, fields);
    if (secretSteps.has(step.id)) {
      const screen = stepFrames.after?.rgba ?? stepFrames.before?.rgba;
      for (const box of [step.target?.box, stepFrames.changed]) if (box && screen) fields.push(grow(box, 4, screen));
    }
    add(stepFrames.after, fields);
  }
  if (options.ocr) {
    // The frames from the first secret on are the ones that hold a field already.
    for (const frame of [...hidden.keys()]) {
      const { lines } = await options.ocr.recognize(frame.rgba, options.signal ? { signal: options.signal } : {});
      for (const line of lines) {
        if (!wouldRedact(line.text)) continue;
        const words = (line.words ?? []).filter((word) => wouldRedact(word.text));
        add(frame, (words.length ? words.map((word) => word.box) : [line.box]).map(([x, y, width, height]) => grow({ x, y, width, height }, 3, frame.rgba)));
      }
    }
  }
  return hidden;
}

/** How many states' keyframes the VLM rewrite sees (a model's context holds a few images, not every state's). */
const maxRewriteKeyframes = 4;

/** Pass 5 (write): the optional VLM rewrite, then SKILL.md, cards, plan and images, schema-checked. */
async function writeSkill(demonstration: Demonstration, cards: StateCard[], name: string, options: BuildOptions, warnings: string[], started: number, source: string, recordings: number): Promise<BuildResult> {
  const { steps, parameters, meta, appName, images } = demonstration;
  const signal = options.signal;
  const screen = { width: meta.screen.width, height: meta.screen.height };
  const tier = requiredTier({ steps } as unknown as PlanFile);
  // The skill's name says the task (a name like "galculator-task" says nothing more than the app).
  const task = / task$/.test(name.replace(/-/g, ' ')) || !name ? 'do the recorded task' : name.replace(/-/g, ' ');
  const screens = [...new Set(demonstration.places.map((place) => /"([^"]+)"/.exec(place.label)?.[1]).filter((screen): screen is string => Boolean(screen)))];
  let description = skillDescription(task, appName, steps, recordings, screens, parameters);
  if (options.rewriter) {
    try {
      const keyframes = cards.slice(0, maxRewriteKeyframes).flatMap((card) => {
        const view = card.available_views.find((candidate) => candidate.view === 'before') ?? card.available_views[0];
        const image = view ? images.get(view.file) : undefined;
        return image ? [{ state_id: card.state_id, image }] : [];
      });
      const rewrite = await options.rewriter.rewrite({ task, app: appName, steps: steps.map((step) => ({ id: step.id, description: step.description })), states: cards.map((card) => ({ state_id: card.state_id, stage: card.stage, when_to_use: card.when_to_use })), keyframes }, signal);
      if (typeof rewrite.description === 'string' && rewrite.description.trim()) description = rewrite.description.trim().slice(0, 1024);
      for (const change of rewrite.steps ?? []) {
        const step = steps.find((candidate) => candidate.id === change.id);
        if (step && typeof change.description === 'string' && change.description.trim()) step.description = change.description.trim().slice(0, 300);
      }
      for (const change of rewrite.states ?? []) {
        const card = cards.find((candidate) => candidate.state_id === change.state_id);
        if (!card) continue;
        if (typeof change.when_to_use === 'string' && change.when_to_use.trim()) card.when_to_use = change.when_to_use.trim().slice(0, 400);
        if (typeof change.visual_risk === 'string' && change.visual_risk.trim()) card.visual_risk = change.visual_risk.trim().slice(0, 300);
      }
    } catch (error) {
      warnings.push(`rewriter failed, kept the deterministic text: ${(error as Error).message}`);
    }
  }

  const plan = PlanFile.parse({
    format_version: SKILL_FORMAT_VERSION,
    skill: name,
    platform: meta.kind,
    app: {
      name: appName,
      ...(meta.app?.command ? { command: meta.app.command } : {}),
      ...(meta.url ? { url: meta.url } : {}),
      ...(meta.app?.window?.title ? { window_title: meta.app.window.title.slice(0, 300) } : {}),
    },
    screen,
    permission_tier: tier,
    parameters,
    steps,
  });
  const frontmatter = SkillFrontmatter.parse({
    name,
    description,
    metadata: {
      version: options.version ?? '1.0.0',
      app: appName,
      permission_tier: tier,
      platform: meta.kind,
      format_version: String(SKILL_FORMAT_VERSION),
      steps: String(steps.length),
      built_at: new Date().toISOString(),
      source: source.slice(0, 200),
    },
  });
  const stateCards = StateCardsFile.parse({ format_version: SKILL_FORMAT_VERSION, skill: name, states: cards });
  const runtime = RuntimeStateCardsFile.parse({
    format_version: SKILL_FORMAT_VERSION,
    skill: name,
    states: cards.map((card) => ({
      state_id: card.state_id,
      stage: card.stage,
      when_to_use: card.when_to_use.slice(0, 200),
      visible_cues: card.visible_cues.slice(0, 3).map((cue) => cue.slice(0, 120)),
      verification_cue: card.verification_cue.slice(0, 200),
      ...(card.preferred_view_order[0] ? { preferred_view: card.preferred_view_order[0] } : {}),
    })),
  });
  const skill: SkillPackage = { frontmatter, body: skillBody(frontmatter, plan, stateCards, task), cards: stateCards, runtime, plan, images };
  options.progress?.(0.97, 'writing');
  const files = packageToFiles(skill);
  // A build never hands over a package its own audit refuses: nothing is written then.
  const audit = auditLoaded({ files, problems: [], names: [...files.keys()], bytes: [...files.values()].reduce((sum, data) => sum + data.length, 0) }, options.outDir);
  if (!audit.accepted) {
    const refusals = audit.findings.filter((finding) => finding.severity === 'refuse');
    throw new SkillframeError('refused', `the built package fails its own audit, so nothing was written to ${options.outDir}: ${refusals.slice(0, 3).map((finding) => `${finding.code}: ${finding.message}`).join('; ')}`, { findings: audit.findings });
  }
  writePackageFiles(options.outDir, files);
  const bytes = [...files.values()].reduce((sum, data) => sum + data.length, 0);
  options.progress?.(1, 'done');
  return { name, dir: options.outDir, steps: steps.length, states: cards.length, parameters: parameters.map((parameter) => parameter.name), permission_tier: tier, files: files.size, bytes, ms: Date.now() - started, warnings };
}

async function describeTarget(
  draft: Draft,
  event: TrajectoryEvent,
  before: Frame | undefined,
  stepId: number,
  screen: { width: number; height: number },
  ocr: BuildOptions['ocr'],
  signal: AbortSignal | undefined,
  images: Map<string, Buffer>,
  warnings: string[],
): Promise<TargetDescriptor | undefined> {
  const recorded = event.target;
  const pointer = event.pointer ?? (recorded?.box ? { x: recorded.box.x + recorded.box.width / 2, y: recorded.box.y + recorded.box.height / 2 } : undefined);
  if (!pointer) {
    if (draft.action === 'click' || draft.action === 'double_click' || draft.action === 'right_click') {
      warnings.push(`step ${stepId}: a click without a pointer position; using the screen centre`);
      return { point: { x: Math.round(screen.width / 2), y: Math.round(screen.height / 2) }, anchors: [] };
    }
    return undefined;
  }
  const point = { x: Math.round(pointer.x), y: Math.round(pointer.y) };
  const box = recorded?.box ? clampRect({ x: recorded.box.x, y: recorded.box.y, width: recorded.box.width, height: recorded.box.height }, screen) : undefined;
  const target: TargetDescriptor = { point, anchors: [], ...(box ? { box } : {}) };
  if (recorded && (recorded.role || recorded.name || recorded.testId || recorded.text || recorded.css)) {
    const rawName = recorded.rawName && recorded.rawName.length <= 200 ? recorded.rawName : undefined;
    const rawText = recorded.rawText && recorded.rawText.length <= 200 ? recorded.rawText : undefined;
    target.locator = {
      ...(recorded.role ? { role: recorded.role.slice(0, 60) } : {}),
      ...(recorded.name ? { name: recorded.name.slice(0, 200) } : {}),
      ...(rawName && recorded.name && rawName !== recorded.name ? { raw_name: rawName } : {}),
      ...(recorded.testId ? { test_id: recorded.testId.slice(0, 200) } : {}),
      ...(recorded.text ? { text: recorded.text.slice(0, 200) } : {}),
      ...(rawText && recorded.text && rawText !== recorded.text ? { raw_text: rawText } : {}),
      ...(recorded.scope && recorded.scope.length <= 300 ? { scope: recorded.scope } : {}),
      // A redacted anchor cannot match the live row: without it the look-alikes stay untold apart (replay refuses).
      ...(recorded.anchorText && recorded.anchorText.length <= 200 && !containsRedactionPlaceholder(recorded.anchorText) ? { anchor_text: recorded.anchorText } : {}),
      ...(recorded.row && !recorded.anchorText && !recorded.row.texts.some(containsRedactionPlaceholder) ? { row: recorded.row } : {}),
      ...(recorded.css ? { css: recorded.css.slice(0, 500) } : {}),
      ...(box ? { box } : {}),
    };
  }
  if (event.accessible) target.accessible = event.accessible;
  if (event.window) {
    target.window = {
      title: event.window.title.slice(0, 300),
      geometry: clampRect({ x: event.window.geometry.x, y: event.window.geometry.y, width: event.window.geometry.width, height: event.window.geometry.height }, { width: 1 << 15, height: 1 << 15 }),
      ...(event.pointerInWindow ? { point_in_window: { x: Math.round(event.pointerInWindow.x), y: Math.round(event.pointerInWindow.y) } } : {}),
    };
  }
  if (before) {
    const size = { width: before.rgba.width, height: before.rgba.height };
    // The template is the element's box when known, else a patch around the pointer.
    const templateBox = box && box.width >= 8 && box.height >= 8 && box.width <= 600 && box.height <= 300 ? box : boxAround(point, 96, 48, size);
    const crop = await cropPng(before.png, size, templateBox);
    const file = `Images/step-${String(stepId).padStart(2, '0')}-target.png`;
    images.set(file, crop.data);
    target.template = { file, box: templateBox, frame: size, point_in_crop: { x: point.x - templateBox.x, y: point.y - templateBox.y } };
    if (ocr && !target.locator) {
      const region = boxAround(point, 640, 320, size);
      try {
        const lines = readable((await ocr.recognize(before.rgba, { region: [region.x, region.y, region.width, region.height], signal })).lines);
        const read = lines.map((line) => ({ ...line, area: { x: line.box[0], y: line.box[1], width: line.box[2], height: line.box[3] } }));
        // The label is the text under the pointer or nothing. Text merely near the click is
        // another control's (galculator's "+" 33 px below an unreadable "-"; a menu above an empty
        // text area), and the OCR rung would click it: it can still serve as an anchor.
        const hit = read.find((line) => labelUnderPoint(line.area, point));
        const label = hit ? phraseAt(hit, point) : undefined;
        const labelled = hit && label && labelUnderPoint(label.area, point) ? hit : undefined;
        if (labelled && label) {
          target.ocr = { text: label.text.slice(0, 200), box: label.area, confidence: Math.max(0, Math.min(1, labelled.confidence)) };
          if (!target.box) target.box = grow(label.area, 4, size);
        }
        target.anchors = pickAnchors(read.filter((line) => line !== labelled), point);
      } catch (error) {
        if (signal?.aborted) throw error;
        warnings.push(`step ${stepId}: OCR failed (${(error as Error).message})`);
      }
    }
  }
  return target;
}

/**
 * The label under the pointer inside an OCR line: a menu bar or toolbar is read as one line
 * ("File Edit Search Help"), but its items stand apart by more than a word space. Words closer
 * than half the line height form one phrase ("Save As…"); the phrase at (or nearest) the pointer
 * is the label.
 */
export function phraseAt(line: OcrLine & { area: Rect }, point: { x: number; y: number }): { text: string; area: Rect } {
  const words = splitWordsAtBars(line.words ?? []);
  if (words.length < 2) return { text: line.text, area: line.area };
  const phrases: OcrWord[][] = [[words[0]]];
  for (let index = 1; index < words.length; index += 1) {
    const previous = words[index - 1].box;
    const gap = words[index].box[0] - (previous[0] + previous[2]);
    if (gap > line.box[3] / 2 || words[index].afterBar) phrases.push([words[index]]);
    else phrases[phrases.length - 1].push(words[index]);
  }
  const distance = (phrase: OcrWord[]) => {
    const left = phrase[0].box[0];
    const right = phrase[phrase.length - 1].box[0] + phrase[phrase.length - 1].box[2];
    return Math.max(left - point.x, 0, point.x - right);
  };
  const best = phrases.reduce((winner, phrase) => (distance(phrase) < distance(winner) ? phrase : winner));
  const left = best[0].box[0];
  const right = best[best.length - 1].box[0] + best[best.length - 1].box[2];
  return { text: best.map((word) => word.text).join(' '), area: { x: left, y: line.area.y, width: Math.max(1, right - left), height: line.area.height } };
}

/** Up to 3 nearby lines of confident, non-numeric-looking text: labels that stay put. */
function pickAnchors(lines: (OcrLine & { area: Rect })[], point: { x: number; y: number }): AnchorDescriptor[] {
  return lines
    .filter((line) => line.confidence >= 0.8 && line.text.trim().length >= 2 && /[A-Za-z]/.test(line.text))
    .map((line) => ({ line, distance: Math.hypot(line.area.x + line.area.width / 2 - point.x, line.area.y + line.area.height / 2 - point.y) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map(({ line }) => ({
      text: line.text.slice(0, 200),
      box: line.area,
      offset: { dx: Math.round(point.x - (line.area.x + line.area.width / 2)), dy: Math.round(point.y - (line.area.y + line.area.height / 2)) },
    }));
}

/**
 * Text the step's after-frame shows in its changed region. Text a later step types is that step's
 * effect, never this one's: under load the recorder may take a click's after-frame once the typing
 * that follows has begun (the click into IDLE's empty editor changes nothing of its own), and
 * replay would then wait for the next step's text before doing it.
 */
async function expectedOcrText(meta: TrajectoryMeta, draft: Draft, before: Frame | undefined, after: Frame | undefined, changed: Rect | undefined, screen: { width: number; height: number }, ocr: BuildOptions['ocr'], typedLater: readonly string[], signal?: AbortSignal): Promise<string[]> {
  if (!ocr || meta.kind !== 'x11' || !after || !changed) return [];
  // Reading the whole screen costs seconds; a small changed region is where the answer shows.
  if (changed.width * changed.height > 0.15 * screen.width * screen.height) return [];
  const region = grow(changed, 8, { width: after.rgba.width, height: after.rgba.height });
  try {
    const lines = readable((await ocr.recognize(after.rgba, { region: [region.x, region.y, region.width, region.height], signal })).lines);
    // Text the region already showed before the action is no evidence of it: a button row whose
    // hover border changed ("Quit|Save|Load" read as "Quit Save Load") was expected after a click
    // into xedit's text, and a smaller window that reads it otherwise failed the step.
    const shownBefore = before && before.rgba.width === after.rgba.width ? new Set(readable((await ocr.recognize(before.rgba, { region: [region.x, region.y, region.width, region.height], signal })).lines).map((line) => sameText(line.text))) : new Set<string>();
    // The window's title is checked by title_change; read by OCR from one snapshot it is stale
    // (the "*" a later step's typing adds) and holds paths that differ from run to run.
    const titles = [...(meta.titles ?? []).map((entry) => entry.title), ...draft.events.map((event) => event.window?.title ?? '')].map(normalizeTyped).filter((title) => title.length >= 6);
    const isTitle = (line: string) => {
      const read = normalizeTyped(line);
      return read.length >= 6 && titles.some((title) => title.includes(read) || read.includes(title));
    };
    const typed = typedLater.map(normalizeTyped);
    // A text caret is read as a bar beside the text ("Alpha beta |"): no character of it.
    const withoutCaret = (line: string) => normalizeTyped(line).replace(/^\|+|\|+$/g, '');
    const typedByLater = (line: string) => {
      const read = withoutCaret(line);
      // The first characters of what a later step types ("dr" of "draft"), or three characters at
      // least anywhere in it: a calculator's "15" is not the "5" typed later.
      return typed.some((text) => (read.length >= 2 && text.startsWith(read)) || (read.length >= 3 && text.length >= 3 && (text.includes(read) || read.includes(text))));
    };
    // The OCR model also knows Chinese: a toolbar icon in the region is read as a glyph or two of it
    // (gnumeric's "个", "田", "自"). Where the app shows no such script (its titles, what was typed),
    // a line that short in it is an icon, not text the step made appear.
    const appWritesIdeographs = [...titles, ...typed].some((text) => ideograph.test(text));
    const iconRead = (line: string) => !appWritesIdeographs && [...line.trim()].length <= 2 && ideograph.test(line);
    return lines.filter((line) => line.confidence >= 0.6 && withoutCaret(line.text) && !typedByLater(line.text) && !isTitle(line.text) && !iconRead(line.text) && !shownBefore.has(sameText(line.text))).slice(0, 4).map((line) => line.text.trim().slice(0, 200));
  } catch (error) {
    if (signal?.aborted) throw error;
    return [];
  }
}

/** Characters of the scripts written with ideographs and syllabaries (Chinese, Japanese, Korean). */
const ideograph = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Read text as two readings of the same pixels compare: without case, spaces, or the bars borders are read as. */
function sameText(text: string): string {
  return normalizeTyped(text).replace(/\|/g, '');
}

/** Typed or read text compared without case and spacing (OCR drops and adds spaces). */
function normalizeTyped(text: string): string {
  return cleanText(text).toLowerCase().replace(/\s+/g, '');
}

/** What this step and the steps after it type: never an expectation of this step (it would be the next step's effect). */
function typedFrom(drafts: readonly Draft[]): string[] {
  return drafts.filter((draft) => draft.action === 'type' && !draft.masked && draft.text?.trim()).map((draft) => cleanText(draft.text!));
}

/**
 * A web step's expected post-state: first what the action itself changed (the acted element's
 * ARIA state, its focus, dialogs or regions that appeared), which survives changes elsewhere on
 * the page; then page text that appeared, as the second check.
 */
function webExpectation(draft: Draft, previous: Draft | undefined, typed: readonly string[], host: string | undefined): Pick<ExpectedPostState, 'dom_text_appears' | 'effect'> {
  const last = draft.events[draft.events.length - 1];
  const then = previous?.events[previous.events.length - 1];
  // Text a later step typed, or that names where the app was served from (a port that changes
  // from run to run), is no expectation of this step; nor is page text the audit would refuse to
  // carry (an API console's `curl -X GET …`): another line, or the action's effect, says as much.
  const notExpected = (line: string) => typed.some((text) => line.includes(text) || text.includes(line)) || Boolean(host && line.includes(host)) || labelRefusal(line) !== undefined;
  const after = last.afterState;
  const fresh: string[] = [];
  if (after && then?.afterState) {
    const old = new Set(then.afterState.text);
    // A refused command goes on over lines ending in a backslash (`curl -X 'GET' \` ↵ `-H '…'`):
    // its continuation lines are left out with it.
    let command = false;
    for (const [index, line] of after.text.entries()) {
      command = labelRefusal(line) !== undefined || (command && /\\\s*$/.test(after.text[index - 1] ?? ''));
      if (command || line.length < 2 || line.length > 120 || old.has(line) || notExpected(line) || fresh.includes(line)) continue;
      fresh.push(line);
      if (fresh.length >= 4) break;
    }
  } else if (!after && last.ariaSnapshot && then?.ariaSnapshot) {
    // Recordings without after-states: new lines of the aria snapshot. Without the snapshot
    // before, every line would look new; say nothing rather than noise.
    const old = new Set(then.ariaSnapshot.split('\n').map((line) => line.trim()));
    for (const line of last.ariaSnapshot.split('\n').map((value) => value.trim())) {
      if (!line || old.has(line)) continue;
      // A quoted name may hold escaped quotes (`listitem: "{\"a\": 1}"`): read it whole, unescaped.
      const name = /"((?:[^"\\]|\\.){2,120})"/.exec(line)?.[1]?.replace(/\\(.)/g, '$1');
      const quoted = name ?? /:\s*(.{2,120})$/.exec(line)?.[1];
      if (quoted && !fresh.includes(quoted) && !notExpected(quoted)) fresh.push(quoted);
      if (fresh.length >= 4) break;
    }
  }
  const effect = draft.action === 'wait' || draft.action === 'type' ? undefined : actionEffect(draft.events[0].targetBefore, after, then?.afterState, editableRoles.has(draft.events[0].target?.role ?? ''));
  return { dom_text_appears: fresh, ...(effect ? { effect } : {}) };
}

/** Fields a click focuses to type into; focus on a button is a side effect of clicking, not what it did. */
const editableRoles = new Set(['textbox', 'searchbox', 'combobox', 'spinbutton']);

function actionEffect(before: ElementState | undefined, after: PageState | undefined, previous: PageState | undefined, editable: boolean): ExpectedPostState['effect'] {
  if (!after) return undefined;
  const effect: NonNullable<ExpectedPostState['effect']> = { shown: [] };
  const target = after.target;
  if (before && target?.present) {
    for (const key of ['expanded', 'checked', 'selected', 'pressed'] as const) {
      if (target[key] !== undefined && target[key] !== before[key]) effect[key] = target[key];
    }
    // A field clicked to type into must hold the focus after, even when it already had it (autofocus).
    if (editable && target.focused) effect.focused = true;
  }
  const seen = new Set((previous?.shown ?? []).map((item) => `${item.role}\u0000${item.name}`));
  effect.shown = after.shown
    .filter((item) => item.name && item.name.length <= 200 && item.role.length <= 60 && !seen.has(`${item.role}\u0000${item.name}`))
    .slice(0, 4)
    .map((item) => ({ role: item.role, name: item.name }));
  const said = Object.keys(effect).length > 1 || effect.shown.length > 0;
  return said ? effect : undefined;
}

function describeStep(draft: Draft, target: TargetDescriptor | undefined, meta: TrajectoryMeta, parameters: PlanParameter[], id: number): { text: string; typed?: string } {
  const what = targetPhrase(target, meta);
  switch (draft.action) {
    case 'click':
      return { text: `Click ${what}.` };
    case 'double_click':
      return { text: `Double-click ${what}.` };
    case 'right_click':
      return { text: `Right-click ${what}.` };
    case 'type': {
      const mixed = draft.masked ? undefined : redactedParts(draft);
      if (mixed) {
        // Literal words around a redacted value stay text; only each redacted value becomes a
        // required secret ("Meeting notes: call [email]" → "Meeting notes: call {{secret_1}}").
        const field = target?.locator?.name ?? target?.locator?.text;
        const typed = mixed
          .map((part) => {
            if (part.literal !== undefined) return part.literal;
            const name = `secret_${parameters.filter((parameter) => parameter.name.startsWith('secret')).length + 1}`;
            parameters.push({
              name,
              default: '',
              description: `Secret typed in step ${id}${field ? ` into "${field.slice(0, 40)}"` : ''}, its ${part.placeholder!.replace(/^\[|\]$/g, '')} part redacted when recorded; required: pass it with --param ${name}=…`.slice(0, 200),
              steps: [id],
              secret: true,
            });
            return `{{${name}}}`;
          })
          .join('');
        return { text: `Type ${JSON.stringify(typed.slice(0, 120))}${field ? ` into the ${JSON.stringify(field.slice(0, 60))} field` : ''}.`, typed };
      }
      const secret = Boolean(draft.masked || draft.redacted);
      const base = secret ? 'secret' : 'text';
      const name = `${base}_${parameters.filter((parameter) => parameter.name.startsWith(base)).length + 1}`;
      const field = target?.locator?.name ?? target?.locator?.text;
      const why = draft.masked ? 'masked when recorded (a password field)' : 'redacted when recorded';
      parameters.push({
        name,
        // A redacted value is a hole, not text: storing "[email]" as the default would type it.
        default: secret ? '' : (draft.text ?? '').slice(0, 10_000),
        description: (secret ? `Secret typed in step ${id}${field ? ` into "${field.slice(0, 40)}"` : ''}, ${why}; required: pass it with --param ${name}=…` : `Text typed in step ${id}${field ? ` into "${field.slice(0, 60)}"` : ''}`).slice(0, 200),
        steps: [id],
        ...(secret ? { secret: true } : {}),
      });
      return { text: `Type {{${name}}}${field ? ` into the ${JSON.stringify(field.slice(0, 60))} field` : ''}.`, typed: `{{${name}}}` };
    }
    case 'press':
      return { text: `Press ${draft.key!.split('+').map((part) => (part.length === 1 ? part.toUpperCase() : part[0].toUpperCase() + part.slice(1))).join('+')}.` };
    case 'scroll': {
      const parts = [];
      if (draft.dy) parts.push(`${draft.dy > 0 ? 'down' : 'up'} ${Math.abs(draft.dy)} px`);
      if (draft.dx) parts.push(`${draft.dx > 0 ? 'right' : 'left'} ${Math.abs(draft.dx)} px`);
      return { text: `Scroll ${parts.join(' and ')}${target ? ` over ${what}` : ''}.` };
    }
    case 'wait':
      return { text: `Wait ${((draft.ms ?? 0) / 1000).toFixed(1)} s for the screen to settle.` };
    case 'hover':
      return { text: `Hover over ${what}.` };
    case 'select':
      return { text: `Choose ${JSON.stringify((draft.text ?? '').slice(0, 80))} in ${what}.` };
    case 'drag': {
      const drop = draft.events[0].dropTarget;
      const onto = drop?.name || drop?.text;
      return { text: `Drag ${what} onto ${onto ? JSON.stringify(onto.slice(0, 80)) : 'the drop target'}.` };
    }
  }
}

/**
 * What a web field's value gained from the typing, as the page kept it (an upper-casing coupon
 * field keeps "SPRING26" for "spring26"). Unknown (masked, redacted, control characters, no values
 * recorded, a value that was replaced rather than grown) is undefined.
 */
function valueGained(draft: Draft, kind: TrajectoryMeta['kind']): string | undefined {
  const text = draft.text ?? '';
  if (kind !== 'web' || draft.masked || draft.redacted || !text || /[\u0000-\u001f\u007f]/.test(text)) return undefined;
  const before = draft.events[0].targetBefore ? draft.events[0].targetBefore.value : '';
  const after = draft.events.at(-1)?.value;
  return before !== undefined && after !== undefined && after.startsWith(before) ? after.slice(before.length) : undefined;
}

/**
 * Whether a web field took the typed keys as plain text: its value after typing is its value before
 * plus exactly the typed text (no key handler masked, reformatted or swallowed a key). Unknown
 * means key by key.
 */
function plainTyping(draft: Draft, kind: TrajectoryMeta['kind']): boolean {
  const gained = valueGained(draft, kind);
  return gained !== undefined && gained === draft.text;
}

/** Replay's exact check of a web type step: the gain, when known and fit to store. */
function fieldGain(draft: Draft, kind: TrajectoryMeta['kind']): { field_gained?: string } {
  const gained = valueGained(draft, kind);
  return gained && gained.length <= 200 && !containsRedactionPlaceholder(gained) ? { field_gained: gained } : {};
}

/**
 * A redacted typed text that also holds words of its own, cut into those words and the redacted
 * value (a recorder placeholder: a built-in one or `[name]` of a custom pattern); undefined when
 * the text is not that.
 */
function redactedParts(draft: Draft): { literal?: string; placeholder?: string }[] | undefined {
  const text = draft.text ?? '';
  if (!draft.redacted || !text) return undefined;
  const custom = draft.events.flatMap((event) => (event.redactions ?? []).map((name) => `[${name}]`));
  const placeholders = [...new Set<string>([...redactionPlaceholders, ...custom])];
  const pattern = new RegExp(placeholders.map((placeholder) => placeholder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const parts: { literal?: string; placeholder?: string }[] = [];
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > at) parts.push({ literal: text.slice(at, match.index) });
    parts.push({ placeholder: match[0] });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push({ literal: text.slice(at) });
  // One redacted value in words of its own (merging recordings follows one parameter per typed
  // step); literal text that could read as a parameter ({{…}}) is not split. Otherwise the whole
  // text stays one secret, as before.
  const literal = parts.filter((part) => part.literal !== undefined).map((part) => part.literal).join('');
  return parts.filter((part) => part.placeholder).length === 1 && literal.trim() && !literal.includes('{{') ? parts : undefined;
}

/** The typed text itself holds a redaction (custom patterns leave `[name]`); other fields of the event do not count. */
function wasRedacted(event: TrajectoryEvent): boolean {
  const typed = event.text ?? '';
  return containsRedactionPlaceholder(typed) || (event.redactions ?? []).some((name) => typed.includes(`[${name}]`));
}

/** Where a drag ends, as a target replay can ground like any other. */
function dropTarget(event: TrajectoryEvent): TargetDescriptor {
  const end = event.pointerEnd as { x: number; y: number };
  const drop = event.dropTarget;
  const locator = drop && (drop.role || drop.name || drop.css)
    ? { ...(drop.role ? { role: drop.role.slice(0, 60) } : {}), ...(drop.name ? { name: drop.name.slice(0, 200) } : {}), ...(drop.css ? { css: drop.css.slice(0, 500) } : {}) }
    : undefined;
  return { point: { x: Math.round(end.x), y: Math.round(end.y) }, anchors: [], ...(locator ? { locator } : {}) };
}

function targetPhrase(target: TargetDescriptor | undefined, meta: TrajectoryMeta): string {
  if (!target) return 'the focused element';
  const locator = target.locator;
  // The app's window itself names no control (GTK 4 answers its frame for every point): the step
  // was "Click the "Characters" frame" where the person clicked "Black Snowman" (dogfood).
  const accessible = target.accessible && !topLevelRoles.has(target.accessible.role.toLowerCase()) ? target.accessible : undefined;
  const label = locator?.name || locator?.text || accessible?.name || target.ocr?.text;
  if (label) {
    const roleName = locator?.role ?? (accessible?.name ? accessible.role : undefined);
    const role = roleName && roleName !== 'generic' ? ` ${roleName}` : '';
    return `the ${JSON.stringify(label.trim().slice(0, 80))}${role}`;
  }
  if (locator?.test_id) return `the element with test id ${JSON.stringify(locator.test_id.slice(0, 80))}`;
  // No label: described by the text next to it, else by where it sits — never by raw coordinates.
  const anchor = target.anchors[0];
  if (anchor) {
    const { dx, dy } = anchor.offset;
    const side = Math.abs(dx) >= Math.abs(dy) ? (dx > 0 ? 'right of' : 'left of') : dy > 0 ? 'below' : 'above';
    return `the unlabelled control ${side} ${JSON.stringify(anchor.text.trim().slice(0, 60))}`;
  }
  const frame = target.window?.geometry && target.window.point_in_window ? { point: target.window.point_in_window, width: target.window.geometry.width, height: target.window.geometry.height } : { point: target.point, width: meta.screen.width, height: meta.screen.height };
  const row = ['top', 'middle', 'bottom'][Math.min(2, Math.floor((3 * frame.point.y) / Math.max(1, frame.height)))];
  const column = ['left', 'centre', 'right'][Math.min(2, Math.floor((3 * frame.point.x) / Math.max(1, frame.width)))];
  const where = row === 'middle' && column === 'centre' ? 'centre' : row === 'middle' ? `middle ${column}` : `${row} ${column}`;
  const place = target.window?.title ? `the ${JSON.stringify(target.window.title.slice(0, 60))} window` : meta.kind === 'web' ? 'the page' : 'the screen';
  return `the unlabelled spot in the ${where} of ${place} (see the focus crop)`;
}

function fillCardText(card: StateCard, cardSteps: PlanStep[], meta: TrajectoryMeta, appName: string) {
  const first = cardSteps[0];
  const last = cardSteps[cardSteps.length - 1];
  const labels = cardSteps
    .map((step) => step.target?.locator?.name ?? step.target?.locator?.text ?? step.target?.ocr?.text)
    .filter((label): label is string => Boolean(label && label.trim()))
    .map((label) => label.trim().slice(0, 60));
  const anchors = cardSteps.flatMap((step) => step.target?.anchors ?? []).map((anchor) => anchor.text.slice(0, 60));
  const place = meta.kind === 'web' ? 'the page' : `the ${appName} window`;
  const showing = labels.length ? ` showing ${[...new Set(labels)].slice(0, 3).map((label) => JSON.stringify(label)).join(', ')}` : '';
  card.when_to_use = `When ${place} is open${showing} and the next thing to do is: ${first.description.replace(/^./, (letter) => letter.toLowerCase())}`.slice(0, 400);
  const plain = (step: PlanStep) => step.description.replace(/\.$/, '');
  card.when_not_to_use = (cardSteps.length > 1 ? `When step ${last.id} (${plain(last)}) has already happened and ${place} shows its result.` : `When the screen already shows the result of step ${first.id} (${plain(first)}).`).slice(0, 400);
  card.visible_cues = [...new Set([...labels.map((label) => `"${label}" is visible`), ...anchors.map((anchor) => `"${anchor}" nearby`)])].slice(0, 8).map((cue) => cue.slice(0, 160));
  if (!card.visible_cues.length) card.visible_cues = [meta.kind === 'web' ? `page ${pageKey(first.action === 'wait' ? meta.url : meta.url) ?? ''}`.trim() : `${appName} window in front`];
  const expected = last.expected;
  const check = expected?.ocr_text_appears?.[0] ?? expected?.dom_text_appears?.[0];
  card.verification_cue = (check ? `After the last step, "${check.slice(0, 80)}" appears (green box in the after view).` : expected?.url ? `After the last step the page is ${expected.url.slice(0, 120)}.` : expected?.changed_region ? 'After the last step the region in the green box has changed.' : 'The screen looks like the after view.').slice(0, 300);
  const risks = [];
  if (cardSteps.some((step) => step.destructive)) risks.push('a step here is destructive; confirm before acting');
  if (cardSteps.some((step) => step.target && !step.target.locator && !step.target.ocr)) risks.push('the target has no readable label; rely on the focus crop');
  if (labels.some((label) => labels.filter((other) => other === label).length > 1)) risks.push('the same label is used more than once in this state');
  card.visual_risk = (risks.join('; ') || 'low: targets have readable labels').slice(0, 300);
}

/**
 * What the skill achieves and when it applies, in words an agent choosing among skills can use:
 * the task, the app and its screens, the procedure in short, what shows when it is done.
 */
function skillDescription(task: string, app: string, steps: PlanStep[], recordings: number, screens: string[], parameters: PlanParameter[]): string {
  const summary = steps
    .filter((step) => step.action !== 'wait')
    .slice(0, 8)
    .map((step) => step.description.replace(/\.$/, '').replace(/^./, (letter) => letter.toLowerCase()))
    .join(', then ');
  const last = [...steps].reverse().find((step) => step.expected?.dom_text_appears?.length || step.expected?.ocr_text_appears?.length);
  const done = last ? (last.expected?.dom_text_appears?.[0] ?? last.expected?.ocr_text_appears?.[0]) : undefined;
  const choices = parameters.filter((parameter) => parameter.kind === 'choice' && parameter.options?.length);
  return [
    `${task.replace(/^./, (letter) => letter.toUpperCase())} in ${app}${screens.length ? ` (${screens.slice(0, 2).map((screen) => JSON.stringify(screen.slice(0, 60))).join(', ')})` : ''}.`,
    `Use it when ${app} is open and the task is to ${task}${choices.length ? `, with ${choices.map((parameter) => `${parameter.name} one of ${parameter.options!.slice(0, 4).map((option) => JSON.stringify(option.slice(0, 30))).join('/')}`).join(' and ')}` : ''}.`,
    `Steps: ${summary}${steps.length > 8 ? ', …' : ''}.`,
    done ? `Done when ${JSON.stringify(done.slice(0, 80))} shows.` : '',
    `${recordings > 1 ? `Learned from ${recordings} recordings` : 'Recorded once'}; replayable with Skillframe (${steps.length} steps).`,
  ]
    .filter(Boolean)
    .join(' ')
    .slice(0, 1024);
}

function skillBody(frontmatter: SkillFrontmatter, plan: PlanFile, cards: StateCardsFile, task: string): string {
  const lines = [`# ${frontmatter.name}`, '', frontmatter.description, '', `App: ${plan.app.name} (${plan.platform}). Permission tier: ${plan.permission_tier}. Recorded screen: ${plan.screen.width}×${plan.screen.height}.`, ''];
  if (plan.parameters.length) {
    lines.push('## Parameters', '');
    for (const parameter of plan.parameters) {
      const options = parameter.options?.length ? ` One of: ${parameter.options.map((option) => JSON.stringify(option.slice(0, 40))).join(', ')}.` : '';
      lines.push(`- \`${parameter.name}\`: ${parameter.description}.${options} ${parameter.secret ? 'Secret: required, no stored default' : `Default: ${parameter.default ? JSON.stringify(parameter.default.slice(0, 80)) : '(none)'}`}.`);
    }
    lines.push('');
  }
  lines.push('## Procedure', '');
  let stage = '';
  for (const step of plan.steps) {
    if (step.stage !== stage) {
      stage = step.stage;
      lines.push(`### ${stage}`, '');
    }
    const check = step.expected?.ocr_text_appears?.[0] ?? step.expected?.dom_text_appears?.[0];
    lines.push(`${step.id}. ${step.optional ? `(Optional, ${step.optional.when}.) ` : ''}${step.description}${step.destructive ? ' (destructive: confirm first)' : ''}${check ? ` Expect ${JSON.stringify(check.slice(0, 60))} to appear.` : ''} [state ${step.state_id}]`);
  }
  lines.push('', ...howToRun(frontmatter.name, plan));
  lines.push('', '## States', '', `${cards.states.length} states; read runtime_state_cards.json first, then state_cards.json, then the images they name under Images/ (red box = target, green box = check).`, '');
  lines.push(`Task: ${task}.`, '');
  return lines.join('\n');
}

/** How an agent or a person runs the skill: the CLI and the MCP tools (no shell code block: the audit refuses those). */
export function howToRun(name: string, plan: PlanFile): string[] {
  const where = plan.platform === 'web' ? ' --url PAGE' : ` --app ${JSON.stringify(plan.app.command ?? plan.app.name)} (or --attach to the open window)`;
  const params = plan.parameters.length ? ` ${plan.parameters.map((parameter) => `--param ${parameter.name}=VALUE`).join(' ')}` : '';
  return [
    '## How to use it',
    '',
    `- With Skillframe: \`skillframe replay ${name}${where}${params}\` once the skill is in the library (\`skillframe library add FOLDER\`); each step is grounded on the live screen and verified, and nothing is clicked when grounding is unsure.`,
    `- From an agent over MCP (\`skillframe mcp\`): \`consult_skill\` with {"skill": "${name}", "task": "…"} for a short memo of what to do on the current screen, \`replay_skill\` with {"skill": "${name}"} to have Skillframe do it, \`get_skill\` to read the cards.`,
    '- By hand: follow the procedure above; the state cards say what each screen looks like.',
  ];
}

export function skillName(requested: string | undefined, meta: TrajectoryMeta): string {
  const base = requested ?? (meta.kind === 'web' ? `${hostOf(meta.url) ?? 'web'}-task` : `${meta.app?.name ?? basename(meta.app?.command?.split(/\s+/)[0] ?? 'app')}-task`);
  const slug = base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/g, '');
  if (!slug) throw new SkillframeError('bad_input', `input.name: ${JSON.stringify(requested)} has no letters or digits to make a skill name from`);
  return slug;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

function pageKey(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return url;
  }
}
