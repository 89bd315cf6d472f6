import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SkillframeError } from '../../../core/index.ts';
import type { ExploreAction, ExploreGraph, ExportedSkill, GraphEdge, GraphNode } from '../../../core/commands/explore.ts';
import { AccessiblePathStep, type AccessibleTarget, type ActionEffect, type TrajectoryEventInput } from '../../../core/schemas/trajectory.ts';
import { TrajectoryWriter } from '../../../skills-mm/trajectory/store.ts';
import { auditSource } from '../../../skills-mm/audit.ts';
import { buildSkill } from '../../../skills-mm/builder.ts';
import type { ExploreDriver } from './explorer.ts';
import { describeAction, effectOf, fewestSteps, type Observation } from './graph.ts';
import { accessibleSelectorPrefix, hammingDistance, samePictureTolerance } from './identity.ts';
import { loadSharp } from '../../../native/image.ts';

/**
 * Verified unit functions → MMSkills packages: a verified path is written as a trajectory (the
 * recorder's format), built by the skills builder and checked by the audit gate.
 */

/** Verified path from the root: every edge changed the state and never disagreed with itself. */
export function verifiedPath(graph: ExploreGraph, nodeId: string): GraphEdge[] | undefined {
  if (!graph.root) return undefined;
  const usable = graph.edges.filter((edge) => edge.to !== undefined && edge.to !== edge.from && !edge.inconsistent && edge.result !== 'error' && edge.result !== 'no_change');
  return fewestSteps(usable, graph.root, nodeId);
}

/**
 * Picks the nodes worth a skill: the most steps that teach something first (a deeper
 * procedure), each a different goal, reachable by a verified path — or by `pathOf`'s shorter way
 * when given (depth then counts the steps really needed). A step teaches something once in the
 * same context (`distinctSteps`): a document grown by inserting a field eighteen times is three
 * steps done again, and as a 55-step skill it was a chain where any step could miss at replay
 * (jsoneditor, tune). Among paths that teach as much, the shorter goes first.
 */
export function chooseSkillNodes(graph: ExploreGraph, count: number, pathOf: (nodeId: string) => GraphEdge[] | undefined = (nodeId) => verifiedPath(graph, nodeId)): { node: GraphNode; path: GraphEdge[] }[] {
  const chosen: { node: GraphNode; path: GraphEdge[] }[] = [];
  const lastSteps = new Set<string>();
  const candidates = graph.nodes
    .filter((node) => node.id !== graph.root)
    .map((node) => ({ node, path: pathOf(node.id) }))
    .filter((entry): entry is { node: GraphNode; path: GraphEdge[] } => entry.path !== undefined && entry.path.length > 0 && exportable(entry.path))
    .map((entry) => ({ ...entry, teaches: distinctSteps(entry.path) }))
    .sort((a, b) => b.teaches - a.teaches || a.path.length - b.path.length || a.node.discoveredAt - b.node.discoveredAt);
  for (const { node, path } of candidates) {
    if (chosen.length >= count) break;
    const last = describeAction(path[path.length - 1].action);
    if (lastSteps.has(last)) continue;
    lastSteps.add(last);
    chosen.push({ node, path });
  }
  return chosen;
}

/**
 * The steps of a path that are not a repetition: each step counted once per step it follows (the
 * first after the start). Three steps done four times count four (the loop back to the first is
 * one more), where a look-alike clicked again in another context (the second "Dropdown", under
 * a panel the step before opened) still counts.
 */
export function distinctSteps(path: readonly GraphEdge[]): number {
  const transitions = new Set<string>();
  let before = '';
  for (const edge of path) {
    const step = describeAction(edge.action);
    transitions.add(`${before}\n${step}`);
    before = step;
  }
  return transitions.size;
}

/**
 * A skill is named from what its last step does — the dialog it opens, the page it goes to, the
 * text it brings up, the value it sets — falling back to the action and its control.
 */
export function skillName(node: GraphNode, path: readonly GraphEdge[] = []): string {
  const last = path[path.length - 1];
  const effect = last?.effect;
  const control = last?.action.target?.name ?? last?.action.keys ?? '';
  const words = (() => {
    if (effect?.dialogOpened) return `open ${effect.dialogOpened} dialog`;
    if (last && (last.action.kind === 'select' || last.action.kind === 'type') && effect?.valueChanged !== undefined) return `set ${control} to ${effect.valueChanged}`;
    if (effect?.routeChanged) return `go to ${effect.routeChanged.replace(/\.html?\b/g, '').replace(/[#/]+/g, ' ')}`;
    if (last?.action.kind === 'hover') return `show ${effect?.textAppeared?.[0] ?? control} on hover`;
    if (effect?.textAppeared?.length) return `show ${effect.textAppeared[0]}`;
    if (last) return `${last.action.kind.replace('_', ' ')} ${control}`;
    return node.title;
  })();
  return words.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60).replace(/-$/, '') || node.id;
}

