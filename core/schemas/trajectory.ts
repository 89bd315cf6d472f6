import { z } from 'zod';
import { Point } from '../geometry.ts';

/**
 * A trajectory is one recording of a person (or a script standing in for one) doing a task:
 *
 *   DIR/trajectory.json   TrajectoryMeta, rewritten only at start and at a clean stop or repair
 *   DIR/events.jsonl      one TrajectoryEvent per line, appended and flushed as each happens
 *   DIR/frames/*.png      screenshots referenced by events (written before the line that names them)
 *   DIR/video.mp4         optional screen video of the whole session
 *
 * This schema is a published format: fields are only ever added (optional), never renamed or
 * retyped. Readers strip unknown fields, so a newer writer stays readable by an older reader.
 */

export const trajectoryVersion = 1;

// Pixels: screen pixels on X11, CSS pixels of the viewport on the web.
export { Point };

export const Rect = z.object({
  x: z.number(),
  y: z.number(),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
});
export type Rect = z.infer<typeof Rect>;

export const ScreenSize = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Device pixels per CSS pixel (web); screenshots are taken at this scale. */
  deviceScaleFactor: z.number().positive().optional(),
});
export type ScreenSize = z.infer<typeof ScreenSize>;

/** An X11 top-level window as the window manager sees it. */
export const WindowInfo = z.object({
  /** X window id in decimal, as xdotool prints it. */
  id: z.string().optional(),
  pid: z.number().int().optional(),
  title: z.string(),
  /** WM_CLASS class name, e.g. "Galculator", "Mousepad". */
  className: z.string().optional(),
  /** Outer position and size on the screen. */
  geometry: Rect,
  /** The window this one is a dialog of (WM_TRANSIENT_FOR), in decimal; recorded for the window keys went to. */
  transientFor: z.string().optional(),
});
export type WindowInfo = z.infer<typeof WindowInfo>;

/**
 * Web, for a look-alike whose own row or card shows no text that another look-alike's does not
 * (two empty rows of a data tree; a nav item whose texts another item shows too): the texts its row
 * shows, all of them, and which of the look-alikes showing exactly those texts it is, in page order
 * (count 1: the only one). Replay acts on that one only while the page shows as many look-alikes
 * showing exactly those texts as when it was explored; otherwise it refuses.
 */
export const LookAlikeRow = z.object({
  texts: z.array(z.string().max(120)).max(12),
  /** 0-based, in page order, among the look-alikes whose rows show exactly `texts`. */
  nth: z.number().int().nonnegative(),
  /** How many look-alikes showed exactly `texts`. */
  count: z.number().int().min(1).max(50),
})
  // A skill package is untrusted input: a place past the count names no look-alike at all.
  .refine((row) => row.nth < row.count, { message: 'must be below count', path: ['nth'] });
export type LookAlikeRow = z.infer<typeof LookAlikeRow>;

/**
 * The UI element an action hit, as far as the recorder could tell. On the web every field that
 * could be read is filled; on X11 only `box` (the window) and what the window title says.
 * Replay tries them in order: role + name, test id, text, css.
 */
