/**
 * The many-app desktop benchmark (#12.7): real Debian apps across toolkits, tasks that use
 * menus, dialogs, toolbars, lists and text fields, replayed under drift and judged by the app's
 * own output (the file it saved, the value it copied to the clipboard).
 *
 * THE SPLIT IS FIXED HERE, BEFORE ANY TUNING, and must not move: the engine may be tuned on the
 * `tune` apps only; the `unseen` apps are the figure that counts. galculator and mousepad tuned
 * the engine in earlier rounds (the drift benchmark), so they are `tune` by history.
 */
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
  /** What its tasks leave behind for the judge. */
  output: 'file' | 'clipboard';
}

export const desktopApps: DesktopApp[] = [
  { name: 'mousepad', toolkit: 'gtk3', split: 'tune', package: 'mousepad', accessible: true, output: 'file' },
  { name: 'galculator', toolkit: 'gtk3', split: 'tune', package: 'galculator', accessible: true, output: 'clipboard' },
  { name: 'xedit', toolkit: 'xaw', split: 'tune', package: 'x11-apps', accessible: false, output: 'file' },
  { name: 'gnome-calculator', toolkit: 'gtk4', split: 'tune', package: 'gnome-calculator', accessible: true, output: 'clipboard' },
  { name: 'gnome-text-editor', toolkit: 'gtk4', split: 'unseen', package: 'gnome-text-editor', accessible: true, output: 'file' },
  { name: 'featherpad', toolkit: 'qt', split: 'unseen', package: 'featherpad', accessible: true, output: 'file' },
  { name: 'xcalc', toolkit: 'xaw', split: 'unseen', package: 'x11-apps', accessible: false, output: 'clipboard' },
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
