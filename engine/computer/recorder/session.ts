import { SkillframeError } from '../../../core/errors.ts';
import type { AccessibleTarget, ElementState, PageState, Point, Rect, Target, TrajectoryEvent, TrajectoryEventInput, WindowInfo } from '../../../core/schemas/trajectory.ts';
import { isPrintableKey } from '../../../native/input/keys.ts';
import { encodePng, meanDifference, obscureRegions, type Capture } from '../../../native/screen/index.ts';
import { evidenceOfChange } from '../../../perception/blink.ts';
import type { TrajectoryWriter } from '../../../skills-mm/trajectory/store.ts';
import { redactDeep, type RedactionPattern } from './privacy.ts';
import { cleanEventText } from '../../../skills-mm/trajectory/clean-text.ts';

/**
 * The part of recording both recorders share: turning a stream of observed input (from OS hooks
 * or page listeners) into trajectory events with before/after frames.
 *
 * An observation is held as "pending" until the UI settles or the next action arrives, so that
 * keystrokes coalesce into one `type`, two quick clicks into one `double_click`, and the `after`
 * frame shows the settled result. Only then is the event appended — so a crash loses at most
 * this one pending step.
 */

export interface Observation {
  kind: 'click' | 'right_click' | 'middle_click' | 'double_click' | 'char' | 'value' | 'key' | 'scroll' | 'drag' | 'navigate' | 'focus' | 'select';
  at: number;
  pointer?: Point;
  pointerEnd?: Point;
  button?: 'left' | 'right' | 'middle';
  /** `char`: the text typed (one or more characters). */
  text?: string;
  /** `value`: the field's value after typing. */
  value?: string;
  key?: string;
  scroll?: { dx: number; dy: number };
  target?: Target;
  /** X11: the accessible under the pointer (asked at the press, awaited when the event is written). */
  accessible?: Promise<AccessibleTarget | undefined>;
  window?: WindowInfo;
  /**
   * When the input began, if before `at` (a click's press): the moment that separates this step's
   * before-frame from the previous step's after-frame.
   */
  startedAt?: number;
  url?: string;
  pageTitle?: string;
  masked?: boolean;
  /** The source's own click count, when it knows it (the web's UIEvent.detail). */
  clickCount?: number;
  /** Identity of the element or window, so keystrokes into one field merge and others split. */
  targetKey?: string;
  /**
   * The page as it was when this input's hook ran, before the input was applied: the after-state
   * of the step before (the web's listeners take it synchronously, so it cannot show this input).
   */
  prior?: PageState;
  /** The state of the element this input acts on, before it is applied. */
  targetBefore?: ElementState;
}

/** An event before the writer numbers and times it. */
export type EventDraft = Omit<TrajectoryEventInput, 'seq' | 't'> & { at: number };

export interface FrameSource {
  /** Captures the screen or page now; `mask` lists the regions to obscure (password fields). */
  capture(): Promise<{ capture: Capture; mask: Rect[] }>;
}

export interface SessionOptions {
  /** Quiet time after an action before its `after` frame is taken. */
  settleMs?: number;
  /** Quiet time that ends a run of typing. */
  typingSettleMs?: number;
  doubleClickMs?: number;
  /** How often an idle session refreshes its idea of the current screen (for `before` frames). */
  idleRefreshMs?: number;
  redactions: readonly RedactionPattern[];
  source: 'hook' | 'dom';
  onEvent?: (event: TrajectoryEvent) => void;
  onError?: (error: unknown) => void;
  /** Adds fields when an event is finalized (web: aria snapshot, locator check). */
  enrich?: (draft: EventDraft) => Promise<void>;
  /** Strings that must never be stored (the current values of password fields). */
  secrets?: () => Promise<string[]>;
  /**
   * The source tells the session of each input the moment it hears it (`heard`), before its slow
   * lookups (window, accessible): frames are then taken on the session's own clock and each step's
   * before and after frames are chosen by the input's own time, however late its observation comes.
   */
  heardInput?: boolean;
}

