import type { Accessibility, AccessibleApp, AccessibleNode, AccessibleRef } from '../../../native/a11y/index.ts';
import { sleep } from '../../../core/abort.ts';

/**
 * Verification by accessibility state: what the app itself says changed after an action — a
 * window, dialog or menu shown or closed, the target focused, checked, expanded or selected, its
 * menu items now showing, its text changed. Carets and spinners do not exist here, so a click
 * into an empty text field is proven by focus, not by a blinking pixel.
 */
export interface AccessibleSnapshot {
  /** The app's showing top-level windows as "role name". */
  windows: string[];
  target?: { states: string[]; showingChildren: number; text?: string; editable: boolean };
}

const watchedStates = ['focused', 'checked', 'expanded', 'selected', 'pressed', 'armed', 'active', 'indeterminate'];

export async function snapshotAccessible(client: Accessibility, app: AccessibleApp, target?: AccessibleNode): Promise<AccessibleSnapshot> {
  const [tops, node, children, text] = await Promise.all([
    client.children(app.ref, 64),
    target ? client.node(target.ref).catch(() => undefined) : Promise.resolve(undefined),
    target && target.childCount > 0 && target.childCount <= 200 ? client.children(target.ref, 200).catch(() => []) : Promise.resolve([]),
    target?.interfaces.includes('Text') ? client.text(target.ref, 20_000) : Promise.resolve(undefined),
  ]);
  return {
    windows: tops.filter((top) => top.states.includes('showing')).map((top) => `${top.role} ${JSON.stringify(top.name)}`),
    ...(node ? { target: { states: node.states, editable: node.states.includes('editable') || ['text', 'entry', 'password text', 'paragraph'].includes(node.role), showingChildren: children.filter((child) => child.states.includes('showing')).length, ...(text !== undefined ? { text } : {}) } } : {}),
  };
}

/** What changed between two snapshots, in words; `changed` false when the app reports nothing new. */
export function accessibleChange(before: AccessibleSnapshot, after: AccessibleSnapshot): { changed: boolean; evidence: string[] } {
  const evidence: string[] = [];
  for (const window of after.windows) if (!before.windows.includes(window)) evidence.push(`${window} shown`);
  for (const window of before.windows) if (!after.windows.includes(window)) evidence.push(`${window} closed`);
  if (before.target && after.target) {
    for (const state of watchedStates) {
      const was = before.target.states.includes(state);
      const is = after.target.states.includes(state);
      if (was !== is) evidence.push(`target ${is ? 'became' : 'no longer'} ${state}`);
    }
    if (before.target.showingChildren !== after.target.showingChildren) evidence.push(`target's items ${after.target.showingChildren > before.target.showingChildren ? 'shown' : 'hidden'}`);
    if (before.target.text !== undefined && after.target.text !== undefined && before.target.text !== after.target.text) evidence.push('target text changed');
    // A click into a text field that already had focus changes nothing anyone can see (a caret
    // may blink): the field holding focus after the click is the result the click was for.
    if (!evidence.length && after.target.editable && after.target.states.includes('focused')) evidence.push('the text field has focus');
  }
  return { changed: evidence.length > 0, evidence };
}

/** Evidence that only says the focus moved: any click on a focusable control gives it. */
const focusOnly = (evidence: string): boolean => evidence === 'target became focused' || evidence === 'the text field has focus';

/**
 * Whether what the tree reported may decide a step alone. Focus alone does not where the recording
 * expected text to show: a calculator's button takes the focus whichever button it is and whatever
 * it did, so the display's text is still read. A change of focus stays evidence where nothing but a
 * change was recorded (a click into a text field). Nor does any change where the step opened one of
 * the app's dialogs when recorded: that dialog must be the active window after it (a Save As that
 * flashed up and closed, or a menu that only closed, leave the keys for the main window).
 */
export function decisiveChange<T extends { changed: boolean; evidence: string[] }>(result: T | undefined, expected: { ocr_text_appears: readonly string[]; dialog_shown?: unknown } | undefined): T | undefined {
  if (result?.changed && expected?.dialog_shown) return { ...result, changed: false };
  if (!result?.changed || !expected?.ocr_text_appears.length || !result.evidence.every(focusOnly)) return result;
  return { ...result, changed: false };
}

/**
 * Waits for the app's accessibility state to change after an action, until it does or the time is
 * up (toolkits update their trees asynchronously). The app's own events (a state, a text, a window
 * changed; the focus moved) wake the check the moment they come; where none come (no listener
 * support, an app that sends nothing) it looks again every `intervalMs`. For replay and for the
 * "verify" room to call.
 */