export const Target = z.object({
  /** ARIA role (explicit or implicit), e.g. "button", "textbox", "menuitem", "link". */
  role: z.string().optional(),
  /** Accessible name as Playwright's getByRole({ name }) matches it. */
  name: z.string().optional(),
  /** data-testid (or data-test-id / data-test). */
  testId: z.string().optional(),
  /** Visible text of the element, trimmed and shortened. */
  text: z.string().optional(),
  /** A CSS selector that was unique in the page when the action happened. */
  css: z.string().optional(),
  /** A ready Playwright locator expression, best first, e.g. `getByRole('button', { name: 'Save' })`. */
  locator: z.string().optional(),
  /** Lower-case tag name (web). */
  tag: z.string().optional(),
  /** The element's id attribute, when it has one. */
  elementId: z.string().optional(),
  /** input type (web), e.g. "password", "email", "text". */
  inputType: z.string().optional(),
  label: z.string().optional(),
  placeholder: z.string().optional(),
  href: z.string().optional(),
  /** Bounding box in the same space as the event's pointer. */
  box: Rect.optional(),
  /** Which locator strategy the recorder judged most robust. */
  strategy: z.enum(['role', 'testId', 'text', 'css', 'position']).optional(),
  /** A CSS selector (`#id`) of the nearest ancestor with a stable id: tells look-alikes apart (one "Try" button per operation). */
  scope: z.string().optional(),
  /**
   * Web, for a look-alike (one "Archive" button per table row): the text of its own row, item or
   * card that no other look-alike's shows, as a person names it ("Archive in the Globex row").
   */
  anchorText: z.string().optional(),
  /** Web, for a look-alike with no `anchorText` (its row shows only what others' show): see LookAlikeRow. */
  row: LookAlikeRow.optional(),
  /** `name` exactly as the app has it, kept only when the cleaned `name` would not match it (invisible characters Playwright does not ignore). */
  rawName: z.string().optional(),
  /** `text` exactly as the app has it, kept only when the cleaned `text` would not match it. */
  rawText: z.string().optional(),
  /** A native `<select>`'s option labels in page order, as the recorder saw them (the values a choice can take). */
  options: z.array(z.string().max(200)).max(200).optional(),
});
export type Target = z.infer<typeof Target>;

/** One step of an accessible's path from its application root: role, name, and index among its parent's children. */
export const AccessiblePathStep = z.object({ role: z.string().max(100), name: z.string().max(500), index: z.number().int().nonnegative() });
export type AccessiblePathStep = z.infer<typeof AccessiblePathStep>;

/**
 * The accessible (AT-SPI on X11) under the pointer when an action happened: what replay's `a11y`
 * rung looks for in the live tree. Versioned on its own so its meaning can grow.
 */
export const AccessibleTarget = z.object({
  version: z.literal(1),
  /** AT-SPI role name, e.g. "push button", "menu item", "text". */
  role: z.string().max(100),
  /** Accessible name, control characters removed and whitespace trimmed. */
  name: z.string().max(500),
  description: z.string().max(500).optional(),
  /** State names such as "focused", "checked", "showing", "editable". */
  states: z.array(z.string().max(40)).max(64).default([]),
  /** Screen extents when recorded (absent when the toolkit reported none). */
  extents: Rect.optional(),
  /** From the application root (excluded) down to the node (included). */
  path: z.array(AccessiblePathStep).max(64),
  /** Action names the node offered (AT-SPI Action interface), e.g. "click", "activate". */
  actions: z.array(z.string().max(60)).max(16).optional(),
  /** The application as the accessibility registry names it, and its toolkit. */
  app: z.object({ name: z.string().max(200), toolkit: z.string().max(60).optional() }).optional(),
});
export type AccessibleTarget = z.infer<typeof AccessibleTarget>;

/** An element's own state, as far as the page says it (ARIA states and form state). */
export const ElementState = z.object({
  /** Still in the page and visible. */
  present: z.boolean(),
  expanded: z.boolean().optional(),
  checked: z.boolean().optional(),
  selected: z.boolean().optional(),
  pressed: z.boolean().optional(),
  /** It, or something inside it, has the keyboard focus. */
  focused: z.boolean().optional(),
  /** A form field's value (not for password fields). */
  value: z.string().optional(),
});
export type ElementState = z.infer<typeof ElementState>;

/**
 * Web: the page as a step left it, taken synchronously in the page — either in the hook of the
 * next input, before that input is applied (`taken: 'input'`), or once the step settled with no
 * input after it (`settled`). So a step's after-state never shows what the next step typed.
 */
