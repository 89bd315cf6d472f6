import { z } from 'zod';
import { PixelPoint, Rect, Size, rectContains } from '../geometry.ts';
import { AccessibleTarget, LookAlikeRow, ScrollPlace } from './trajectory.ts';

/**
 * The MMSkills package, as files on disk (skills-mm/FORMAT.md). Every file carries `format_version` so a
 * reader can upgrade old packages (skills-mm/format.ts holds the upgraders); the current version
 * is SKILL_FORMAT_VERSION. Field names are snake_case because the files are read by agents and
 * tools outside Skillframe (MMSkills runtime, Agent Skills).
 */
export const SKILL_FORMAT_VERSION = 1;

export const PermissionTier = z.enum(['read', 'input', 'system', 'robot']);
export type PermissionTier = z.infer<typeof PermissionTier>;
export const tierRank: Record<PermissionTier, number> = { read: 0, input: 1, system: 2, robot: 3 };

/** Agent Skills names: lowercase words joined by hyphens, at most 64 characters. */
export const SkillName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lowercase letters, digits and single hyphens (Agent Skills name)');

export const Platform = z.enum(['x11', 'web']);
export type Platform = z.infer<typeof Platform>;

const text = (max: number) => z.string().max(max);
const count = z.number().int().nonnegative();

// Rectangles in pixels of the recorded frame (screen coordinates for x11, page viewport for web).
export { Rect };

/** Package-relative path of a file under Images/ (the audit also checks it exists and is safe). */
export const ImagePath = z
  .string()
  .max(200)
  .regex(/^Images\/[A-Za-z0-9._-]+\.(?:png|webp)$/, 'must be Images/<file>.png or .webp');

// ---------------------------------------------------------------------------------------------
// SKILL.md frontmatter (Agent Skills: name, description; everything of ours under metadata,
// whose values are strings so any Agent Skills reader accepts them).
export const SkillMetadata = z
  .object({
    /** The skill's own version (semver-ish), bumped when it is rebuilt. */
    version: text(40).regex(/^\d+(?:\.\d+){0,2}$/, 'must look like 1 or 1.2 or 1.2.3'),
    /** The app the skill drives: the X11 program or the web origin. */
    app: text(200).min(1),
    permission_tier: PermissionTier,
    platform: Platform,
    /** Package format version as a string (metadata values are strings in Agent Skills). */
    format_version: text(10).regex(/^\d+$/),
    steps: text(10).regex(/^\d+$/).optional(),
    built_at: text(40).optional(),
    source: text(200).optional(),
  })
  .strict();
export type SkillMetadata = z.infer<typeof SkillMetadata>;

export const SkillFrontmatter = z
  .object({
    name: SkillName,
    description: z.string().min(1).max(1024),
    license: text(200).optional(),
    compatibility: text(500).optional(),
    metadata: SkillMetadata,
  })
  .strict();
export type SkillFrontmatter = z.infer<typeof SkillFrontmatter>;

// ---------------------------------------------------------------------------------------------
// State cards: one per visual state the procedure passes through.
export const ViewKind = z.enum(['full_frame', 'focus_crop', 'before', 'after']);
export type ViewKind = z.infer<typeof ViewKind>;

export const StateView = z
  .object({
    view: ViewKind,
    file: ImagePath,
    width: z.number().int().positive().max(4096),
    height: z.number().int().positive().max(4096),
    /** What the marks mean: red box = the target acted on, green box = the check after. */
    marks: z.array(z.enum(['target', 'check'])).max(2).default([]),
  })
  .strict();
export type StateView = z.infer<typeof StateView>;

export const StateCard = z
  .object({
    state_id: z.string().regex(/^[a-z0-9_-]{1,40}$/),
    stage: text(120).min(1),
    /** The role the images of this state play: where to act, what to check, or context only. */
    image_role: z.enum(['target', 'check', 'context']),
    when_to_use: text(400).min(1),
    when_not_to_use: text(400),
    visible_cues: z.array(text(160)).max(8),
    verification_cue: text(300),
    visual_risk: text(300),
    preferred_view_order: z.array(ViewKind).max(4),
    available_views: z.array(StateView).max(4),
    /** Plan steps (ids) that start in this state. */
    step_ids: z.array(z.number().int().positive()).max(200),
  })
  .strict();
