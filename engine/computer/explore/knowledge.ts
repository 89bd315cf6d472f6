import { basename } from 'node:path';
import type { ExploreGraph, KnownBoundary } from '../../../core/commands/explore.ts';

/**
 * What exploration learns that outlives the run: the controls of an app that crash, freeze, leave
 * it or keep failing. Kept per app in the action-primitive database; replay reads it.
 */

/** The boundaries worth remembering per control (not per state): what crashed, froze, left or kept failing. */
export function knownBoundaries(graph: ExploreGraph): KnownBoundary[] {
  const found = new Map<string, KnownBoundary>();
  for (const boundary of graph.boundaries) {
    if (boundary.reason === 'blocked' || boundary.reason === 'error') continue;
    const entry: KnownBoundary = {
      kind: boundary.action.kind,
      ...(boundary.action.target?.role ? { role: boundary.action.target.role } : {}),
      ...(boundary.action.target?.name ? { name: boundary.action.target.name } : {}),
      reason: boundary.reason,
      detail: boundary.detail.slice(0, 300),
      seen: 1,
    };
    found.set(boundaryKey(entry), entry);
  }
  return [...found.values()];
}

export function boundaryKey(boundary: KnownBoundary): string {
  return `${boundary.kind}|${boundary.role ?? ''}|${boundary.name ?? ''}|${boundary.reason}`;
}

/** The database key of an app: the host of a URL, or the program of a command line. */
export function primitivesKey(app: string): string {
  let key: string;
  try {
    key = new URL(app).host || app;
  } catch {
    key = basename(app.trim().split(/\s+/)[0]);
  }
  return key.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
}