/** The trajectory event kind of every explorer primitive: a new primitive without one does not compile. */
const eventKind: Record<ExploreAction['kind'], TrajectoryEventInput['kind']> = {
  click: 'click',
  double_click: 'double_click',
  right_click: 'right_click',
  hover: 'hover',
  type: 'type',
  select: 'select',
  shortcut: 'key',
  scroll: 'scroll',
  drag: 'drag',
};

/** True when every step can be written as a trajectory event that replay can carry out. */
export function exportable(path: GraphEdge[]): boolean {
  return path.every((edge) => unexportable(edge) === undefined);
}

/** Why one step cannot be exported, or undefined. */
function unexportable(edge: GraphEdge): string | undefined {
  const action = edge.action;
  if (action.kind === 'drag' && (!action.to || action.to.x === undefined || action.to.y === undefined)) return 'a drag without a drop point';
  if ((action.kind === 'hover' || action.kind === 'select' || action.kind === 'drag') && (action.target?.x === undefined || action.target.y === undefined)) return `a ${action.kind} without a target position`;
  if (action.kind === 'select' && action.text === undefined) return 'an option choice without the option';
  return undefined;
}

/** "Control+K" → "ctrl+k", the trajectory's chord spelling. */
function chord(keys: string): string {
  return keys
    .split('+')
    .map((part) => (part === 'Control' ? 'ctrl' : part === 'Meta' ? 'meta' : part.length === 1 ? part.toLowerCase() : part))
    .join('+');
}

/**
 * Writes one verified path as a trajectory (the recorder's format, mode "script"), then builds it
 * into an MMSkills package with the skills builder and runs the audit gate on it.
 */
