import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExploreGraph, ExportedSkill, GraphEdge, GraphNode, Primitives, PrimitiveKind, Strategy } from '../../../core/commands/explore.ts';
import { boundaryKey, knownBoundaries } from './knowledge.ts';
import { type ExploreDriver, type ExploreOptions, Explorer } from './explorer.ts';
import { chooseSkillNodes, exportSkill, skillName, verifiedPath, walkFresh } from './export.ts';
import { publicNode } from './graph.ts';
import { thumbnail } from './identity.ts';
import { writeFileAtomically } from '../../../native/files.ts';

export interface RunOptions {
  driver: ExploreDriver;
  strategy: Strategy;
  budget: number;
  seed: number;
  outDir: string;
  deadline?: number;
  signal?: AbortSignal;
  /** Verified paths to export as skills at the end. */
  skills?: number;
  /** Replay each candidate path on a fresh instance before exporting it (default on). */
  verify?: boolean;
  /** Screenshots per node on disk (the UI and the skills use them). */
  screenshots?: boolean;
  onNode?: (node: GraphNode, thumbnail: string | undefined) => void;
  onEdge?: (edge: GraphEdge, actionsUsed: number, budget: number) => void;
  /** Each choice DFS makes and what came of it. */
  onChoice?: ExploreOptions['onChoice'];
  /** Called once exploring is over, before the skills are exported (their walks on a fresh instance look at the app again). */
  onExplored?: () => void;
}

export interface RunSummary {
  graph: ExploreGraph;
  primitives: Primitives;
  graphFile: string;
  primitivesFile: string;
  skills: ExportedSkill[];
  /** States whose path did not reach them again on a fresh instance: not exported. */
  rejectedSkills: string[];
  msPerActionP50: number;
  explorer: Explorer;
}

/** Which primitives exist in this app and where they worked, from the verified edges. */
export function primitivesOf(graph: ExploreGraph, app: string): Primitives {
  const stats = new Map<PrimitiveKind, Primitives['primitives'][number]>();
  for (const edge of graph.edges) {
    const kind = edge.action.kind;
    const entry = stats.get(kind) ?? { kind, tried: 0, changed: 0, noChange: 0, errors: 0, worksOn: [], examples: [] };
    entry.tried += edge.attempts;
    if (edge.result === 'error') entry.errors += 1;
    else if (edge.result === 'no_change') entry.noChange += 1;
    else {
      entry.changed += 1;
      const role = edge.action.target?.role ?? 'screen';
      if (!entry.worksOn.includes(role)) entry.worksOn.push(role);
      const example = edge.action.target?.name ?? edge.action.keys;
      if (example && entry.examples.length < 8 && !entry.examples.includes(example)) entry.examples.push(example);
    }
    stats.set(kind, entry);
  }
  return { version: 1, app, primitives: [...stats.values()], boundaries: knownBoundaries(graph) };
}

/** Adds one run's primitives to the per-app database (counts add up, roles and examples merge). */
export function mergePrimitives(previous: Primitives | undefined, next: Primitives): Primitives {
  if (!previous) return next;
  const byKind = new Map(previous.primitives.map((entry) => [entry.kind, { ...entry, worksOn: [...entry.worksOn], examples: [...entry.examples] }]));
  for (const entry of next.primitives) {
    const known = byKind.get(entry.kind);
    if (!known) {
      byKind.set(entry.kind, entry);
      continue;
    }
    known.tried += entry.tried;
    known.changed += entry.changed;
    known.noChange += entry.noChange;
    known.errors += entry.errors;
    for (const role of entry.worksOn) if (!known.worksOn.includes(role)) known.worksOn.push(role);
    for (const example of entry.examples) if (known.examples.length < 16 && !known.examples.includes(example)) known.examples.push(example);
  }
  const boundaries = new Map((previous.boundaries ?? []).map((boundary) => [boundaryKey(boundary), { ...boundary }]));
  for (const boundary of next.boundaries ?? []) {
    const known = boundaries.get(boundaryKey(boundary));
    if (known) known.seen += boundary.seen;
    else boundaries.set(boundaryKey(boundary), boundary);
  }
  return { version: 1, app: next.app, primitives: [...byKind.values()], boundaries: [...boundaries.values()] };
}

