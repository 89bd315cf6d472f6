import { createHash } from 'node:crypto';
import type { ExploreAction } from '../core/commands/explore.ts';
import type { ActionOutcome, ExploreDriver } from '../engine/computer/explore/explorer.ts';
import type { Observation } from '../engine/computer/explore/graph.ts';
import { signatureHash } from '../engine/computer/explore/identity.ts';
import { splitBlocked } from '../engine/computer/explore/safety.ts';
import { type FieldShape, fitsField, generateValue } from '../engine/computer/explore/values.ts';

/**
 * An app written as a state machine: `view(state)` says what is on screen and what each control
 * does. The fixture web apps are such models rendered into the DOM; the same model runs here
 * without a browser (fast unit tests) and is enumerated to know the true state count.
 */
export interface ModelControl {
  id: string;
  label: string;
  role?: string;
  disabled?: boolean;
  selected?: boolean;
  expanded?: boolean;
  on?: { click?: Step; dblclick?: Step; contextmenu?: Step; hover?: Step };
  input?: FieldShape & { change: (state: unknown, value: string, valid: boolean) => unknown };
  select?: { options: string[]; value?: string; change: (state: unknown, value: string) => unknown };
  scroll?: { rows: number; end: Step };
  drag?: { zone: string; drop: Step };
  shortcut?: { keys: string; press: Step };
  href?: string;
  crash?: 'throw' | 'hang';
}
type Step = (state: unknown) => unknown;

export interface ModelView {
  heading: string;
  tabs?: ModelControl[];
  controls: ModelControl[];
  menu?: ModelControl[];
  dialog?: { title: string; controls: ModelControl[] };
  text?: string;
}

export interface AppModel {
  title: string;
  initial: unknown;
  view(state: unknown): ModelView;
}

function allControls(view: ModelView): ModelControl[] {
  return [...(view.tabs ?? []), ...view.controls, ...(view.menu ?? []), ...(view.dialog?.controls ?? [])];
}

/** Controls a person can reach: a modal dialog hides the rest. */
function reachable(view: ModelView): ModelControl[] {
  const list = view.dialog ? view.dialog.controls : [...(view.tabs ?? []), ...view.controls, ...(view.menu ?? [])];
  return list.filter((control) => !control.disabled);
}

/** The actions the explorer would find on the rendered page, with the step each one takes. */
export function modelActions(view: ModelView): { action: ExploreAction; apply: (state: unknown) => unknown; failure?: 'throw' | 'hang' | 'offsite' }[] {
  const out: { action: ExploreAction; apply: (state: unknown) => unknown; failure?: 'throw' | 'hang' | 'offsite' }[] = [];
  for (const control of reachable(view)) {
    const target = { selector: `#${control.id}`, role: control.role ?? 'button', name: control.label };
    if (control.crash) out.push({ action: { kind: 'click', target }, apply: (state) => state, failure: control.crash });
    if (control.href) out.push({ action: { kind: 'click', target: { ...target, role: 'link' } }, apply: (state) => state, failure: 'offsite' });
    if (control.on?.click) out.push({ action: { kind: 'click', target }, apply: control.on.click });
    if (control.on?.dblclick) out.push({ action: { kind: 'double_click', target }, apply: control.on.dblclick });
    if (control.on?.contextmenu) out.push({ action: { kind: 'right_click', target }, apply: control.on.contextmenu });
    if (control.on?.hover) out.push({ action: { kind: 'hover', target }, apply: control.on.hover });
    if (control.input) {
      const input = control.input;
      const value = generateValue(input);
      out.push({ action: { kind: 'type', target: { ...target, role: 'textbox' }, text: value }, apply: (state) => input.change(state, value, fitsField(input, value)) });
    }
    if (control.select) {
      const select = control.select;
      for (const option of select.options) {
        out.push({ action: { kind: 'select', target: { ...target, role: 'combobox' }, text: option }, apply: (state) => select.change(state, option) });
      }
    }
    if (control.scroll) out.push({ action: { kind: 'scroll', target: { ...target, role: 'region' }, deltaY: 2000 }, apply: control.scroll.end });
    if (control.drag) {
      out.push({ action: { kind: 'drag', target, to: { selector: `#${control.id}-zone`, name: control.drag.zone } }, apply: control.drag.drop });
    }
  }
  if (!view.dialog) {
    for (const control of allControls(view)) {
      if (control.shortcut) out.push({ action: { kind: 'shortcut', keys: control.shortcut.keys, target: { name: control.label } }, apply: control.shortcut.press });
    }
  }
  return out;
}

