/**
 * Key names and chords shared by hooks, synthetic input and the trajectory format.
 * A chord is modifiers (ctrl, alt, shift, meta — in that order) then one key, joined by "+":
 * "ctrl+s", "ctrl+shift+Tab", "Enter". Key names follow the web's KeyboardEvent.key for named keys
 * ("Enter", "Escape", "ArrowLeft", "F5") and are single lower-case characters for letters.
 * Hooks report physical keys, so text is derived for a US layout (the layout of Xvfb and of the
 * build machines); other layouts record chords correctly but may mislabel typed symbols.
 */

export const modifierNames = ['ctrl', 'alt', 'shift', 'meta'] as const;
export type ModifierName = (typeof modifierNames)[number];

export interface Chord {
  modifiers: ModifierName[];
  key: string;
}

const modifierAliases: Record<string, ModifierName> = {
  ctrl: 'ctrl',
  control: 'ctrl',
  alt: 'alt',
  option: 'alt',
  shift: 'shift',
  meta: 'meta',
  super: 'meta',
  cmd: 'meta',
  command: 'meta',
  win: 'meta',
};

const keyAliases: Record<string, string> = {
  enter: 'Enter',
  return: 'Enter',
  tab: 'Tab',
  escape: 'Escape',
  esc: 'Escape',
  backspace: 'Backspace',
  delete: 'Delete',
  del: 'Delete',
  insert: 'Insert',
  home: 'Home',
  end: 'End',
  pageup: 'PageUp',
  pagedown: 'PageDown',
  arrowleft: 'ArrowLeft',
  left: 'ArrowLeft',
  arrowright: 'ArrowRight',
  right: 'ArrowRight',
  arrowup: 'ArrowUp',
  up: 'ArrowUp',
  arrowdown: 'ArrowDown',
  down: 'ArrowDown',
  space: 'Space',
  ' ': 'Space',
  capslock: 'CapsLock',
};

/** Parses "ctrl+s", "Control+Shift+T", "Enter", "+" into a normalized chord; undefined if malformed. */
export function parseChord(text: string): Chord | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  // "+" alone, or a chord ending in "++", means the plus key.
  const parts = trimmed === '+' ? ['+'] : trimmed.endsWith('++') ? [...trimmed.slice(0, -2).split('+'), '+'] : trimmed.split('+');
  const modifiers = new Set<ModifierName>();
  let key: string | undefined;
  for (const [index, part] of parts.entries()) {
    const lower = part.toLowerCase();
    if (index < parts.length - 1) {
      const modifier = modifierAliases[lower];
      if (!modifier) return undefined;
      modifiers.add(modifier);
      continue;
    }
    if (!part) return undefined;
    key = normalizeKeyName(part);
  }
  if (!key) return undefined;
  return { modifiers: modifierNames.filter((name) => modifiers.has(name)), key };
}

/** One character, alone or with shift: what typing produces (a chord with ctrl/alt/meta is a command). */
export function isPrintableKey(key: string): boolean {
  const chord = parseChord(key);
  return Boolean(chord && [...chord.key].length === 1 && chord.modifiers.every((modifier) => modifier === 'shift'));
}

/**
 * The text a key puts into a text field when it is taken as typing: Enter a line break, Tab a tab,
 * Space a space, a printable key its character; undefined for commands (chords with ctrl, alt or
 * meta) and keys that insert nothing (arrows, Escape, Backspace).
 */
export function textOfKey(key: string): string | undefined {
  const chord = parseChord(key);
  if (!chord || chord.modifiers.some((modifier) => modifier !== 'shift')) return undefined;
  const named: Record<string, string> = { Enter: '\n', Tab: '\t', Space: ' ' };
  if (named[chord.key] !== undefined) return chord.modifiers.length ? undefined : named[chord.key];
  if ([...chord.key].length !== 1) return undefined;
  // Shift with a letter is its capital; what it makes of other keys depends on the layout.
  if (chord.modifiers.includes('shift')) return /^[a-z]$/.test(chord.key) ? chord.key.toUpperCase() : undefined;
  return chord.key;
}

