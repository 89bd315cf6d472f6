/**
 * The scripted "person" of each task: what they click (by the page's stable ground-truth identity
 * on the web, by button label on galculator) and what they type. The recording is made from these
 * on the unchanged app; replay never sees them, only the judge does.
 */
/**
 * Speed tuning (settle, capture) used only the `tune` tasks; `unseen` ones are reported first.
 * Fixed before any tuning: on the web the form and the dialog are held out, on X11 the editor
 * (mousepad) is held out and the calculator (galculator) is tuned on.
 */
export type Split = 'tune' | 'unseen';

export type WebAction = { kind: 'click'; truth: string } | { kind: 'type'; text: string } | { kind: 'key'; key: string };

export interface WebTask {
  name: string;
  kind: 'form' | 'menu' | 'dialog' | 'table';
  split: Split;
  page: string;
  actions: WebAction[];
  /** window.__outcome after a correct run. */
  expected: unknown;
}

export const webTasks: WebTask[] = [
  {
    name: 'web-form-signup',
    kind: 'form',
    split: 'unseen',
    page: 'form.html',
    actions: [
      { kind: 'click', truth: 'name-field' },
      { kind: 'type', text: 'Ada Lovelace' },
      { kind: 'click', truth: 'email-field' },
      { kind: 'type', text: 'ada@example.com' },
      { kind: 'click', truth: 'plan-pro' },
      { kind: 'click', truth: 'agree' },
      { kind: 'click', truth: 'submit' },
    ],
    expected: { submitted: { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro', agree: true } },
  },
  {
    name: 'web-menu-commands',
    kind: 'menu',
    split: 'tune',
    page: 'menu.html',
    actions: [
      { kind: 'click', truth: 'menu-view' },
      { kind: 'click', truth: 'view-zoom-in' },
      { kind: 'click', truth: 'menu-edit' },
      { kind: 'click', truth: 'edit-select-all' },
      { kind: 'click', truth: 'menu-file' },
      { kind: 'click', truth: 'file-export' },
    ],
    expected: { commands: ['zoom-in', 'select-all', 'export'] },
  },
  {
    name: 'web-dialog-new-folder',
    kind: 'dialog',
    split: 'unseen',
    page: 'dialog.html',
    actions: [
      { kind: 'click', truth: 'new-folder' },
      { kind: 'click', truth: 'folder-name' },
      { kind: 'type', text: 'Invoices 2026' },
      { kind: 'click', truth: 'dialog-create' },
    ],
    expected: { created: ['Invoices 2026'], cancelled: 0 },
  },
  {
    name: 'web-table-archive',
    kind: 'table',
    split: 'tune',
    page: 'table.html',
    actions: [
      { kind: 'click', truth: 'archive-globex' },
      { kind: 'click', truth: 'archive-hooli' },
      { kind: 'click', truth: 'save' },
    ],
    expected: { saved: ['Globex', 'Hooli'] },
  },
];

export type X11Action = { kind: 'click'; button: string } | { kind: 'click-text' } | { kind: 'type'; text: string } | { kind: 'key'; key: string };

export interface X11Task {
  name: string;
  app: 'galculator' | 'mousepad';
  split: Split;
  actions: X11Action[];
  /** galculator: the display value; mousepad: the saved file's content. */
  expected: string;
}

export const x11Tasks: X11Task[] = [
  {
    name: 'galculator-sum',
    app: 'galculator',
    split: 'tune',
    actions: ['AC', '1', '2', '+', '7', '='].map((button) => ({ kind: 'click', button }) as const),
    expected: '19',
  },
  {
    name: 'galculator-product',
    app: 'galculator',
    split: 'tune',
    actions: ['AC', '9', '*', '8', '-', '5', '='].map((button) => ({ kind: 'click', button }) as const),
    expected: '67',
  },
  {
    name: 'mousepad-note',
    app: 'mousepad',
    split: 'unseen',
    actions: [{ kind: 'click-text' }, { kind: 'type', text: 'Meeting notes: ship on Friday' }, { kind: 'key', key: 'ctrl+s' }],
    expected: 'Meeting notes: ship on Friday',
  },
];

/** galculator's basic mode, row by row as it lays its buttons out (`=` spans the last two rows). */
export const galculatorRows: string[][] = [
  ['C', 'AC', '<-'],
  ['(', ')', 'MS', 'MR', 'M+'],
  ['7', '8', '9', '/', 'sqrt'],
  ['4', '5', '6', '*', '%'],
  ['1', '2', '3', '-', '='],
  ['0', '.', '+/-', '+'],
];