/** Interactive elements and headings, as the web driver signs them. */
export function modelSignature(view: ModelView): string[] {
  const parts = [`h:${view.heading}`];
  if (view.dialog) parts.push(`dialog:${view.dialog.title}`);
  for (const control of allControls(view)) {
    parts.push(`${control.role ?? 'button'}|${control.label}|${control.disabled ? 'd' : ''}${control.selected ? 's' : ''}${control.expanded ? 'e' : ''}|${control.select?.value ?? ''}`);
  }
  return parts;
}

/** Counts the states reachable with the explorer's vocabulary (blocked controls excluded unless allowed). */
export function enumerateStates(model: AppModel, allow?: RegExp): number {
  const seen = new Map<string, unknown>();
  const key = (state: unknown) => JSON.stringify(state);
  const queue = [model.initial];
  seen.set(key(model.initial), model.initial);
  while (queue.length) {
    const state = queue.shift();
    const view = model.view(state);
    const { candidates } = splitBlocked(
      modelActions(view).map((entry) => entry.action),
      allow,
    );
    const allowed = new Set(candidates);
    for (const entry of modelActions(view)) {
      if (entry.failure || ![...allowed].some((action) => sameAction(action, entry.action))) continue;
      const next = entry.apply(state);
      if (next === undefined) continue;
      const nextKey = key(next);
      if (seen.has(nextKey)) continue;
      seen.set(nextKey, next);
      queue.push(next);
    }
  }
  return seen.size;
}

function sameAction(a: ExploreAction, b: ExploreAction): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Runs a model as an app, with no browser: the explorer's unit tests and quick benches use it. */
export class ModelDriver implements ExploreDriver {
  readonly kind = 'fake' as const;
  readonly label: string;
  private state: unknown;
  private dead = false;
  private readonly model: AppModel;
  private readonly allow: RegExp | undefined;
  performed = 0;

  constructor(model: AppModel, options: { allow?: RegExp } = {}) {
    this.model = model;
    this.label = `model:${model.title}`;
    this.state = model.initial;
    this.allow = options.allow;
  }

  async reset(): Promise<void> {
    this.state = this.model.initial;
    this.dead = false;
  }

  async observe(): Promise<Observation> {
    const view = this.model.view(this.state);
    const parts = modelSignature(view);
    const picture = createHash('sha256').update(`${view.heading}\n${view.dialog?.title ?? ''}`).digest('hex').slice(0, 16);
    const { candidates, blocked } = splitBlocked(
      modelActions(view).map((entry) => entry.action),
      this.allow,
    );
    return { signature: signatureHash(parts), phash: picture, title: view.heading, candidates, blocked };
  }

  async perform(action: ExploreAction): Promise<ActionOutcome> {
    this.performed += 1;
    if (this.dead) return { ok: false, reason: 'hang', detail: 'the app stopped answering', needsReset: true };
    const entry = modelActions(this.model.view(this.state)).find((candidate) => sameAction(candidate.action, action));
    if (!entry) return { ok: false, reason: 'error', detail: `no control ${action.target?.name ?? action.keys ?? action.kind} here`, needsReset: false };
    if (entry.failure === 'throw') return { ok: false, reason: 'error', detail: 'the page threw: Error: boom', needsReset: false };
    if (entry.failure === 'hang') {
      this.dead = true;
      return { ok: false, reason: 'hang', detail: 'the page stopped answering', needsReset: true };
    }
    if (entry.failure === 'offsite') return { ok: false, reason: 'offsite', detail: `left the site for ${action.target?.name ?? ''}`, needsReset: true };
    const next = entry.apply(this.state);
    if (next !== undefined) this.state = next;
    return { ok: true };
  }

  async dispose(): Promise<void> {}
}
