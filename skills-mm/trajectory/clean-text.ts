import type { PageState, Target, TrajectoryEventInput } from '../../core/schemas/trajectory.ts';
import { cleanText, rawWhenNeeded, stripInvisible } from '../../core/text.ts';

type Cleanable = Pick<TrajectoryEventInput, 'kind' | 'target' | 'pageTitle' | 'window' | 'value' | 'ariaSnapshot' | 'afterState'>;

/**
 * The recording boundary for text an app shows: every label, name, title and visible text a
 * recorder stores is cleaned (NFC, no invisible characters, one space between words), so
 * descriptions, state cards and expectations built from it carry nothing a reader cannot see.
 * Where the cleaned name would no longer match the live app exactly, the raw one is kept beside
 * it (`rawName`, `rawText`), the only fields a package may carry such characters in.
 * What the person typed is data and is left as typed. The builder applies the same cleaning to
 * recordings made before it existed. Idempotent.
 */
export function cleanEventText(draft: Cleanable): void {
  if (draft.target) draft.target = cleanTarget(draft.target);
  if (draft.pageTitle !== undefined) draft.pageTitle = cleanText(draft.pageTitle);
  if (draft.window) draft.window = { ...draft.window, title: cleanText(draft.window.title) };
  // A select's value is the option's visible text.
  if (draft.kind === 'select' && draft.value !== undefined) draft.value = cleanText(draft.value);
  // YAML: indentation and line breaks carry structure, so only the invisible characters go.
  if (draft.ariaSnapshot !== undefined) draft.ariaSnapshot = stripInvisible(draft.ariaSnapshot);
  if (draft.afterState) draft.afterState = cleanPageState(draft.afterState);
}

export function cleanTarget(target: Target): Target {
  const out: Target = { ...target };
  for (const key of ['label', 'placeholder'] as const) if (out[key] !== undefined) out[key] = cleanText(out[key]);
  if (target.name !== undefined) {
    out.name = cleanText(target.name);
    const raw = rawWhenNeeded(target.rawName ?? target.name, out.name);
    if (raw === undefined) delete out.rawName;
    else out.rawName = raw;
  }
  if (target.text !== undefined) {
    out.text = cleanText(target.text);
    const raw = rawWhenNeeded(target.rawText ?? target.text, out.text);
    if (raw === undefined) delete out.rawText;
    else out.rawText = raw;
  }
  if (out.locator !== undefined) out.locator = stripInvisible(out.locator);
  if (out.name === '') delete out.name;
  if (out.text === '') delete out.text;
  return out;
}

function cleanPageState(state: NonNullable<Cleanable['afterState']>): PageState {
  return {
    ...state,
    ...(state.focused ? { focused: { ...state.focused, ...(state.focused.name !== undefined ? { name: cleanText(state.focused.name) } : {}) } } : {}),
    shown: (state.shown ?? []).map((item) => ({ role: item.role, name: cleanText(item.name) })),
    text: (state.text ?? []).map(cleanText).filter(Boolean),
  };
}