export function normalizeKeyName(name: string): string {
  const alias = keyAliases[name.toLowerCase()];
  if (alias) return alias;
  if (/^f([1-9]|1[0-9]|2[0-4])$/i.test(name)) return name.toUpperCase();
  if (name.length === 1) return name.toLowerCase();
  return name;
}

export function formatChord(chord: Chord): string {
  return [...chord.modifiers, chord.key].join('+');
}

/** Playwright's keyboard.press spelling: "Control+Shift+KeyS" style names are not needed; "Control+s" works. */
export function chordForPlaywright(chord: Chord): string {
  const names: Record<ModifierName, string> = { ctrl: 'Control', alt: 'Alt', shift: 'Shift', meta: 'Meta' };
  const key = chord.key === 'Space' ? ' ' : chord.key;
  return [...chord.modifiers.map((modifier) => names[modifier]), key].join('+');
}

/** xdotool keysym spelling. */
export function chordForXdotool(chord: Chord): string {
  const names: Record<ModifierName, string> = { ctrl: 'ctrl', alt: 'alt', shift: 'shift', meta: 'super' };
  return [...chord.modifiers.map((modifier) => names[modifier]), xKeysym(chord.key)].join('+');
}

const namedKeysyms: Record<string, string> = {
  Enter: 'Return',
  Tab: 'Tab',
  Escape: 'Escape',
  Backspace: 'BackSpace',
  Delete: 'Delete',
  Insert: 'Insert',
  Home: 'Home',
  End: 'End',
  PageUp: 'Prior',
  PageDown: 'Next',
  ArrowLeft: 'Left',
  ArrowRight: 'Right',
  ArrowUp: 'Up',
  ArrowDown: 'Down',
  Space: 'space',
  CapsLock: 'Caps_Lock',
};

const symbolKeysyms: Record<string, string> = {
  '+': 'plus', '-': 'minus', '=': 'equal', '*': 'asterisk', '/': 'slash', '.': 'period', ',': 'comma',
  ';': 'semicolon', ':': 'colon', "'": 'apostrophe', '"': 'quotedbl', '`': 'grave', '~': 'asciitilde',
  '!': 'exclam', '@': 'at', '#': 'numbersign', '$': 'dollar', '%': 'percent', '^': 'asciicircum',
  '&': 'ampersand', '(': 'parenleft', ')': 'parenright', '_': 'underscore', '[': 'bracketleft',
  ']': 'bracketright', '{': 'braceleft', '}': 'braceright', '\\': 'backslash', '|': 'bar',
  '<': 'less', '>': 'greater', '?': 'question',
};

export function xKeysym(key: string): string {
  return namedKeysyms[key] ?? symbolKeysyms[key] ?? key;
}

/** robotjs keyTap names. */
export function keyForRobot(key: string): string {
  const names: Record<string, string> = {
    Enter: 'enter', Tab: 'tab', Escape: 'escape', Backspace: 'backspace', Delete: 'delete', Insert: 'insert',
    Home: 'home', End: 'end', PageUp: 'pageup', PageDown: 'pagedown', ArrowLeft: 'left', ArrowRight: 'right',
    ArrowUp: 'up', ArrowDown: 'down', Space: 'space', CapsLock: 'capslock',
  };
  if (names[key]) return names[key];
  if (/^F\d+$/.test(key)) return key.toLowerCase();
  return key;
}

export function modifiersForRobot(modifiers: readonly ModifierName[]): string[] {
  const names: Record<ModifierName, string> = { ctrl: 'control', alt: 'alt', shift: 'shift', meta: 'command' };
  return modifiers.map((modifier) => names[modifier]);
}

/**
 * uiohook (libuiohook VC_*) key codes → [key name, text unshifted, text shifted].
 * Codes are the physical key, the same on every layout.
 */