export const PageState = z.object({
  taken: z.enum(['input', 'settled']),
  /** The element the step acted on. */
  target: ElementState.optional(),
  /** The element that has the keyboard focus (role and name). */
  focused: z.object({ role: z.string().optional(), name: z.string().optional() }).optional(),
  /** Visible dialogs and the regions the acted element controls (role and name). */
  shown: z.array(z.object({ role: z.string(), name: z.string() })).max(20).default([]),
  /** Visible text of the page, one entry a line, capped. */
  text: z.array(z.string()).max(600).default([]),
});
export type PageState = z.infer<typeof PageState>;
/** What one action was seen to do: the unit function it performs, checked again at replay. */
export const ActionEffect = z.object({
  /** Text that appeared on the page or screen (headings, labels of controls that were not there). */
  textAppeared: z.array(z.string()).optional(),
  /** The name of a dialog (or window) that opened. */
  dialogOpened: z.string().optional(),
  /** The route (path + hash) the page went to. */
  routeChanged: z.string().optional(),
  /** The value the target holds now (a field typed into, an option chosen). */
  valueChanged: z.string().optional(),
});
export type ActionEffect = z.infer<typeof ActionEffect>;

/**
 * Where a scroll left the container it scrolled (the list or panel under the pointer, else the
 * page): its scroll offsets in CSS pixels and whether it was at its end. A step carrying it is
 * replayed to that place, wherever the container starts, not by a fixed wheel distance.
 */
export const ScrollPlace = z.object({
  top: z.number().nonnegative(),
  left: z.number().nonnegative(),
  /** Scrolled as far down as it goes (the end of a log or a list): replay goes to this container's end. */
  end: z.boolean(),
});
export type ScrollPlace = z.infer<typeof ScrollPlace>;

export const eventKinds = [
  'click',
  'double_click',
  'right_click',
  'middle_click',
  'type', // printable text typed into one target, coalesced from keystrokes
  'key', // a non-text key or chord, e.g. "Enter", "ctrl+s", "shift+Tab"
  'scroll',
  'drag',
  'wait', // an explicit pause the person (or script) made; `ms` says how long
  'navigate', // web: the page's URL changed
  'focus', // the active window (X11) or page (web) changed
  'select', // web: an option chosen in a <select>; `value` is the option's text
  'hover', // the pointer rested on a target (a menu or tooltip opened under it)
] as const;
export const EventKind = z.enum(eventKinds);
export type EventKind = z.infer<typeof EventKind>;

export const TrajectoryEvent = z.object({
  /** 0, 1, 2, … in file order; a gap means nothing, a repeat means a corrupt file. */
  seq: z.number().int().nonnegative(),
  kind: EventKind,
  /** Milliseconds since the trajectory started. */
  t: z.number().nonnegative(),
  /** Wall clock, epoch ms. */
  at: z.number(),
  /** Where the action happened (click point, scroll point, drag start). */
  pointer: Point.optional(),
  /** The pointer relative to the active window's top-left (X11), stable if the window moves. */
  pointerInWindow: Point.optional(),
  /** Drag end point. */
  pointerEnd: Point.optional(),
  button: z.enum(['left', 'right', 'middle']).optional(),
  /** `type`: the text as typed, after redaction; absent when masked. */
  text: z.string().optional(),
  /** `type` on the web: the field's whole value after typing, after redaction; absent when masked. */
  value: z.string().optional(),
  /** `key`: the chord, modifiers first in the order ctrl, alt, shift, meta: "ctrl+shift+s", "Enter". */
  key: z.string().optional(),
  /** `scroll`: wheel delta in pixels (positive = down / right). */
  scroll: z.object({ dx: z.number(), dy: z.number() }).optional(),
  /** `scroll` (web): where the scrolled container was left (see ScrollPlace). */
  scrolledTo: ScrollPlace.optional(),
  /** `wait`: how long. */
  ms: z.number().nonnegative().optional(),
  /** `navigate` and every web event: the page URL (after redaction). */
  url: z.string().optional(),
  /** Web: the page title. */
  pageTitle: z.string().optional(),
  target: Target.optional(),
  /** X11: the accessible under the pointer (when the app exposes an accessibility tree). */
  accessible: AccessibleTarget.optional(),
  /** `drag`: the element it was dropped on. */
  dropTarget: Target.optional(),
  /** What the action was seen to do when it was recorded or explored (a dialog opened, text appeared …). */
  effect: ActionEffect.optional(),
  /** X11: the active window when the action happened. */
  window: WindowInfo.optional(),
  /**
   * How long after the action the screen kept changing while it was recorded (the last visible
   * change, carets and blinks aside), ms. Replay learns the step's quiet window from it.
   */
  settleMs: z.number().int().min(0).max(120_000).optional(),
  /** Screenshots, as paths relative to the trajectory folder (under frames/). */
  frames: z
    .object({
      /** The last settled screen before the action (often the previous event's `after`). */
      before: z.string().optional(),
      /** The screen once the UI settled after the action. */
      after: z.string().optional(),
    })
    .optional(),
  /** Web: `locator.ariaSnapshot()` of the page body after the action (YAML), shortened. */
  ariaSnapshot: z.string().optional(),
  /** Web: the page as this step left it (see PageState). */
  afterState: PageState.optional(),
  /** Web: the state of the element this step acted on, just before the action. */
  targetBefore: ElementState.optional(),
  /** True when the action touched a password field: its text is not stored and its region is blurred. */
  masked: z.boolean().default(false),
  /** Names of the redaction patterns that changed this event's stored text. */
  redactions: z.array(z.string()).optional(),
  /** How the action was observed: OS input hooks (X11) or listeners in the page (web). */
  source: z.enum(['hook', 'dom']).optional(),
});
export type TrajectoryEvent = z.infer<typeof TrajectoryEvent>;
export type TrajectoryEventInput = z.input<typeof TrajectoryEvent>;