export type StateCard = z.infer<typeof StateCard>;

export const StateCardsFile = z
  .object({
    format_version: z.literal(SKILL_FORMAT_VERSION),
    skill: SkillName,
    states: z.array(StateCard).min(1).max(100),
  })
  .strict();
export type StateCardsFile = z.infer<typeof StateCardsFile>;

/** The compact subset an agent reads before deciding whether to open full cards and images. */
export const RuntimeStateCard = z
  .object({
    state_id: StateCard.shape.state_id,
    stage: StateCard.shape.stage,
    when_to_use: text(200),
    visible_cues: z.array(text(120)).max(3),
    verification_cue: text(200),
    preferred_view: ViewKind.optional(),
  })
  .strict();
export type RuntimeStateCard = z.infer<typeof RuntimeStateCard>;

export const RuntimeStateCardsFile = z
  .object({
    format_version: z.literal(SKILL_FORMAT_VERSION),
    skill: SkillName,
    states: z.array(RuntimeStateCard).min(1).max(100),
  })
  .strict();
export type RuntimeStateCardsFile = z.infer<typeof RuntimeStateCardsFile>;

// ---------------------------------------------------------------------------------------------
// plan.json: what replay executes. One step = one action on one target, with everything the
// grounding ladder (docs/ARCHITECTURE.md) needs to find the target again, rung by rung.

/** Rung 1: DOM locator (web) or accessibility node (X11 where known). */
export const LocatorDescriptor = z
  .object({
    role: text(60).optional(),
    name: text(200).optional(),
    test_id: text(200).optional(),
    text: text(200).optional(),
    css: text(500).optional(),
    /** Bounding box of the node when it was recorded (viewport / screen pixels). */
    box: Rect.optional(),
    /**
     * `name` / `text` exactly as the app has them, only where the cleaned value would not match
     * the live app (invisible characters Playwright does not ignore). The audit accepts invisible
     * characters here and nowhere else, and only when cleaning the raw value gives `name` / `text`.
     */
    raw_name: text(200).optional(),
    raw_text: text(200).optional(),
    /** Web: the nearest ancestor with a stable id (`#id`); when the locator matches several elements, the one inside it. */
    scope: text(300).optional(),
    /**
     * Web: when the locator matches look-alikes (one "Archive" button per row), the text of the
     * target's own row, item or card that told it apart when recorded; replay acts only on the one
     * match that still carries it (engine/computer/look-alike.ts).
     */
    anchor_text: text(200).optional(),
    /**
     * Web: a look-alike whose row shows no text of its own (two empty rows): which of the
     * look-alikes showing exactly these texts it was; replay picks that one while the page shows as
     * many of them, and refuses otherwise (see LookAlikeRow).
     */
    row: LookAlikeRow.optional(),
  })
  .strict();
export type LocatorDescriptor = z.infer<typeof LocatorDescriptor>;

/** Rung 2: a crop of the target from the recorded frame, matched multi-scale on the live frame. */
export const TemplateDescriptor = z
  .object({
    file: ImagePath,
    /** Where the crop was cut from, in the recorded frame. */
    box: Rect,
    /** Size of the recorded frame, so the matcher can rescale when the live screen differs. */
    frame: Size,
    /** Where in the crop the pointer was (so the match's hit point is the crop origin + this). */
    point_in_crop: PixelPoint,
  })
  .strict();
export type TemplateDescriptor = z.infer<typeof TemplateDescriptor>;

/** Rung 3: the label read by OCR on the target (its box covers the recorded point, give or take `labelMarginPx`). */
export const OcrDescriptor = z
  .object({
    text: text(200).min(1),
    box: Rect.optional(),
    confidence: z.number().min(0).max(1).optional(),
  })
  .strict();

