import type { Page } from 'playwright-core';
import type { Box, RgbaImage } from '../../../native/image.ts';
import type { WindowAccessibility } from '../accessibility.ts';
import type { KeyboardWindow } from '../../../core/schemas/skill.ts';
import type { ScrollPlace } from '../../../core/schemas/trajectory.ts';

export type { Point } from '../../../core/geometry.ts';
import type { Point } from '../../../core/geometry.ts';

/** The live window or page a skill acts on. Coordinates are those of `capture()`'s frame. */
export interface Surface {
  readonly kind: 'web' | 'x11';
  /** Web: viewport screenshot in CSS pixels. X11: the whole screen. */
  capture(): Promise<RgbaImage>;
  /** Part of the frame, cheaper than a whole capture (X11: only that rectangle is read from the server). */
  captureRegion?(region: Box): Promise<RgbaImage>;
  click(point: Point, options?: { button?: 'left' | 'right' | 'middle'; count?: 1 | 2 }): Promise<void>;
  /**
   * Types text into what has the keyboard focus. `insert`: the recording showed the field took the
   * keys as plain text, so a surface may put it in one go (the web does, into a plain text field).
   */
  type(text: string, options?: { insert?: boolean; window?: KeyboardWindow }): Promise<void>;
  /**
   * A key chord as plan.json writes it: `ctrl+s`, `enter`, `shift+tab`. `window` (X11, both): the
   * window the keys went to when recorded; the surface refuses (`unsafe`) when the active window
   * does not play the same part (a Save As dialog that did not open).
   */
  press(chord: string, options?: { window?: KeyboardWindow }): Promise<void>;
  /**
   * The wheel at a point. `to` (web): the place the recording's scroll reached; the web surface
   * turns the wheel by what that container still needs from where it is now (an X11 surface has
   * no such place and turns dx/dy).
   */
  scroll(point: Point, dx: number, dy: number, to?: ScrollPlace): Promise<void>;
  /** Rests the pointer at a point. */
  hover?(point: Point): Promise<void>;
  /** Chooses an option (by value or label) of the list box at a point; web only (X11 answers unavailable). */
  select?(point: Point, value: string): Promise<void>;
  /** Presses at one point, moves to another in steps, releases there. */
  drag?(from: Point, to: Point): Promise<void>;
  /** Web only: the page, for DOM/a11y locators and DOM checks. */
  readonly page?: Page;
  /** X11 only: the app window as it is now (moved, resized …), or undefined if it is gone. */
  window?(): Promise<{ title: string; geometry: { x: number; y: number; width: number; height: number } } | undefined>;
  /**
   * X11 only: the window's title now — from the window's own change notices where they are heard
   * (no query per look, so a title can be watched closely), else asked.
   */
  title?(): Promise<string | undefined>;
  /**
   * X11 only: the app's own dialog with this title (Find and Replace …) when it is the active
   * window; undefined when the main window or another program's window is.
   */
  dialogTitled?(title: string): Promise<{ title: string; geometry: { x: number; y: number; width: number; height: number } } | undefined>;
  /** X11 only: the app's own dialog (any title) when it is the active window; undefined when the main window or another program's window is. */
  activeDialog?(): Promise<{ title: string; geometry: { x: number; y: number; width: number; height: number } } | undefined>;
  /** X11 only: the app's own dialog the last keys went to (Save As …), when it was not the main window. */
  keyboardDialog?(): Promise<{ title: string; geometry: { x: number; y: number; width: number; height: number } } | undefined>;
  /**
   * X11 only: when another program's window is stacked over `point` (where the next target should
   * be), moves the app's window to the nearest place on screen that no other program's window
   * overlaps, as a careful person drags their window out from under a note kept on top. Answers
   * what it did, or undefined when nothing covers the point or there is no free place (the click
   * is then refused as before).
   */
  uncover?(point: Point): Promise<string | undefined>;
  /**
   * X11 only: the app's accessibility tree (AT-SPI), for the `a11y` rung and for evidence after an
   * action (it is an AccessibilityProbe). Absent when the surface has none; verification then falls
   * back to pixels and the caret.
   */
  readonly accessibility?: WindowAccessibility;
  /**
   * Milliseconds spent so far in the safety checks a surface makes before each input (X11: the
   * window in front, no other program's window over the point, keys only to the replay's window).
   * Replay counts them as engine time, apart from the input itself.
   */
  guardMs?(): number;
  /** False once the page closed / navigated off its origin, or the window disappeared. */
  alive(): Promise<boolean>;
  dispose(): Promise<void>;
}

/** What verification may ask the accessibility tree after an action. `undefined`: cannot tell. */
export interface AccessibilityProbe {
  /** Whether the element at `point` (or one inside it) has the keyboard focus now. */
  focusedAt(point: Point): Promise<boolean | undefined>;
}
