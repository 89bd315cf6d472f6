/**
 * The many-app desktop benchmark (#12.7): real Debian apps across toolkits, tasks that use
 * menus, dialogs, toolbars, lists and text fields, replayed under drift and judged by the app's
 * own output (the file it saved, the value it copied to the clipboard).
 *
 * THE SPLIT IS FIXED HERE, BEFORE ANY TUNING, and must not move: the engine may be tuned on the
 * `tune` apps only; the `unseen` apps are the figure that counts. galculator and mousepad tuned
 * the engine in earlier rounds (the drift benchmark), so they are `tune` by history.
 */
import { galculatorRows } from './tasks.ts';

export type Toolkit = 'gtk3' | 'gtk4' | 'qt' | 'xaw' | 'tk' | 'chromium';
export type Split = 'tune' | 'unseen';

export interface DesktopApp {
  name: string;
  toolkit: Toolkit;
  split: Split;
  /** Debian package that ships it (the CI and demo installers add it). */
  package: string;
  /** The app exposes an accessibility tree (Xaw and Tk do not). */
  accessible: boolean;
  /**
   * What its tasks leave behind for the judge: the saved file, what the app copied to the
   * clipboard, or (xcalc, which cannot copy) its display as it offers it for selection when the
   * judge clicks it after the run.
   */
  output: 'file' | 'clipboard' | 'display-selection';
}

export const desktopApps: DesktopApp[] = [
  { name: 'mousepad', toolkit: 'gtk3', split: 'tune', package: 'mousepad', accessible: true, output: 'file' },
  { name: 'galculator', toolkit: 'gtk3', split: 'tune', package: 'galculator', accessible: true, output: 'clipboard' },
  { name: 'xedit', toolkit: 'xaw', split: 'tune', package: 'x11-apps', accessible: false, output: 'file' },
  { name: 'gnome-calculator', toolkit: 'gtk4', split: 'tune', package: 'gnome-calculator', accessible: true, output: 'clipboard' },
  { name: 'gnome-text-editor', toolkit: 'gtk4', split: 'unseen', package: 'gnome-text-editor', accessible: true, output: 'file' },
  { name: 'featherpad', toolkit: 'qt', split: 'unseen', package: 'featherpad', accessible: true, output: 'file' },
  { name: 'xcalc', toolkit: 'xaw', split: 'unseen', package: 'x11-apps', accessible: false, output: 'display-selection' },
  { name: 'idle', toolkit: 'tk', split: 'unseen', package: 'idle3', accessible: false, output: 'file' },
  { name: 'chromium', toolkit: 'chromium', split: 'unseen', package: 'chromium', accessible: true, output: 'file' },
];

export const desktopConditions = ['unchanged', 'moved', 'resized-smaller', 'resized-larger', 'dark-theme', 'large-font', 'covered'] as const;
export type DesktopCondition = (typeof desktopConditions)[number];

export function desktopConditionFamily(condition: DesktopCondition): 'unchanged' | 'layout' | 'theme-scale' | 'covered' {
  if (condition === 'unchanged') return 'unchanged';
  if (condition === 'moved' || condition === 'resized-smaller' || condition === 'resized-larger') return 'layout';
  if (condition === 'covered') return 'covered';
  return 'theme-scale';
}

/**
 * One action of a task. `click` names the label a person would aim at (found by reading the
 * unchanged app when recording, never at replay); `click-control` a control that shows an icon, not
 * a label (GTK 4's ≡ menu button), by the name its tooltip and accessible give it; `click-text` is
 * the middle of the editing area.
 */
export type DesktopAction = { kind: 'click'; label: string } | { kind: 'click-control'; role: string; name: string } | { kind: 'click-text' } | { kind: 'type'; text: string } | { kind: 'key'; key: string } | { kind: 'wait'; ms: number };

export interface DesktopTask {
  name: string;
  app: string;
  /** What it exercises, for the report: menu, dialog, toolbar, buttons, text field, tabs, list. */
  uses: string[];
  actions: DesktopAction[];
  /** The saved file's content, or the value the app copied to the clipboard. */
  expected: string;
}

const click = (label: string): DesktopAction => ({ kind: 'click', label });
const clickControl = (role: string, name: string): DesktopAction => ({ kind: 'click-control', role, name });
const type = (text: string): DesktopAction => ({ kind: 'type', text });
const key = (chord: string): DesktopAction => ({ kind: 'key', key: chord });
const pause = (ms: number): DesktopAction => ({ kind: 'wait', ms });