interface Pending {
  observation: Observation;
  /** Time of the last observation merged into it. */
  lastAt: number;
  /** Arrival number of the last observation merged into it (see RecordingSession.priors). */
  lastArrivalIndex: number;
  clicks: number;
  before?: string;
  /** The newest frame seen while it was pending, and when the screen changed (frames' end, epoch ms). */
  lastFrame?: Capture;
  changes?: number[];
}

interface Frame {
  capture: Capture;
  /** When the capture started and when it returned (epoch ms). */
  at: number;
  end: number;
  path?: string;
}

/**
 * An input the source heard: where one step ends and the next begins. `before` is the newest frame
 * that ended before the input (the screen it came to), decided once a frame started after it.
 */
interface Boundary {
  at: number;
  before?: Frame;
  decided: Promise<void>;
  decide: () => void;
  /** Ends of later frames that changed from the frame before them (carets aside): the step's settling. */
  changes: number[];
}

const pointerSlop = 6;
const provisionalIntervalMs = 120;
/** How long after the last input heard frames keep coming at the fast rate. */
const busyAfterInputMs = 4000;

export class RecordingSession {
  private readonly writer: TrajectoryWriter;
  private readonly frames: FrameSource;
  private readonly options: Required<Pick<SessionOptions, 'settleMs' | 'typingSettleMs' | 'doubleClickMs' | 'idleRefreshMs'>> & SessionOptions;
  private chain: Promise<void> = Promise.resolve();
  private pending: Pending | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private last: Frame | undefined;
  private idle: Frame | undefined;
  /** Frames taken while an action is pending, newest last (see finalize). */
  private provisional: Frame[] = [];
  private provisionalTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Observations waiting in the chain, and when the last one arrived: a busy chain is not a quiet UI. */
  private queued = 0;
  private lastArrival = 0;
  private frameCounter = 0;
  /** Page states carried by arriving input, by arrival number: a step's after-state is the first one that arrived after its last input. */
  private priors: { index: number; state: PageState }[] = [];
  private arrivals = 0;
  /** `heardInput`: inputs heard and not yet behind a written step, oldest first, and the last frames taken. */
  private boundaries: Boundary[] = [];
  private recent: Frame[] = [];
  private lastHeard: { at: number; kind: Observation['kind'] } | undefined;
  private heardCount = 0;
  private captureTimer: NodeJS.Timeout | undefined;
  private capturing = false;
  readonly errors: unknown[] = [];

  constructor(writer: TrajectoryWriter, frames: FrameSource, options: SessionOptions) {
    this.writer = writer;
    this.frames = frames;
    // An option passed as undefined must not erase its default (Math.max(undefined, …) is NaN: no wait at all).
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as SessionOptions;
    this.options = { settleMs: 450, typingSettleMs: 900, doubleClickMs: 400, idleRefreshMs: 1500, ...given };
  }

  /** Takes the first frame (before any action) and starts the idle refresh. */
  async start(): Promise<void> {
    const frame = await this.takeFrame();
    frame.path = await this.storeFrame(frame, 'start');
    this.last = frame;
    this.writer.updateMeta({ startFrame: frame.path });
    if (this.options.heardInput) {
      this.recent = [frame];
      this.scheduleCapture(this.options.idleRefreshMs);
    } else this.armIdle();
  }

  get eventCount(): number {
    return this.writer.eventCount;
  }

  /** Feeds one observation; never throws (errors go to onError), never blocks the caller. */
  observe(observation: Observation): void {
    if (this.closed) return;
    this.queued += 1;
    this.lastArrival = Date.now();
    // Numbered on arrival, outside the chain: a settle that finalizes while this input waits in
    // the chain must still take this input's prior as its after-state.
    const index = (this.arrivals += 1);
    if (observation.prior) this.priors = [...this.priors.slice(-20), { index, state: observation.prior }];
    this.enqueue(async () => {
      this.queued -= 1;
      await this.absorb(observation, index);
    });
  }

  /**
   * `heardInput`: an input was heard at `at` (its own time, before any lookup). Keystrokes of one
   * run of typing are one step: no boundary between them.
   */
  heard(at: number, kind: Observation['kind']): void {
    if (this.closed || !this.options.heardInput) return;
    const previous = this.lastHeard;
    this.lastHeard = { at, kind };
    this.heardCount += 1;
    if (kind === 'char' && previous?.kind === 'char' && at - previous.at <= this.options.typingSettleMs) return;
    let decide = () => {};
    const decided = new Promise<void>((resolve) => (decide = resolve));
    this.boundaries.push({ at, decided, decide, changes: [] });
    // Bounded: a source that never writes a step (all its input refused) must not grow this.
    for (const dropped of this.boundaries.splice(0, Math.max(0, this.boundaries.length - 200))) dropped.decide();
    this.scheduleCapture(0);
  }