export function median(values: readonly number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * One exploration with its outputs: graph.json and primitives.json rewritten after every step
 * (atomically, so Ctrl+C leaves a valid partial graph), a screenshot per state, and skills.
 */
export async function runExploration(options: RunOptions): Promise<RunSummary> {
  const { driver, outDir } = options;
  mkdirSync(join(outDir, 'screenshots'), { recursive: true });
  const graphFile = join(outDir, 'graph.json');
  const primitivesFile = join(outDir, 'primitives.json');
  const startedAt = new Date().toISOString();
  const app = driver.kind === 'web' ? { kind: driver.kind, url: driver.label } : driver.kind === 'x11' ? { kind: driver.kind, command: driver.label } : { kind: driver.kind };
  const snapshot = (): ExploreGraph =>
    explorer.graph.toJSON({
      app,
      strategy: options.strategy,
      seed: options.seed,
      budget: options.budget,
      actionsUsed: explorer.used,
      resets: explorer.resets,
      stoppedBy: explorer.stoppedBy,
      startedAt,
      updatedAt: new Date().toISOString(),
    });
  const persist = () => {
    const graph = snapshot();
    writeFileAtomically(graphFile, `${JSON.stringify(graph)}\n`);
    writeFileAtomically(primitivesFile, `${JSON.stringify(primitivesOf(graph, driver.label), null, 2)}\n`);
  };
  const explorer: Explorer = new Explorer(driver, {
    strategy: options.strategy,
    budget: options.budget,
    seed: options.seed,
    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onNode: async (node, observation) => {
      let thumb: string | undefined;
      const screenshot = options.screenshots === false ? undefined : (observation.screenshot ?? (await observation.capture?.().catch(() => undefined)));
      if (screenshot) {
        const extension = screenshot[0] === 0xff ? 'jpg' : 'png';
        node.screenshot = `screenshots/${node.id}.${extension}`;
        writeFileSync(join(outDir, node.screenshot), screenshot);
        if (options.onNode) thumb = await thumbnail(screenshot).catch(() => undefined);
      }
      options.onNode?.(publicNode(node), thumb);
    },
    onEdge: (edge) => options.onEdge?.({ ...edge }, explorer.used, options.budget),
    onStep: persist,
    ...(options.onChoice ? { onChoice: options.onChoice } : {}),
  });
  try {
    await explorer.run();
  } finally {
    persist();
  }
  options.onExplored?.();
  const graph = snapshot();
  const skills: ExportedSkill[] = [];
  const names = new Set<string>();
  const wanted = options.skills ?? 0;
  const rejected: string[] = [];
  // A unit function is exported only when its path, replayed on a fresh instance, reaches the same state again.
  // The shortest way that still gets there (each step is one more chance to miss at replay),
  // with the navigations the run predicts; the verified path when the prediction does not hold.
  const shortest = (nodeId: string) => explorer.graph.skillPath(nodeId) ?? verifiedPath(graph, nodeId);
  for (const chosen of chooseSkillNodes(graph, wanted * 3, options.verify === false ? undefined : shortest)) {
    if (skills.length >= wanted || options.signal?.aborted) break;
    const { node } = chosen;
    let path: GraphEdge[] | undefined = chosen.path;
    if (options.verify !== false) {
      const verified = verifiedPath(graph, node.id);
      const predicted = chosen.path.some((edge) => edge.id.startsWith('predicted:'));
      path = undefined;
      for (const candidate of predicted && verified ? [chosen.path, verified] : [chosen.path]) {
        // On the web a look is cheap: each step keeps only the effects it showed again here.
        const walk = await walkFresh(driver, candidate, node, options.signal ?? new AbortController().signal, graph.app.kind === 'web').catch(() => undefined);
        if (walk?.reached) {
          path = walk.path;
          break;
        }
      }
      if (!path) {
        rejected.push(node.id);
        continue;
      }
    }
    // Two states can share a title (X11 windows often do): keep every package.
    const base = skillName(node, path);
    const name = names.has(base) ? `${base}-${node.id}` : base;
    names.add(name);
    skills.push(await exportSkill(graph, outDir, node, path, { name, ...(options.signal ? { signal: options.signal } : {}) }));
  }
  return { graph, primitives: primitivesOf(graph, driver.label), graphFile, primitivesFile, skills, rejectedSkills: rejected, msPerActionP50: median(explorer.actionMs), explorer };
}