export async function waitForAccessibleChange(
  client: Accessibility,
  app: AccessibleApp,
  target: AccessibleNode | undefined,
  before: AccessibleSnapshot,
  options: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<{ changed: boolean; evidence: string[] }> {
  const deadline = Date.now() + (options.timeoutMs ?? 1500);
  let heard = false;
  let wake: (() => void) | undefined;
  const stop = await client
    .listen?.((event) => {
      if (event.bus !== app.ref.bus) return;
      heard = true;
      wake?.();
    })
    .catch(() => undefined);
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      heard = false;
      const result = accessibleChange(before, await snapshotAccessible(client, app, target));
      if (result.changed || Date.now() > deadline) return result;
      // An event that came during the look above is a reason to look again at once.
      if (!heard) {
        const woken = new AbortController();
        wake = () => woken.abort();
        const pause = options.signal ? AbortSignal.any([options.signal, woken.signal]) : woken.signal;
        // Woken early by an event: go on; stopped from outside: stop.
        await sleep(Math.min(options.intervalMs ?? 100, Math.max(0, deadline - Date.now())), pause).catch((error) => {
          if (options.signal?.aborted) throw error;
        });
        wake = undefined;
      }
    }
  } finally {
    stop?.();
  }
}

/**
 * Proof that a key was taken as text (Enter in a text area, whose only visible effect is a caret
 * that moved), from the app's own account, in either of two ways:
 * - the app announces text inserted at an offset (an AT-SPI text-changed event from the app's own
 *   connection), and the node it names then holds exactly the key's text there, with its caret
 *   right after it (Chromium);
 * - the text node in use before the key (`textNode`: the node the app last reported focus or text
 *   activity on) is read through its Text interface before the key and again after: its text must
 *   now be the old text with exactly the key's text at the old caret, and its caret right after it.
 *   GTK 4 (4.8, gnome-text-editor) does announce Enter, but at an offset one less than where the
 *   text went (its first character at -1) and with caret events one behind, so only this read proves
 *   it there. A key that inserted nothing (a no-op, a field that swallowed it, a dialog that took
 *   it) leaves the text as it was and proves nothing.
 * Listening and the first read happen here, before the key is sent; the returned function waits
 * (bounded) for either proof. Undefined when the client can neither hear events nor read a caret.
 */
export async function watchKeyText(client: Accessibility, app: AccessibleApp, inserted: string, textNode?: AccessibleRef): Promise<{ wait: (options?: { timeoutMs?: number; signal?: AbortSignal }) => Promise<{ changed: boolean; evidence: string[] }>; stop: () => void } | undefined> {
  if (!client.textState || !inserted) return undefined;
  const readState = client.textState.bind(client);
  const node = textNode && textNode.bus === app.ref.bus ? textNode : undefined;
  const before = node ? await readState(node, 100_000).catch(() => undefined) : undefined;
  const insertions: { path: string; offset: number }[] = [];
  let wake: (() => void) | undefined;
  const stopListening = client.listen
    ? await client
        .listen((event) => {
          if (event.bus !== app.ref.bus) return;
          const insert = event.kind === 'Object:TextChanged' && event.detail?.startsWith('insert') && event.value !== undefined && event.value >= 0;
          // The event's own text, where the toolkit sends it, must begin with the key's (Chromium
          // announces a text area's trailing line break with the first one).
          if (insert && (event.data === undefined || event.data.startsWith(inserted))) insertions.push({ path: event.path, offset: event.value! });
          wake?.();
        })
        .catch(() => undefined)
    : undefined;
  // Neither an event to hear nor a text read before the key: nothing can prove it here.
  if (!stopListening && !(node && before)) return undefined;
  const stop = () => stopListening?.();
  const wait = async (options: { timeoutMs?: number; signal?: AbortSignal } = {}) => {
    const deadline = Date.now() + (options.timeoutMs ?? 1500);
    try {
      for (;;) {
        options.signal?.throwIfAborted();
        if (node && before && before.caret >= 0 && before.caret <= before.text.length) {
          const now = await readState(node, 100_000).catch(() => undefined);
          if (now && now.caret === before.caret + inserted.length && now.text === before.text.slice(0, before.caret) + inserted + before.text.slice(before.caret)) {
            return { changed: true, evidence: [`the app's text took ${JSON.stringify(inserted)} at the caret (offset ${before.caret}), the rest as it was`] };
          }
        }
        // Each insertion the app announced, checked against the node as it is now.
        for (const { path, offset } of insertions) {
          const state = await readState({ bus: app.ref.bus, path }, 100_000).catch(() => undefined);
          if (state && state.caret === offset + inserted.length && state.text.slice(offset, state.caret) === inserted) {
            return { changed: true, evidence: [`the app put ${JSON.stringify(inserted)} into its text at the caret (offset ${offset})`] };
          }
        }
        if (Date.now() >= deadline) return { changed: false, evidence: [] };
        const woken = new AbortController();
        wake = () => woken.abort();
        const pause = options.signal ? AbortSignal.any([options.signal, woken.signal]) : woken.signal;
        await sleep(Math.min(100, Math.max(0, deadline - Date.now())), pause).catch((error) => {
          if (options.signal?.aborted) throw error;
        });
        wake = undefined;
      }
    } finally {
      stop();
    }
  };
  return { wait, stop };
}