  /** Finalizes whatever is pending and waits for all queued work. */
  async flush(): Promise<void> {
    this.enqueue(() => this.finalize());
    await this.chain;
  }

  /** Flushes and stops timers; the writer stays open for the caller to close. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    clearTimeout(this.settleTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.provisionalTimer);
    clearTimeout(this.captureTimer);
    await this.chain;
  }

  /** Drops timers at once (a crash-like stop: the pending step is lost). */
  abandon(): void {
    this.closed = true;
    clearTimeout(this.settleTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.provisionalTimer);
    clearTimeout(this.captureTimer);
    for (const boundary of this.boundaries) boundary.decide();
  }

  /**
   * `heardInput`: frames on the session's own clock, never behind the chain of observations (which
   * waits on lookups: seconds under load). Fast while input was heard lately or a step is open.
   */
  private scheduleCapture(delayMs: number): void {
    if (this.closed) return;
    if (this.captureTimer) {
      if (delayMs > 0) return;
      clearTimeout(this.captureTimer);
    }
    this.captureTimer = setTimeout(() => {
      this.captureTimer = undefined;
      void this.captureOnce();
    }, delayMs);
  }

  private async captureOnce(): Promise<void> {
    if (this.closed || this.capturing) return;
    this.capturing = true;
    try {
      this.placeFrame(await this.takeFrame());
    } catch (error) {
      this.errors.push(error);
      this.options.onError?.(error);
    } finally {
      this.capturing = false;
    }
    if (this.closed) {
      for (const boundary of this.boundaries) boundary.decide();
      return;
    }
    const busy = this.pending !== undefined || this.queued > 0 || this.boundaries.some((boundary) => !boundary.before) || (this.lastHeard !== undefined && Date.now() - this.lastHeard.at < busyAfterInputMs);
    this.scheduleCapture(busy ? provisionalIntervalMs : this.options.idleRefreshMs);
  }

  /** Files a new frame: it decides the boundaries it started after, and counts as a change of the step it falls in. */
  private placeFrame(frame: Frame): void {
    const previous = this.recent.at(-1);
    for (const boundary of this.boundaries) {
      if (boundary.before || frame.at <= boundary.at) continue;
      // A frame whose capture spans the input may show it or not: the one before it, where there is one.
      boundary.before = this.recent.filter((earlier) => earlier.end < boundary.at).at(-1) ?? this.recent[0] ?? this.last;
      boundary.decide();
    }
    const current = this.boundaries.filter((boundary) => boundary.at < frame.at).at(-1);
    if (current && previous && evidenceOfChange(previous.capture, frame.capture).length) current.changes = [...current.changes.slice(-31), frame.end];
    this.recent = [...this.recent.slice(-2), frame];
  }

