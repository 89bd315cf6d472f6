import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseOrThrow, SkillframeError } from '../../core/index.ts';
import { ExploreGraph, type KnownBoundary, Primitives } from '../../core/commands/explore.ts';
import type { HandlerTable } from '../dispatcher.ts';
import { homePath } from '../home.ts';

/**
 * Handlers of the explore room. Keep this file thin: import heavy modules lazily inside each
 * handler so the CLI starts fast.
 */

function readGraph(out: string): ExploreGraph {
  const file = join(resolve(out), 'graph.json');
  if (!existsSync(file)) throw new SkillframeError('not_found', `input.out: no graph.json in ${JSON.stringify(out)}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SkillframeError('bad_input', `input.out: ${file} is not valid JSON (${(error as Error).message})`);
  }
  return parseOrThrow(ExploreGraph, raw, 'graph');
}

/** The action-primitive database: one file per app under SKILLFRAME_HOME/explore/primitives/, merged across runs. */
function primitivesFile(key: string): string {
  return join(homePath('explore', 'primitives'), `${key}.json`);
}

function readPrimitives(key: string): Primitives | undefined {
  try {
    return Primitives.parse(JSON.parse(readFileSync(primitivesFile(key), 'utf8')));
  } catch {
    return undefined;
  }
}

/** What exploration learnt about an app's controls that crash, freeze, leave or keep failing (read at replay). */
export async function knownBoundaries(app: string): Promise<KnownBoundary[]> {
  const { primitivesKey } = await import('../../engine/computer/explore/knowledge.ts');
  return readPrimitives(primitivesKey(app))?.boundaries ?? [];
}

async function rememberPrimitives(app: string, primitives: Primitives): Promise<void> {
  const { mergePrimitives } = await import('../../engine/computer/explore/run.ts');
  const { primitivesKey } = await import('../../engine/computer/explore/knowledge.ts');
  const key = primitivesKey(app);
  mkdirSync(homePath('explore', 'primitives'), { recursive: true });
  const file = primitivesFile(key);
  const merged = mergePrimitives(readPrimitives(key), { ...primitives, app: key });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(merged, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export const exploreHandlers: HandlerTable = {
  explore: async (input, context) => {
    const { compileAllow } = await import('../../engine/computer/explore/safety.ts');
    const { runExploration } = await import('../../engine/computer/explore/run.ts');
    const allow = compileAllow(input.allow);
    const outDir = resolve(input.out ?? homePath('explore', new Date().toISOString().replace(/[:.]/g, '-')));
    let driver;
    if (input.url !== undefined) {
      const url = new URL(input.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') {
        throw new SkillframeError('bad_input', `input.url: only http, https and file URLs can be explored (got ${JSON.stringify(input.url)})`);
      }
      const { WebDriver } = await import('../../engine/computer/explore/web-driver.ts');
      driver = new WebDriver({ url: input.url, ...(allow ? { allow } : {}) });
    } else {
      if (!process.env.DISPLAY) throw new SkillframeError('unavailable', 'input.app: exploring an X11 app needs a display; set DISPLAY (e.g. xvfb-run -a skillframe explore --app …)');
      const { X11Driver } = await import('../../engine/computer/explore/x11-driver.ts');
      driver = new X11Driver({ command: input.app as string, ...(allow ? { allow } : {}) });
    }
    try {
      const summary = await runExploration({
        driver,
        strategy: input.strategy,
        budget: input.budget,
        seed: input.seed,
        outDir,
        skills: input.skills,
        signal: context.signal,
        // Stop a little early so the graph and the skills are written before the deadline.
        ...(context.deadline !== undefined ? { deadline: context.deadline - 5_000 } : {}),
        onNode: (node, thumbnail) => context.emit('explore.node', { node, ...(thumbnail ? { thumbnail } : {}) }),
        onEdge: (edge, actionsUsed, budget) => {
          context.emit('explore.edge', { edge, actionsUsed, budget });
          context.progress({ fraction: Math.min(1, actionsUsed / budget), message: `${actionsUsed}/${budget} actions` });
        },
      });
      const { graph } = summary;
      await rememberPrimitives(input.url ?? (input.app as string), summary.primitives);
      return {
        out: outDir,
        graphFile: summary.graphFile,
        primitivesFile: summary.primitivesFile,
        strategy: input.strategy,
        states: graph.nodes.length,
        edges: graph.edges.length,
        actionsUsed: graph.actionsUsed,
        resets: graph.resets,
        boundaries: graph.boundaries.length,
        stoppedBy: graph.stoppedBy,
        msPerActionP50: summary.msPerActionP50,
        skills: summary.skills,
      };
    } finally {
      await driver.dispose();
    }
  },
  'explore.graph': async (input) => {
    const graph = readGraph(input.out);
    const { thumbnail } = await import('../../engine/computer/explore/identity.ts');
    const thumbnails: Record<string, string> = {};
    for (const node of graph.nodes.slice(0, 400)) {
      if (!node.screenshot) continue;
      const file = join(resolve(input.out), node.screenshot);
      if (!existsSync(file)) continue;
      thumbnails[node.id] = await thumbnail(readFileSync(file), 160).catch(() => '');
    }
    return { graph, thumbnails };
  },
  'explore.save': async (input, context) => {
    const graph = readGraph(input.out);
    const node = graph.nodes.find((entry) => entry.id === input.node);
    if (!node) throw new SkillframeError('not_found', `input.node: no state ${JSON.stringify(input.node)} in ${input.out}`);
    const { verifiedPath, exportSkill } = await import('../../engine/computer/explore/export.ts');
    const path = verifiedPath(graph, node.id);
    if (!path || path.length === 0) throw new SkillframeError('refused', `input.node: state ${node.id} has no verified path from the start state`);
    const name = input.name?.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    return exportSkill(graph, resolve(input.out), node, path, { ...(name ? { name } : {}), signal: context.signal });
  },
};