export async function exportSkill(graph: ExploreGraph, outDir: string, node: GraphNode, path: GraphEdge[], options: { name?: string; signal?: AbortSignal } = {}): Promise<ExportedSkill> {
  const name = options.name ?? skillName(node, path);
  const trajectoryDir = join(outDir, 'trajectories', name);
  rmSync(trajectoryDir, { recursive: true, force: true });
  const byId = new Map(graph.nodes.map((entry) => [entry.id, entry]));
  const size = await screenSize(outDir, byId.get(graph.root ?? '')?.screenshot);
  const writer = TrajectoryWriter.create(trajectoryDir, {
    version: 1,
    id: `explore-${node.id}-${Date.now()}`,
    kind: graph.app.kind === 'web' ? 'web' : 'x11',
    ...(graph.app.url ? { url: graph.app.url } : {}),
    ...(graph.app.command ? { app: { name: basename(graph.app.command.split(/\s+/)[0]), command: graph.app.command } } : {}),
    screen: size,
    started: new Date().toISOString(),
    mode: 'script',
    recorder: { name: 'skillframe-explore', version: '1' },
  });
  const frames = new Map<string, string>();
  const frame = async (nodeId: string | undefined): Promise<string | undefined> => {
    const source = nodeId ? byId.get(nodeId)?.screenshot : undefined;
    if (!nodeId || !source || !existsSync(join(outDir, source))) return undefined;
    const known = frames.get(nodeId);
    if (known) return known;
    const sharp = await loadSharp();
    const png = await sharp(readFileSync(join(outDir, source))).png().toBuffer();
    const file = writer.writeFrame(`${nodeId}.png`, png);
    frames.set(nodeId, file);
    return file;
  };
  const start = await frame(graph.root);
  if (start) writer.updateMeta({ startFrame: start });
  let at = Date.now();
  for (const [index, edge] of path.entries()) {
    const action = edge.action;
    const kind = eventKind[action.kind];
    const why = unexportable(edge);
    // Never drop a step: a path that cannot be carried whole is not exported at all.
    if (why) throw new SkillframeError('refused', `path to ${node.id}, step ${index + 1} (${describeAction(action)}): ${why} cannot be exported`, { step: index + 1, kind: action.kind });
    const target = action.target;
    const box = target?.x !== undefined && target.y !== undefined && target.width !== undefined && target.height !== undefined
      ? { x: target.x - target.width / 2, y: target.y - target.height / 2, width: target.width, height: target.height }
      : undefined;
    const [before, after] = [await frame(edge.from), await frame(edge.to)];
    at += 1000;
    const to = edge.to ? byId.get(edge.to) : undefined;
    writer.append({
      kind,
      at,
      ...(target?.x !== undefined && target.y !== undefined ? { pointer: { x: target.x, y: target.y } } : {}),
      ...(graph.app.kind !== 'web' && target?.x !== undefined && target.y !== undefined ? { pointerInWindow: { x: target.x, y: target.y } } : {}),
      ...(action.kind === 'drag' && action.to?.x !== undefined && action.to.y !== undefined ? { pointerEnd: { x: action.to.x, y: action.to.y } } : {}),
      ...(action.kind === 'right_click' ? { button: 'right' as const } : action.kind.endsWith('click') ? { button: 'left' as const } : {}),
      ...(action.kind === 'type' ? { text: action.text ?? '', value: action.text ?? '' } : {}),
      ...(action.kind === 'select' ? { value: action.text ?? '' } : {}),
      ...(action.kind === 'drag' && action.to
        ? { dropTarget: { ...(action.to.role ? { role: action.to.role } : {}), ...(action.to.name ? { name: action.to.name, text: action.to.name } : {}), ...(action.to.selector ? { css: action.to.selector } : {}) } }
        : {}),
      ...(edge.effect ? { effect: edge.effect } : {}),
      ...(accessibleOf(graph, action) ? { accessible: accessibleOf(graph, action) } : {}),
      ...(action.kind === 'shortcut' ? { key: chord(action.keys ?? '') } : {}),
      ...(action.kind === 'scroll' ? { scroll: { dx: 0, dy: action.deltaY ?? 0 } } : {}),
      ...(action.kind === 'scroll' && edge.scrolledTo ? { scrolledTo: edge.scrolledTo } : {}),
      ...(graph.app.kind === 'web' && to?.url ? { url: byId.get(edge.from)?.url ?? to.url, pageTitle: byId.get(edge.from)?.title ?? '' } : {}),
      ...(target
        ? {
            target: {
              ...(target.role ? { role: target.role } : {}),
              // A name its children render is no text of the target's own: a text match would find a child.
              ...(target.name ? { name: target.name, ...(target.nameInside ? {} : { text: target.name }) } : {}),
              ...(target.selector ? { css: target.selector, strategy: target.name && !target.nameInside ? ('role' as const) : ('css' as const) } : { strategy: 'position' as const }),
              ...(target.anchor ? { anchorText: target.anchor.slice(0, 200) } : {}),
              ...(target.row && !target.anchor ? { row: target.row } : {}),
              ...(box ? { box } : {}),
            },
          }
        : {}),
      ...(edge.settleMs !== undefined ? { settleMs: Math.min(120_000, edge.settleMs) } : {}),
      frames: { ...(before ? { before } : {}), ...(after ? { after } : {}) },
      source: graph.app.kind === 'web' ? 'dom' : 'hook',
    });
    // The page went elsewhere, as the recorder writes it: replay then waits for that route
    // (path and hash; the port of a fresh instance may differ) before it reads the page. The route
    // is the one this step was seen to reach, not the state's address as first seen (reached by
    // another way, its hash may be another place on the page).
    if (graph.app.kind === 'web' && edge.effect?.routeChanged && to?.url) writer.append({ kind: 'navigate', at: at + 1, url: routeAddress(edge.effect.routeChanged, to.url), source: 'dom' });
  }
  writer.close();
  const packageDir = join(outDir, 'skills', name);
  try {
    const built = await buildSkill({ trajectoryDir, outDir: packageDir, name, ...(options.signal ? { signal: options.signal } : {}) });
    const audit = auditSource(built.dir);
    return { name, node: node.id, steps: path.length, path: built.dir, format: 'mmskill', audited: audit.accepted, edges: path, ...(audit.accepted ? {} : { detail: audit.findings.map((finding) => finding.message).slice(0, 3).join('; ') }) };
  } catch (error) {
    // The trajectory stays as the export: the builder can take it later.
    // A package its own audit refuses is never written (the builder refuses it); say so.
    const refused = error instanceof SkillframeError && error.code === 'refused';
    return { name, node: node.id, steps: path.length, path: trajectoryDir, format: 'trajectory', audited: false, edges: path, ...(refused ? { refused: true } : {}), detail: (error as Error).message.slice(0, 300) };
  }
}