  /** The boundary an input began at (the last heard at or before it). */
  private boundaryAt(at: number): Boundary | undefined {
    return this.boundaries.filter((boundary) => boundary.at <= at).at(-1);
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error) => {
      this.errors.push(error);
      this.options.onError?.(error);
    });
  }

  private async absorb(observation: Observation, index: number): Promise<void> {
    const pending = this.pending;
    if (pending && this.merge(pending, observation)) {
      pending.lastArrivalIndex = index;
      this.armSettle();
      return;
    }
    if (observation.kind === 'value') return; // a value change with no typing before it (e.g. autofill): nothing to record
    const startedAt = observation.startedAt ?? observation.at;
    await this.finalize(startedAt);
    const before = this.options.heardInput ? await this.heardBeforeFrame(startedAt) : await this.beforeFrame(observation.at);
    this.pending = { observation: { ...observation }, lastAt: observation.at, lastArrivalIndex: index, clicks: observation.kind === 'click' ? 1 : 0, before };
    this.provisional = [];
    this.armSettle();
    if (!this.options.heardInput) this.armProvisional();
  }

  /** `heardInput`: the screen when the input came (the previous step's after, when nothing changed between). */
  private async heardBeforeFrame(at: number): Promise<string | undefined> {
    const boundary = this.boundaryAt(at);
    if (!boundary) return this.last?.path;
    await boundary.decided;
    const frame = boundary.before;
    if (!frame) return this.last?.path;
    frame.path ??= await this.storeFrame(frame, 'before');
    this.last = frame;
    return frame.path;
  }

  /**
   * While an action is pending, keep taking frames: when the next action arrives, it has already
   * happened (hooks and listeners report after the fact), so a frame taken now would show its
   * effect too. The pending action's `after` is then the newest frame finished before it.
   */
  private armProvisional(): void {
    clearTimeout(this.provisionalTimer);
    const pending = this.pending;
    if (!pending || this.closed) return;
    this.provisionalTimer = setTimeout(() => {
      this.enqueue(async () => {
        if (this.pending !== pending) return;
        const frame = await this.takeFrame();
        if (this.pending !== pending) return;
        this.noteChange(pending, frame);
        this.provisional = [...this.provisional.slice(-3), frame];
        this.armProvisional();
      });
    }, provisionalIntervalMs);
  }

  private merge(pending: Pending, next: Observation): boolean {
    const current = pending.observation;
    const sameTarget = current.targetKey !== undefined && current.targetKey === next.targetKey;
    if (current.kind === 'char' && next.kind === 'char' && sameTarget) {
      current.text = (current.text ?? '') + (next.text ?? '');
      current.masked = Boolean(current.masked || next.masked);
      pending.lastAt = next.at;
      return true;
    }
    if (next.kind === 'value') {
      if (current.kind === 'char' && sameTarget) {
        current.value = next.value;
        current.masked = Boolean(current.masked || next.masked);
        return true;
      }
      return false;
    }
    const repeat = (next.clickCount ?? 0) >= 2 || next.at - pending.lastAt <= this.options.doubleClickMs;
    if (current.kind === 'click' && next.kind === 'click' && repeat && near(current.pointer, next.pointer) && (current.targetKey === next.targetKey || current.targetKey === undefined)) {
      pending.clicks += 1;
      pending.lastAt = next.at;
      current.kind = 'double_click';
      return true;
    }
    if ((current.kind === 'click' || current.kind === 'double_click') && next.kind === 'double_click' && (sameTarget || near(current.pointer, next.pointer))) {
      // The page's own dblclick confirms the pair of clicks already merged.
      current.kind = 'double_click';
      pending.lastAt = next.at;
      return true;
    }
    if (next.kind === 'navigate' && current.kind !== 'navigate' && next.at - pending.lastAt <= 3000) {
      // A navigation right after an action is that action's effect, seen in its `after` frame and url.
      pending.lastAt = next.at;
      return true;
    }
    if (current.kind === 'click' && next.kind === 'select' && sameTarget) {
      // Picking from a native <select> by mouse: the click that opened it becomes the choice.
      current.kind = 'select';
      current.value = next.value;
      current.target = next.target ?? current.target;
      pending.lastAt = next.at;
      return true;
    }
    if (current.kind === 'scroll' && next.kind === 'scroll' && next.at - pending.lastAt <= 700) {
      current.scroll = { dx: (current.scroll?.dx ?? 0) + (next.scroll?.dx ?? 0), dy: (current.scroll?.dy ?? 0) + (next.scroll?.dy ?? 0) };
      pending.lastAt = next.at;
      return true;
    }
    return false;
  }

  private armSettle(): void {
    clearTimeout(this.settleTimer);
    const pending = this.pending;
    if (!pending) return;
    const kind = pending.observation.kind;
    const wait = kind === 'char' ? this.options.typingSettleMs : kind === 'click' ? Math.max(this.options.settleMs, this.options.doubleClickMs + 50) : this.options.settleMs;
    this.settleTimer = setTimeout(() => {
      this.enqueue(async () => {
        if (this.pending !== pending) return;
        // Slow frames can hold the chain past the timer while more input waits behind them.
        if (this.queued > 0 || Date.now() - this.lastArrival < wait * 0.8 || this.heardNotArrived()) {
          this.armSettle();
          return;
        }
        await this.finalize();
      });
    }, wait);
  }

  /**
   * `heardInput`: input was heard whose observation has not arrived (its lookups lag behind): the
   * step may not be over. Bounded, for an input heard that never becomes one (a press with no release).
   */
  private heardNotArrived(): boolean {
    const last = this.lastHeard;
    if (!this.options.heardInput || !last) return false;
    const wait = last.kind === 'char' ? this.options.typingSettleMs : this.options.settleMs;
    return Date.now() - last.at < wait * 0.8 || (this.heardCount > this.arrivals && Date.now() - last.at < 10_000);
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.closed) return;
    this.idleTimer = setTimeout(() => {
      this.enqueue(async () => {
        if (!this.pending && !this.closed) this.idle = await this.takeFrame();
        this.armIdle();
      });
    }, this.options.idleRefreshMs);
  }

  /** The most recent settled screen before an action observed at `at`. */
  private async beforeFrame(at: number): Promise<string | undefined> {
    const idle = this.idle;
    this.idle = undefined;
    // An idle frame taken just before the observation arrived may already show its effect.
    if (idle && this.last && idle.at > this.last.at && idle.end < at && meanDifference(idle.capture, this.last.capture) > 0.2) {
      idle.path = await this.storeFrame(idle, 'before');
      this.last = idle;
    }
    return this.last?.path;
  }

  /** Writes the pending action. `cutoff`: the time the next action happened, when one did. */
  private async finalize(cutoff?: number): Promise<void> {
    clearTimeout(this.settleTimer);
    clearTimeout(this.provisionalTimer);
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    if (this.options.heardInput) return this.finalizeHeard(pending, cutoff);
    let earlier = cutoff === undefined ? undefined : this.provisional.filter((frame) => frame.end < cutoff).at(-1);
    // A slow app may not have drawn anything yet when the next action came; then a frame taken now,
    // which may already show the start of the next action, says more than an unchanged one.
    if (earlier && this.last && meanDifference(earlier.capture, this.last.capture) === 0) earlier = undefined;
    this.provisional = [];
    const after = earlier ?? (await this.takeFrame());
    if (!earlier) this.noteChange(pending, after);
    after.path = await this.storeFrame(after, 'after');
    this.last = after;
    // Changes seen after the next action happened are that action's, not this one's.
    const settled = (pending.changes ?? []).filter((at) => cutoff === undefined || at < cutoff).at(-1);
    await this.write(pending, after.path, settled);
  }

  /**
   * `heardInput`: the after-frame is the screen when the next input was heard, whenever its
   * observation reaches the session; with none heard yet, the screen now (the step settled).
   */
  private async finalizeHeard(pending: Pending, given: number | undefined): Promise<void> {
    const next = this.boundaries.find((boundary) => boundary.at > pending.lastAt);
    const cutoff = next?.at ?? given;
    let after: Frame;
    if (next) {
      await next.decided;
      after = next.before ?? (await this.takeFrame());
    } else {
      after = await this.takeFrame();
      this.placeFrame(after);
    }
    after.path ??= await this.storeFrame(after, 'after');
    this.last = after;
    const start = this.boundaryAt(pending.observation.startedAt ?? pending.observation.at);
    const steps = this.boundaries.filter((boundary) => boundary.at >= (start?.at ?? -Infinity) && (cutoff === undefined || boundary.at < cutoff));
    const settled = steps
      .flatMap((boundary) => boundary.changes)
      .filter((at) => cutoff === undefined || at < cutoff)
      .sort((a, b) => a - b)
      .at(-1);
    // What is behind this step is done with; the next step begins at the boundary that ended it.
    this.boundaries = this.boundaries.filter((boundary) => (cutoff === undefined ? boundary.at > pending.lastAt : boundary.at >= cutoff));
    await this.write(pending, after.path, settled);
  }

  private async write(pending: Pending, after: string, settled: number | undefined): Promise<void> {
    const draft = this.draft(pending, after);
    if (settled !== undefined) draft.settleMs = Math.min(120_000, Math.max(0, Math.round(settled - pending.lastAt)));
    const prior = this.priors.find((item) => item.index > pending.lastArrivalIndex);
    this.priors = this.priors.filter((item) => item.index > pending.lastArrivalIndex);
    if (prior) draft.afterState = prior.state;
    const accessible = await pending.observation.accessible?.catch(() => undefined);
    if (accessible) draft.accessible = accessible;
    await this.options.enrich?.(draft);
    // enrich (web) reads a settled state only when no later input already closed this step's.
    const late = !prior && this.priors.find((item) => item.index > pending.lastArrivalIndex);
    if (late) draft.afterState = late.state;
    cleanEventText(draft);
    const secrets = (await this.options.secrets?.()) ?? [];
    const { value, fired } = redactDeep(draft, this.options.redactions, secrets);
    if (fired.length) value.redactions = fired;
    const event = this.writer.append({ ...value, at: value.at ?? pending.observation.at });
    this.options.onEvent?.(event);
  }

  /**
   * Notes when the screen last changed while an action was pending (compared with the frame before
   * it, carets and blinks aside): the step's settle time, from which replay learns its quiet window.
   */
  private noteChange(pending: Pending, frame: Frame): void {
    const previous = pending.lastFrame ?? this.last?.capture;
    if (previous && evidenceOfChange(previous, frame.capture).length) pending.changes = [...(pending.changes ?? []).slice(-31), frame.end];
    pending.lastFrame = frame.capture;
  }

  private draft(pending: Pending, after: string): EventDraft {
    const observation = pending.observation;
    const masked = Boolean(observation.masked);
    // A printable key pressed where typing is masked is a typed character, and is stored as one
    // (masked): its name would spell the secret one "key" event at a time.
    const maskedKey = masked && observation.kind === 'key' && observation.key !== undefined && isPrintableKey(observation.key);
    const kind = observation.kind === 'char' || observation.kind === 'value' || maskedKey ? 'type' : observation.kind;
    const draft: EventDraft = {
      kind,
      at: observation.at,
      source: this.options.source,
      masked,
      frames: { ...(pending.before ? { before: pending.before } : {}), after },
    };
    if (observation.pointer) draft.pointer = round(observation.pointer);
    if (observation.pointerEnd) draft.pointerEnd = round(observation.pointerEnd);
    if (observation.pointer && observation.window) {
      draft.pointerInWindow = round({ x: observation.pointer.x - observation.window.geometry.x, y: observation.pointer.y - observation.window.geometry.y });
    }
    if (observation.button) draft.button = observation.button;
    if (kind === 'select' && !masked && observation.value !== undefined) draft.value = observation.value;
    if (kind === 'type' && !masked) {
      if (observation.text !== undefined) draft.text = observation.text;
      if (observation.value !== undefined) draft.value = observation.value;
    }
    if (observation.key && !maskedKey) draft.key = observation.key;
    if (observation.scroll) draft.scroll = observation.scroll;
    if (observation.target) draft.target = observation.target;
    if (observation.targetBefore) draft.targetBefore = observation.targetBefore;
    if (observation.window) draft.window = observation.window;
    if (observation.url) draft.url = observation.url;
    if (observation.pageTitle) draft.pageTitle = observation.pageTitle;
    return draft;
  }

  private async takeFrame(): Promise<Frame> {
    const at = Date.now();
    const { capture, mask } = await this.frames.capture();
    const end = Date.now();
    return { capture: obscureRegions(capture, mask), at, end };
  }

  private async storeFrame(frame: Frame, label: string): Promise<string> {
    const png = await encodePng(frame.capture);
    this.frameCounter += 1;
    const name = `${String(this.writer.eventCount).padStart(6, '0')}-${label}-${String(this.frameCounter).padStart(4, '0')}.png`;
    if (this.closed && label !== 'after') throw new SkillframeError('internal', 'frame after close');
    return this.writer.writeFrame(name, png);
  }
}

function near(a: Point | undefined, b: Point | undefined): boolean {
  if (!a || !b) return a === b;
  return Math.abs(a.x - b.x) <= pointerSlop && Math.abs(a.y - b.y) <= pointerSlop;
}

function round(point: Point): Point {
  return { x: Math.round(point.x * 10) / 10, y: Math.round(point.y * 10) / 10 };
}