function editorTasks(app: string, save: DesktopAction[], menuSave: DesktopAction[]): DesktopTask[] {
  return [
    { name: `${app}-type-save`, app, uses: ['text field', 'keyboard'], actions: [{ kind: 'click-text' }, type('Alpha beta gamma'), ...save], expected: 'Alpha beta gamma' },
    { name: `${app}-menu-save`, app, uses: ['text field', 'menu'], actions: [{ kind: 'click-text' }, type('Saved from the menu'), ...menuSave], expected: 'Saved from the menu' },
    { name: `${app}-two-lines`, app, uses: ['text field', 'keyboard'], actions: [{ kind: 'click-text' }, type('first line'), key('Return'), type('second line'), ...save], expected: 'first line\nsecond line' },
    { name: `${app}-select-replace`, app, uses: ['text field', 'keyboard'], actions: [{ kind: 'click-text' }, type('draft'), key('ctrl+a'), type('final text'), ...save], expected: 'final text' },
  ];
}

function calculatorTasks(app: string, glyphs: { times: string; minus: string }, copy: DesktopAction[]): DesktopTask[] {
  const press = (labels: string[]) => labels.map(click);
  return [
    { name: `${app}-sum`, app, uses: ['buttons'], actions: [...press(['1', '2', '+', '7', '=']), ...copy], expected: '19' },
    { name: `${app}-product`, app, uses: ['buttons'], actions: [...press(['9', glyphs.times, '8', '=']), ...copy], expected: '72' },
    { name: `${app}-difference`, app, uses: ['buttons'], actions: [...press(['5', '0', glyphs.minus, '8', '=']), ...copy], expected: '42' },
    { name: `${app}-double`, app, uses: ['buttons'], actions: [...press(['8', '+', '8', '=']), ...copy], expected: '16' },
  ];
}

/**
 * Calculators' button grids row by row, as each lays its buttons out: how the benchmark's scripted
 * person finds a button whose glyph OCR cannot read ("=", "-"), from the buttons' frames alone.
 * Used only to learn the recording's click points, never at replay.
 */
export const calculatorLayouts: Record<string, readonly (readonly string[])[]> = {
  galculator: galculatorRows,
  // GTK 4 draws its buttons flat (no frames to find): the read digits place the rest on the grid.
  'gnome-calculator': [
    ['⌫', '(', ')', 'mod', 'π'],
    ['7', '8', '9', '÷', '√'],
    ['4', '5', '6', '×', 'x²'],
    ['1', '2', '3', '−', '='],
    ['0', '.', '%', '+'],
  ],
  xcalc: [
    ['1/x', 'x²', '√', 'CE/C', 'AC'],
    ['INV', 'sin', 'cos', 'tan', 'DRG'],
    ['e', 'EE', 'log', 'ln', 'y^x'],
    ['not', 'and', 'or', 'xor', 'trunc'],
    ['π', 'x!', '(', ')', 'base'],
    ['shl', 'D', 'E', 'F', 'shr'],
    ['mod', 'A', 'B', 'C', '÷'],
    ['STO', '7', '8', '9', '*'],
    ['RCL', '4', '5', '6', '-'],
    ['SUM', '1', '2', '3', '+'],
    ['EXC', '0', '.', '+/-', '='],
  ],
};

/** The tasks, 4 per app (36). Labels are what each app shows (its own glyphs for × and −). */
export const desktopTasks: DesktopTask[] = [
  ...editorTasks('mousepad', [key('ctrl+s')], [click('File'), pause(500), click('Save')]),
  ...calculatorTasks('galculator', { times: '*', minus: '-' }, [key('ctrl+c')]),
  ...editorTasks('xedit', [click('Save')], [click('Save')]),
  ...calculatorTasks('gnome-calculator', { times: '×', minus: '−' }, [key('ctrl+c')]),
  // GTK 4's header bar has no File menu: Save is in the primary menu behind the ≡ button ("Menu").
  ...editorTasks('gnome-text-editor', [key('ctrl+s')], [clickControl('push button', 'Menu'), pause(500), click('Save')]),
  ...editorTasks('featherpad', [key('ctrl+s')], [click('File'), pause(500), click('Save')]),
  // xcalc cannot copy its result: the judge reads its display through the selection xcalc offers.
  ...calculatorTasks('xcalc', { times: '*', minus: '-' }, []),
  ...editorTasks('idle', [key('ctrl+s')], [click('File'), pause(500), click('Save')]),
  // Chromium shows a page (testkit/fixtures/desktop/note.html) as an app window; it saves by a download.
  ...editorTasks('chromium', [click('Download')], [click('File'), pause(500), click('Save')]),
];