export const TrajectoryMeta = z.object({
  version: z.literal(trajectoryVersion),
  id: z.string(),
  kind: z.enum(['x11', 'web']),
  /** X11: the app that was recorded. */
  app: z
    .object({
      /** Short human name, e.g. "galculator". */
      name: z.string().optional(),
      /** The command line it was launched with (`--app`), absent when attached. */
      command: z.string().optional(),
      pid: z.number().int().optional(),
      /** The window recorded at the start. */
      window: WindowInfo.optional(),
    })
    .optional(),
  /** Web: the URL the recording started at. */
  url: z.string().optional(),
  /** Screen (X11) or viewport (web) size. */
  screen: ScreenSize,
  /** ISO time the recording started. */
  started: z.string(),
  /** ISO time it stopped cleanly, or of the last event when repaired after a crash. */
  ended: z.string().optional(),
  status: z.enum(['recording', 'complete', 'repaired']).default('recording'),
  /** Who drove the app: a person, or a `--script` standing in for one. */
  mode: z.enum(['person', 'script']).default('person'),
  eventCount: z.number().int().nonnegative().optional(),
  /** The first settled screenshot, before any action. */
  startFrame: z.string().optional(),
  /** Relative path of the session video, when one was recorded. */
  video: z.string().optional(),
  privacy: z
    .object({
      passwordMasking: z.boolean(),
      /** Names of the redaction patterns that were active. */
      redact: z.array(z.string()),
    })
    .optional(),
  recorder: z.object({ name: z.string(), version: z.string() }).optional(),
  /**
   * X11: the recorded window's title each time it changed (epoch ms, from the window's own property
   * changes): what a step did to it — a modified mark appearing while typing, going on save — is
   * that step's expectation.
   */
  titles: z
    .array(z.object({ at: z.number(), title: z.string().max(1000) }))
    .max(2000)
    .optional(),
});
export type TrajectoryMeta = z.infer<typeof TrajectoryMeta>;
export type TrajectoryMetaInput = z.input<typeof TrajectoryMeta>;

/** A whole trajectory as read from disk (by skills-mm/trajectory's readTrajectory). */
export interface Trajectory {
  dir: string;
  meta: TrajectoryMeta;
  events: TrajectoryEvent[];
}

export const trajectoryFiles = {
  meta: 'trajectory.json',
  events: 'events.jsonl',
  frames: 'frames',
  video: 'video.mp4',
} as const;