const hookKeyTable: Record<number, [string, string?, string?]> = {
  1: ['Escape'], 14: ['Backspace'], 15: ['Tab', '\t', '\t'], 28: ['Enter'], 57: ['Space', ' ', ' '], 58: ['CapsLock'],
  3612: ['Enter'], 3655: ['Home'], 3663: ['End'], 3657: ['PageUp'], 3665: ['PageDown'], 3666: ['Insert'], 3667: ['Delete'],
  57416: ['ArrowUp'], 57424: ['ArrowDown'], 57419: ['ArrowLeft'], 57421: ['ArrowRight'],
  61000: ['ArrowUp'], 61008: ['ArrowDown'], 61003: ['ArrowLeft'], 61005: ['ArrowRight'], 60999: ['Home'], 61007: ['End'],
  61001: ['PageUp'], 61009: ['PageDown'], 61010: ['Insert'], 61011: ['Delete'],
  2: ['1', '1', '!'], 3: ['2', '2', '@'], 4: ['3', '3', '#'], 5: ['4', '4', '$'], 6: ['5', '5', '%'], 7: ['6', '6', '^'],
  8: ['7', '7', '&'], 9: ['8', '8', '*'], 10: ['9', '9', '('], 11: ['0', '0', ')'], 12: ['-', '-', '_'], 13: ['=', '=', '+'],
  26: ['[', '[', '{'], 27: [']', ']', '}'], 43: ['\\', '\\', '|'], 39: [';', ';', ':'], 40: ["'", "'", '"'], 41: ['`', '`', '~'],
  51: [',', ',', '<'], 52: ['.', '.', '>'], 53: ['/', '/', '?'],
  82: ['0', '0', '0'], 79: ['1', '1', '1'], 80: ['2', '2', '2'], 81: ['3', '3', '3'], 75: ['4', '4', '4'], 76: ['5', '5', '5'],
  77: ['6', '6', '6'], 71: ['7', '7', '7'], 72: ['8', '8', '8'], 73: ['9', '9', '9'], 55: ['*', '*', '*'], 78: ['+', '+', '+'],
  74: ['-', '-', '-'], 83: ['.', '.', '.'], 3637: ['/', '/', '/'],
  29: ['Control'], 3613: ['Control'], 56: ['Alt'], 3640: ['Alt'], 42: ['Shift'], 54: ['Shift'], 3675: ['Meta'], 3676: ['Meta'],
  69: ['NumLock'], 70: ['ScrollLock'], 3639: ['PrintScreen'],
};
const letters: Record<number, string> = {
  30: 'a', 48: 'b', 46: 'c', 32: 'd', 18: 'e', 33: 'f', 34: 'g', 35: 'h', 23: 'i', 36: 'j', 37: 'k', 38: 'l', 50: 'm',
  49: 'n', 24: 'o', 25: 'p', 16: 'q', 19: 'r', 31: 's', 20: 't', 22: 'u', 47: 'v', 17: 'w', 45: 'x', 21: 'y', 44: 'z',
};
const functionKeys: Record<number, number> = { 59: 1, 60: 2, 61: 3, 62: 4, 63: 5, 64: 6, 65: 7, 66: 8, 67: 9, 68: 10, 87: 11, 88: 12 };

export interface HookKey {
  /** Key name in chord spelling ("a", "Enter", "F5", "Shift"). */
  key: string;
  /** The text this key types with the given shift state, when it types text. */
  text?: string;
  isModifier: boolean;
}

export function keyFromHookCode(code: number, shift: boolean, capsLock = false): HookKey {
  const letter = letters[code];
  if (letter) return { key: letter, text: shift !== capsLock ? letter.toUpperCase() : letter, isModifier: false };
  const fn = functionKeys[code];
  if (fn) return { key: `F${fn}`, isModifier: false };
  const entry = hookKeyTable[code];
  if (!entry) return { key: `Unknown${code}`, isModifier: false };
  const [key, plain, shifted] = entry;
  const isModifier = key === 'Control' || key === 'Alt' || key === 'Shift' || key === 'Meta' || key === 'CapsLock' || key === 'NumLock';
  const text = shift ? shifted : plain;
  // Tab moves focus in most apps; record it as a key, not text.
  return { key, text: key === 'Tab' ? undefined : text, isModifier };
}