/**
 * How far (px) outside a read label's box a click still counts as a click on that label: a
 * button's text is smaller than the button. Text farther away is a neighbour's label (the next
 * button's "+" when this button's "-" was unreadable), and the OCR rung would act on the neighbour.
 */
export const labelMarginPx = 6;

/** Whether a recorded label's box lies under the recorded click (within `labelMarginPx`). */
export function labelUnderPoint(box: Rect, point: { x: number; y: number }): boolean {
  return rectContains({ x: box.x - labelMarginPx, y: box.y - labelMarginPx, width: box.width + 2 * labelMarginPx, height: box.height + 2 * labelMarginPx }, point);
}

/** Rung 4: stable text near the target; target point = anchor box centre + offset. */
export const AnchorDescriptor = z
  .object({
    text: text(200).min(1),
    box: Rect,
    offset: z.object({ dx: z.number().int(), dy: z.number().int() }).strict(),
  })
  .strict();
export type AnchorDescriptor = z.infer<typeof AnchorDescriptor>;

/** The X11 window the action happened in; replay can map the point through a moved window. */
export const WindowDescriptor = z
  .object({
    title: text(300).optional(),
    geometry: Rect.optional(),
    /** Pointer position relative to the window's top-left corner. */
    point_in_window: PixelPoint.optional(),
  })
  .strict();

/**
 * X11, `type` and `press` steps: the window the keys went to when recorded — the app's main window
 * or one of its dialogs (Save As, Find). Replay types only when the active window plays the same
 * part: a file name recorded into a Save As dialog is never typed into the main window (and text
 * recorded into the main window never into a dialog). Robust features only: the part it plays,
 * and for a dialog its title compared by its words with the document's name left out — never the
 * exact title, which changes with the document.
 */
export const KeyboardWindow = z
  .object({
    /** `main`: the recorded app's own window; `dialog`: a window of the app over it (WM_TRANSIENT_FOR, or another window of the same app). */
    role: z.enum(['main', 'dialog']),
    /** The window's title when recorded (after redaction). */
    title: text(300).optional(),
    /** WM_CLASS class name. */
    class_name: text(200).optional(),
    /** Its size when recorded (evidence, and which of two dialogs). */
    size: Size.optional(),
  })
  .strict();
export type KeyboardWindow = z.infer<typeof KeyboardWindow>;

export const TargetDescriptor = z
  .object({
    /** Where the pointer was, in recorded frame coordinates (the last-resort fallback). */
    point: PixelPoint,
    /** Best known box of the element acted on. */
    box: Rect.optional(),
    locator: LocatorDescriptor.optional(),
    template: TemplateDescriptor.optional(),
    ocr: OcrDescriptor.optional(),
    anchors: z.array(AnchorDescriptor).max(4).default([]),
    window: WindowDescriptor.optional(),
    /** Rung 1 on X11: the accessible (AT-SPI) the recorder found under the pointer; versioned on its own. */
    accessible: AccessibleTarget.optional(),
  })
  .strict();
export type TargetDescriptor = z.infer<typeof TargetDescriptor>;

