import type { Rect, WindowInfo } from '../../core/schemas/trajectory.ts';
import type { PropertyWatch, TitleWatch } from './title-watch.ts';

export type { WindowInfo };

/**
 * Whether two X windows were created by the same X client: the server hands each client ids from
 * its own base (client index << 18..23, by -maxclients), so ids that share the bits above 2^18 come
 * from one connection whatever the server's limit. A client's ids farther apart than that read as
 * two clients: the safe side. For windows that name no process (Tk, Motif set no _NET_WM_PID).
 */
export function sameXClient(a: string, b: string): boolean {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return Math.floor(Number(a) / 2 ** 18) === Math.floor(Number(b) / 2 ** 18);
}

/** Which window: every given field must match. `title` is a case-insensitive regular expression. */
export interface WindowQuery {
  id?: string;
  pid?: number;
  title?: string;
  className?: string;
}

/** The windows of one X display, behind an interface so the engine can be tested without one. */
export interface WindowSystem {
  /** Visible top-level windows that match. */
  find(query: WindowQuery): Promise<WindowInfo[]>;
  /** The focused window, if any. */
  active(): Promise<WindowInfo | undefined>;
  /** Only the focused window's id (one query, where `active` also reads its title and geometry). */
  activeWindowId(): Promise<string | undefined>;
  info(id: string): Promise<WindowInfo | undefined>;
  /** Polls until a matching window is visible; throws `timeout` or `aborted`. */
  waitFor(query: WindowQuery, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<WindowInfo>;
  focus(id: string): Promise<void>;
  /** The window this one is a dialog of (WM_TRANSIENT_FOR), if any. */
  transientFor(id: string): Promise<string | undefined>;
  move(id: string, x: number, y: number): Promise<void>;
  resize(id: string, width: number, height: number): Promise<void>;
  screenSize(): Promise<{ width: number; height: number }>;
  /** Follows a window's title as it changes (absent where the system cannot). */
  watchTitle?(id: string): Promise<TitleWatch>;
  /** Follows which window is active as it changes (absent where the system cannot). */
  watchActive?(onChange?: (id: string | null) => void): Promise<PropertyWatch<string | null>>;
  /** Follows the stacking order of the managed windows, bottom to top, as it changes (absent where the system cannot). */
  watchStacking?(): Promise<PropertyWatch<readonly string[]>>;
  /** The top-level windows stacked above this one, lowest first, each with its window-manager frame (absent where the system cannot tell). */
  stackedAbove?(id: string): Promise<WindowInfo[]>;
  dispose(): void;
}

export function matchesQuery(window: WindowInfo, query: WindowQuery): boolean {
  if (query.id !== undefined && window.id !== query.id) return false;
  if (query.pid !== undefined && window.pid !== query.pid) return false;
  if (query.title !== undefined && !safeRegex(query.title).test(window.title)) return false;
  if (query.className !== undefined && window.className?.toLowerCase() !== query.className.toLowerCase()) return false;
  return true;
}

/**
 * A title pattern that matches this title as written, for a title that was read from a window
 * rather than written as a pattern: "untitled - Geany (new instance)" or "*note.txt - Pluma" as a
 * regular expression would not match itself (a group, a repeat with nothing before it).
 */
export function literalTitle(title: string): string {
  return title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'i');
  } catch {
    return new RegExp(literalTitle(pattern), 'i');
  }
}

export function centerOf(rect: Rect): { x: number; y: number } {
  return { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
}
