import type { Point } from '../../core/schemas/trajectory.ts';

/**
 * Synthetic input: what a person's mouse and keyboard would do. Coordinates are screen pixels.
 * Every method resolves once the input has been sent to the X server (not once the app reacted).
 */
export interface InputDriver {
  move(x: number, y: number): Promise<void>;
  click(x: number, y: number, options?: { button?: 'left' | 'right' | 'middle'; double?: boolean }): Promise<void>;
  /** Types text as keystrokes, symbols included ("a@b.c!"). */
  type(text: string, options?: { delayMs?: number }): Promise<void>;
  /** Presses a chord: "Enter", "ctrl+s", "ctrl+shift+Tab" (see keys.ts). */
  press(chord: string): Promise<void>;
  /** Wheel: positive dy scrolls down, positive dx right, in wheel notches. */
  scroll(dx: number, dy: number, at?: Point): Promise<void>;
  pointer(): Promise<Point>;
  dispose(): void;
}

export interface Modifiers {
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
}

/** One global input event, normalized from the OS hook. */
export type HookEvent =
  | { type: 'mousedown' | 'mouseup'; at: number; x: number; y: number; button: 'left' | 'right' | 'middle'; modifiers: Modifiers }
  | { type: 'mousemove'; at: number; x: number; y: number; modifiers: Modifiers }
  | { type: 'wheel'; at: number; x: number; y: number; dx: number; dy: number; modifiers: Modifiers }
  | {
      type: 'keydown' | 'keyup';
      at: number;
      /** Chord spelling of the physical key: "a", "Enter", "F5", "Shift". */
      key: string;
      /** Text the key types with the current shift state (US layout), if any. */
      text?: string;
      isModifier: boolean;
      modifiers: Modifiers;
    };

/** Global input hooks: every mouse and key event on the display, from any source. */
export interface InputHooks {
  start(listener: (event: HookEvent) => void): Promise<void>;
  stop(): void;
  dispose(): void;
}

/** How long the pointer rests on a click's point (and the pixel next to it) before the press. */
export const pointerRestMs = 30;

/**
 * Where a click's pointer comes from: the pixel beside its point. A FOX menu (xfe's xfwrite) drops a
 * press that comes with the one motion that put the pointer on its item — the menu closes and the
 * item does nothing (3 of 3 with no rest; under load 20-30 still 1-2 of 8 after a rest, 0 of 8 when
 * the pointer arrived from the pixel beside, resting at each). A person's pointer arrives that way.
 */
export function approachPoint(x: number, y: number): [number, number] {
  const column = Math.round(x);
  return [column > 0 ? column - 1 : column + 1, Math.round(y)];
}