/** The address of `route` (path and hash) on the page at `address`, keeping its query where the path is the same. */
function routeAddress(route: string, address: string): string {
  try {
    const page = new URL(address);
    const reached = new URL(route, page);
    if (reached.pathname === page.pathname) reached.search = page.search;
    return reached.href;
  } catch {
    return address;
  }
}

/**
 * X11: the accessible an explored action was found as (its path from the application root is in
 * the selector), for replay's a11y rung; undefined on the web and for actions found by pixels.
 */
function accessibleOf(graph: ExploreGraph, action: ExploreAction): AccessibleTarget | undefined {
  const selector = action.target?.selector;
  if (graph.app.kind !== 'x11' || !selector?.startsWith(accessibleSelectorPrefix)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(selector.slice(accessibleSelectorPrefix.length));
  } catch {
    return undefined;
  }
  const path = AccessiblePathStep.array().safeParse(raw);
  const last = path.success ? path.data.at(-1) : undefined;
  if (!path.success || !last) return undefined;
  // No extents: the explored point is window-relative, and the rung finds the node by its path.
  return { version: 1, role: last.role, name: last.name, states: [], path: path.data };
}

async function screenSize(outDir: string, screenshot: string | undefined): Promise<{ width: number; height: number }> {
  if (!screenshot) return { width: 1280, height: 800 };
  const sharp = await loadSharp();
  const meta = await sharp(readFileSync(join(outDir, screenshot))).metadata();
  return { width: meta.width ?? 1280, height: meta.height ?? 800 };
}

/**
 * Replays a path on a fresh instance (reset = fresh profile / HOME) and checks the reached state
 * has the node's identity (signature equal, screens alike). Stands in for the replayer until it lands.
 */
export async function replayReaches(driver: ExploreDriver, path: GraphEdge[], node: GraphNode, signal: AbortSignal): Promise<boolean> {
  return (await walkFresh(driver, path, node, signal, false)).reached;
}

/**
 * Walks a path on a fresh instance as replayReaches does; with `lookEachStep`, also looks after
 * every step and answers the path with each step's effect cut down to what the step did again
 * there (agreedEffect). Exploration may have reached a state with something hidden set on the way
 * (swagger-ui keeps an operation's "Try it out" while it is folded: unfolding it showed "Cancel"
 * and "Execute" while exploring, "Try it out" on a fresh instance, and replay refused the step).
 */
export async function walkFresh(driver: ExploreDriver, path: GraphEdge[], node: GraphNode, signal: AbortSignal, lookEachStep: boolean): Promise<{ reached: boolean; path: GraphEdge[] }> {
  await driver.reset(signal);
  const agreed: GraphEdge[] = [];
  let before = lookEachStep ? await driver.observe(signal) : undefined;
  for (const edge of path) {
    const outcome = await driver.perform(edge.action, signal).catch(() => ({ ok: false }) as const);
    if (!outcome.ok) return { reached: false, path };
    if (!before) continue;
    const after = await driver.observe(signal);
    const { effect: explored, ...rest } = edge;
    const effect = agreedEffect(explored, before, after, edge.action);
    agreed.push(effect ? { ...rest, effect } : rest);
    before = after;
  }
  const observation = before ?? (await driver.observe(signal));
  const reached = observation.signature === node.signature && hammingDistance(observation.phash, node.phash) <= (driver.pictureTolerance ?? samePictureTolerance);
  return { reached, path: lookEachStep ? agreed : path };
}

/**
 * What a step did both while exploring and on a fresh instance (looked at before and after it):
 * the route and the dialog when the same, the texts that appeared both times, the value it set.
 * An expectation that held only once is not the step's own doing; replay would wait for it in vain.
 */
export function agreedEffect(explored: ActionEffect | undefined, before: Observation, after: Observation, action: ExploreAction): ActionEffect | undefined {
  if (!explored) return undefined;
  const fresh = effectOf(before, after, action);
  const [had, shown] = [new Set(before.cues ?? []), new Set(after.cues ?? [])];
  const texts = explored.textAppeared?.filter((text) => shown.has(text) && !had.has(text));
  const effect: ActionEffect = {
    ...(explored.routeChanged !== undefined && fresh?.routeChanged === explored.routeChanged ? { routeChanged: explored.routeChanged } : {}),
    ...(explored.dialogOpened !== undefined && fresh?.dialogOpened === explored.dialogOpened ? { dialogOpened: explored.dialogOpened } : {}),
    ...(texts?.length ? { textAppeared: texts } : {}),
    ...(explored.valueChanged !== undefined ? { valueChanged: explored.valueChanged } : {}),
  };
  return Object.keys(effect).length ? effect : undefined;
}