/** What should be true after the step; replay checks it before moving on. */
export const ExpectedPostState = z
  .object({
    /** Web: text that appears in the aria snapshot / DOM after the step. */
    dom_text_appears: z.array(text(200)).max(8).default([]),
    /** Web: URL after the step when it navigated. */
    url: text(2000).optional(),
    /** OCR text that appears on screen after the step. */
    ocr_text_appears: z.array(text(200)).max(8).default([]),
    /** The region whose pixels changed between before and after (green box in the after view). */
    changed_region: Rect.optional(),
    /** X11: active window title after the step, when it changed. */
    window_title: text(300).optional(),
    /**
     * X11: how the step changed its window's title around the part both titles share — what was
     * removed and added before it (`removed`, `added`) and after it (`removed_end`, `added_end`): a
     * save drops the modified mark ("*note.txt" → "note.txt"), IDLE's wraps it ("*note.txt …*").
     * Replay checks the live title changed the same way, which holds wherever the file lives; the
     * screen may show nothing of a save.
     */
    title_change: z.object({ removed: text(300), added: text(300), removed_end: text(300).optional(), added_end: text(300).optional() }).strict().optional(),
    /**
     * Web type steps: what the field's value gained from the typing, exactly as the page kept it
     * (a page may upper-case or format what is typed). Replay checks the focused field's value
     * ends with it, case and all: page text is compared case-insensitively, which would let a
     * field that kept "spring26" pass for "SPRING26".
     */
    field_gained: text(200).optional(),
    /**
     * X11: the step opened one of the app's dialogs (the next input went to it, Save As after a
     * menu click or ctrl+shift+s). Replay checks that a dialog of the app is the active window after
     * the step, its title agreeing by words: a menu that merely closed changes the window too, and
     * is no Save As.
     */
    dialog_shown: z.object({ title: text(300) }).strict().optional(),
    /** How long the UI took to settle after the recorded action. */
    settle_ms: z.number().int().min(0).max(120_000).optional(),
    /**
     * Web: what the action itself changed, checked before any page text (page text then only
     * counts when this cannot be read): the acted element's ARIA state flipped or its focus, and
     * dialogs or regions that appeared. Survives changes elsewhere on the page.
     */
    effect: z
      .object({
        expanded: z.boolean().optional(),
        checked: z.boolean().optional(),
        selected: z.boolean().optional(),
        pressed: z.boolean().optional(),
        focused: z.boolean().optional(),
        shown: z.array(z.object({ role: text(60), name: text(200) }).strict()).max(4).default([]),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ExpectedPostState = z.infer<typeof ExpectedPostState>;

const ParameterName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/);

/**
 * A step whose target depends on a choice parameter (several recordings picked different options:
 * a radio, a menu item, a list row). Replay acts on the option whose `value` the caller passed.
 */
export const StepChoice = z
  .object({
    parameter: ParameterName,
    options: z.array(z.object({ value: text(200).min(1), target: TargetDescriptor }).strict()).min(2).max(50),
  })
  .strict();
export type StepChoice = z.infer<typeof StepChoice>;

/**
 * A step seen in only some recordings: a branch. With `parameter` it runs only when that choice
 * has one of `values`; without, only when its target is on screen (replay skips it otherwise).
 */
export const StepBranch = z
  .object({
    when: text(300).min(1),
    parameter: ParameterName.optional(),
    values: z.array(text(200)).max(50).optional(),
  })
  .strict();
export type StepBranch = z.infer<typeof StepBranch>;

const StepBase = z
  .object({
    id: z.number().int().positive(),
    state_id: StateCard.shape.state_id,
    stage: text(120),
    /** One clear imperative sentence, e.g. `Click the "7" button.` */
    description: text(300).min(1),
    target: TargetDescriptor.optional(),
    expected: ExpectedPostState.optional(),
    /** Destructive steps (delete, send, pay, close unsaved, ...) always ask before replay acts. */
    destructive: z.boolean(),
    destructive_reason: text(200).optional(),
    choice: StepChoice.optional(),
    optional: StepBranch.optional(),
  })
  .strict();

export const MouseButton = z.enum(['left', 'right', 'middle']);

export const PlanStep = z.discriminatedUnion('action', [
  StepBase.extend({ action: z.literal('click'), target: TargetDescriptor }).strict(),
  StepBase.extend({ action: z.literal('double_click'), target: TargetDescriptor }).strict(),
  StepBase.extend({ action: z.literal('right_click'), target: TargetDescriptor }).strict(),
  StepBase.extend({
    action: z.literal('type'),
    /** Text with `{{parameter}}` placeholders; replay substitutes `--param name=value`. */
    text: text(10_000),
    /**
     * How the text goes in. `insert`: the recording shows the field took the keys as plain text
     * (its value grew by exactly what was typed, so no key handler reshaped it), and a web page gets
     * the text in one insertion, its last character as a real key. `keys` (the default): key by key.
     */
    typing: z.enum(['keys', 'insert']).optional(),
    keyboard_window: KeyboardWindow.optional(),
  }).strict(),
  StepBase.extend({
    action: z.literal('press'),
    /** A key chord: modifiers joined with `+`, lowercase, e.g. `ctrl+s`, `enter`, `shift+tab`. */
    key: z.string().regex(/^(?:(?:ctrl|alt|shift|meta)\+){0,3}[a-z0-9_]+$|^(?:(?:ctrl|alt|shift|meta)\+){0,3}.$/, 'must be a key chord like ctrl+s or enter').max(40),
    keyboard_window: KeyboardWindow.optional(),
  }).strict(),
  StepBase.extend({
    action: z.literal('scroll'),
    dx: z.number().int(),
    dy: z.number().int(),
    /** Web: the place the recording's scroll reached; replay scrolls there (dx/dy are what the recording's wheel moved). */
    scroll_to: ScrollPlace.optional(),
  }).strict(),
  /** Rest the pointer on the target (menus and tooltips that open under the pointer). */
  StepBase.extend({ action: z.literal('hover'), target: TargetDescriptor }).strict(),
  /** Choose an option of a list box (web `<select>`) by its value. */
  StepBase.extend({ action: z.literal('select'), target: TargetDescriptor, value: text(1000) }).strict(),
  /** Press on the target, move to the drop target, release. */
  StepBase.extend({ action: z.literal('drag'), target: TargetDescriptor, to: TargetDescriptor }).strict(),
  StepBase.extend({ action: z.literal('wait'), ms: z.number().int().min(0).max(600_000) }).strict(),
]);
export type PlanStep = z.infer<typeof PlanStep>;
export type PlanAction = PlanStep['action'];

export const PlanParameter = z
  .object({
    name: ParameterName,
    /** The recorded value; replay uses it when the caller passes no `--param`. Empty for secrets. */
    default: text(10_000),
    description: text(200),
    /** Step ids whose text uses this parameter. */
    steps: z.array(z.number().int().positive()).max(200),
    /**
     * The recorder redacted or masked the value: the parameter is required, has no stored default,
     * and replay stops before acting when it is not given.
     */
    secret: z.boolean().optional(),
    /** `choice`: the value is one of `options` (labels seen in the recordings); text otherwise. */
    kind: z.enum(['text', 'choice']).optional(),
    options: z.array(text(200).min(1)).max(50).optional(),
  })
  .strict()
  .refine((parameter) => !parameter.secret || parameter.default === '', { message: 'a secret parameter stores no default', path: ['default'] });
export type PlanParameter = z.infer<typeof PlanParameter>;

/**
 * What the recorders leave where a secret was (privacy.ts replacements, masked fields). A value
 * that still holds one of these is never typed: it is a hole, not text.
 */
export const redactionPlaceholders = ['[email]', '[api-key]', '[private-key]', '[card]', '[secret]', '••••'] as const;

export function containsRedactionPlaceholder(value: string): boolean {
  return redactionPlaceholders.some((placeholder) => value.includes(placeholder));
}

export const PlanFile = z
  .object({
    format_version: z.literal(SKILL_FORMAT_VERSION),
    skill: SkillName,
    platform: Platform,
    app: z
      .object({
        name: text(200).min(1),
        /** X11: the command that launched the app when recorded. Replay never runs it without the system tier. */
        command: text(1000).optional(),
        /** Web: the page the recording started on. */
        url: text(2000).optional(),
        window_title: text(300).optional(),
      })
      .strict(),
    /** Size of the recorded frames; every box and point in the plan is in this space. */
    screen: Size,
    permission_tier: PermissionTier,
    parameters: z.array(PlanParameter).max(50),
    steps: z.array(PlanStep).min(1).max(200),
  })
  .strict()
  .superRefine((plan, context) => {
    plan.steps.forEach((step, index) => {
      if (step.id !== index + 1) context.addIssue({ code: 'custom', path: ['steps', index, 'id'], message: `step ids must be 1..n in order; expected ${index + 1}` });
    });
    const names = new Set(plan.parameters.map((parameter) => parameter.name));
    plan.steps.forEach((step, index) => {
      for (const [field, name] of [['choice', step.choice?.parameter], ['optional', step.optional?.parameter]] as const) {
        if (name && !names.has(name)) context.addIssue({ code: 'custom', path: ['steps', index, field, 'parameter'], message: `uses undeclared parameter ${name}` });
      }
    });
    plan.steps.forEach((step, index) => {
      if (step.action !== 'type' && step.action !== 'select') return;
      // A typed text, or the option a list box chooses (a choice parameter from several recordings).
      const [field, value] = step.action === 'type' ? ['text', step.text] : ['value', step.value];
      for (const match of value.matchAll(/\{\{([^}]*)\}\}/g)) {
        if (!names.has(match[1])) context.addIssue({ code: 'custom', path: ['steps', index, field], message: `uses undeclared parameter {{${match[1]}}}` });
      }
    });
  });
export type PlanFile = z.infer<typeof PlanFile>;

// ---------------------------------------------------------------------------------------------
// Consult (branch-loaded, MMSkills): the memo a side call returns to the acting agent.
export const ConsultMemo = z
  .object({
    skill_applicability: z.enum(['applicable', 'partially_applicable', 'not_applicable']),
    subgoal: text(400),
    plan: z.array(text(300)).max(10),
    do_not_do: z.array(text(300)).max(10),
    fallback_if_no_progress: text(400),
    expected_state: text(400),
    completion_scope: text(300),
  })
  .strict();
export type ConsultMemo = z.infer<typeof ConsultMemo>;

/** What the first side call picks from the package before the memo is written. */
export const ConsultSelection = z
  .object({
    state_ids: z.array(z.string()).min(1).max(3),
    views: z.array(z.object({ state_id: z.string(), view: ViewKind }).strict()).max(6),
  })
  .strict();
export type ConsultSelection = z.infer<typeof ConsultSelection>;

// ---------------------------------------------------------------------------------------------
// Audit: packages are untrusted input. Every finding has a code from this closed list.
export const AuditFindingCode = z.enum([
  'schema_invalid', // a file breaks its schema (or SKILL.md frontmatter does not parse)
  'missing_file', // a required file, or a file the plan/cards reference, is absent
  'inconsistent', // files disagree (names, state ids, tiers across files)
  'path_traversal', // a path with `..`
  'absolute_path', // a path starting at / or a drive, or with backslashes
  'duplicate_path', // two entries map to the same path
  'symlink',
  'hard_link', // a file with more than one name: the package could change under the audit, or a skill could alias a file outside it
  'special_file', // device, pipe or socket
  'unexpected_file', // a file type a skill package has no business carrying (scripts, binaries)
  'too_many_files',
  'file_too_large',
  'total_too_large',
  'image_too_large', // pixel dimensions above the cap
  'image_invalid', // not a decodable PNG/WebP
  'zip_invalid',
  'zip_bomb',
  'zip_encrypted',
  'hidden_text', // invisible Unicode (tags, bidi overrides, zero-width runs) in text an agent reads
  'injection_exfiltration', // asks to send data somewhere
  'injection_shell', // asks to run shell commands
  'injection_disable_confirmation', // asks to skip confirmations or safety
  'injection_outside_app', // reaches outside the declared app
  'tier_mismatch', // the plan does more than its declared permission tier
  'token_budget', // per-step text an agent reads is over 500 tokens (warning)
]);
export type AuditFindingCode = z.infer<typeof AuditFindingCode>;

export const AuditFinding = z
  .object({
    code: AuditFindingCode,
    /** `refuse` findings reject the package; `warn` findings are shown but do not. */
    severity: z.enum(['refuse', 'warn']),
    file: z.string().max(300).optional(),
    message: z.string().max(1000),
  })
  .strict();
export type AuditFinding = z.infer<typeof AuditFinding>;

export const AuditReport = z
  .object({
    accepted: z.boolean(),
    source: z.string(),
    name: z.string().optional(),
    permission_tier: PermissionTier.optional(),
    files: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    findings: z.array(AuditFinding),
  })
  .strict();
export type AuditReport = z.infer<typeof AuditReport>;
