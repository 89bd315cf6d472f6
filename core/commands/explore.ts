import { z } from 'zod';
import { defineCommand, defineEvent } from '../contract.ts';
import { commandMap, eventMap } from '../registry-helpers.ts';
import { ActionEffect, LookAlikeRow, ScrollPlace } from '../schemas/trajectory.ts';

/**
 * The explore room: GUI-DFS over a web page (Chromium) or an X11 app (under a throwaway HOME).
 * These schemas are also the on-disk format of graph.json and primitives.json (version 1).
 */

export const PrimitiveKind = z.enum(['click', 'double_click', 'right_click', 'hover', 'type', 'select', 'shortcut', 'scroll', 'drag']);
export type PrimitiveKind = z.infer<typeof PrimitiveKind>;

/** Where an action lands: a DOM locator on the web, window-relative pixels on X11 (both when known). */
export const ActionTarget = z.object({
  selector: z.string().optional(),
  role: z.string().optional(),
  name: z.string().optional(),
  /** Centre of the element, CSS pixels of the viewport (web) or pixels of the window (X11). */
  x: z.number().optional(),
  y: z.number().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  /** Where a link points (web): the explorer predicts a link to a page it has seen leads somewhere known. */
  href: z.string().optional(),
  /**
   * Web, for a look-alike (one actions button per tree row): the text of its own row or item that
   * no other look-alike's shows; exported as the step's anchor text, so replay picks the same one.
   */
  anchor: z.string().optional(),
  /** Web, a look-alike with no `anchor` (its row shows no text of its own): exported as the step's `row`. */
  row: LookAlikeRow.optional(),
  /**
   * The page says this control shows something it hides now (web: aria-expanded="false", or a
   * popup it declares with aria-haspopup while closed; X11: the accessibility tree's closed menu,
   * expandable or popup node, combo box, unselected tab): expected to show a view not seen yet.
   */
  opens: z.boolean().optional(),
  /**
   * Web: the name is text that elements inside the target render (a list entry holding a label and
   * an icon), not text of its own: a text match finds the label, which the page may not take for
   * the target (a list whose listener reads the entry from the event's target). Exported without
   * that text, so replay grounds the target itself, by its selector.
   */
  nameInside: z.boolean().optional(),
});
export type ActionTarget = z.infer<typeof ActionTarget>;

export const ExploreAction = z.object({
  kind: PrimitiveKind,
  target: ActionTarget.optional(),
  /** Drop target of a drag. */
  to: ActionTarget.optional(),
  /** Text typed, or the option value chosen. */
  text: z.string().optional(),
  /** Key chord of a shortcut, Playwright style: `Control+K`, `Escape`. */
  keys: z.string().optional(),
  /** Scroll distance in pixels. */
  deltaY: z.number().optional(),
});
export type ExploreAction = z.infer<typeof ExploreAction>;

export const Verification = z.enum(['no_change', 'new', 'known', 'error']);
export type Verification = z.infer<typeof Verification>;

export const GraphNode = z.object({
  id: z.string(),
  /** Hash of the interactive-element signature (roles, names, states, headings; no free text). */
  signature: z.string(),
  /** 64-bit perceptual hash of the screen, hex. */
  phash: z.string(),
  /** Screenshot file, relative to the output folder. */
  screenshot: z.string().optional(),
  title: z.string(),
  url: z.string().optional(),
  depth: z.number().int().nonnegative(),
  /** Action count at discovery. */
  discoveredAt: z.number().int().nonnegative(),
  /** Edge that first reached this node (the replay prefix ends with it); absent for the root. */
  parentEdge: z.string().optional(),
  candidates: z.number().int().nonnegative(),
  tried: z.number().int().nonnegative(),
  /** Set when replaying the prefix no longer reaches this node. */
  unreachable: z.boolean().optional(),
});
export type GraphNode = z.infer<typeof GraphNode>;

export const GraphEdge = z.object({
  id: z.string(),
  from: z.string(),
  /** Absent when the action errored or left the app. */
  to: z.string().optional(),
  action: ExploreAction,
  result: Verification,
  attempts: z.number().int().positive(),
  /** Times a later traversal reached the same `to` again. */
  confirmations: z.number().int().nonnegative(),
  /** A traversal reached a different state than `to` once: not used for navigation. */
  inconsistent: z.boolean(),
  error: z.string().optional(),
  /** What the action did when it was explored; exported steps carry it as their expectation. */
  effect: ActionEffect.optional(),
  /**
   * The longest the app took to settle after this action while it was explored, ms (the driver's
   * own settle included): replay's wait for the step's expected result is sized from it.
   */
  settleMs: z.number().int().nonnegative().optional(),
  /** A scroll: where it left the container it scrolled, when first tried (the exported step scrolls there). */
  scrolledTo: ScrollPlace.optional(),
});
export type GraphEdge = z.infer<typeof GraphEdge>;

export const Boundary = z.object({
  node: z.string(),
  action: ExploreAction,
  reason: z.enum(['error', 'crash', 'hang', 'offsite', 'repeated_failure', 'blocked']),
  detail: z.string(),
});
export type Boundary = z.infer<typeof Boundary>;

export const Strategy = z.enum(['dfs', 'bfs', 'random']);
export type Strategy = z.infer<typeof Strategy>;

export const StopReason = z.enum(['budget', 'deadline', 'exhausted', 'aborted', 'running']);

export const ExploreGraph = z.object({
  version: z.literal(1),
  app: z.object({ kind: z.enum(['web', 'x11', 'fake']), url: z.string().optional(), command: z.string().optional() }),
  strategy: Strategy,
  seed: z.number().int(),
  budget: z.number().int().positive(),
  actionsUsed: z.number().int().nonnegative(),
  resets: z.number().int().nonnegative(),
  stoppedBy: StopReason,
  startedAt: z.string(),
  updatedAt: z.string(),
  root: z.string().optional(),
  nodes: z.array(GraphNode),
  edges: z.array(GraphEdge),
  boundaries: z.array(Boundary),
});
export type ExploreGraph = z.infer<typeof ExploreGraph>;

export const PrimitiveStats = z.object({
  kind: PrimitiveKind,
  tried: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
  noChange: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** Roles (web) or regions (X11) where this primitive changed the state. */
  worksOn: z.array(z.string()),
  examples: z.array(z.string()),
});

/** A control exploration saw crash, freeze, leave the app or keep failing: replay asks before touching it. */
export const KnownBoundary = z.object({
  kind: PrimitiveKind,
  role: z.string().optional(),
  name: z.string().optional(),
  reason: z.enum(['crash', 'hang', 'offsite', 'repeated_failure']),
  detail: z.string(),
  /** Runs that saw it. */
  seen: z.number().int().positive(),
});
export type KnownBoundary = z.infer<typeof KnownBoundary>;

export const Primitives = z.object({
  version: z.literal(1),
  app: z.string(),
  primitives: z.array(PrimitiveStats),
  boundaries: z.array(KnownBoundary).optional(),
});
export type Primitives = z.infer<typeof Primitives>;

export const ExportedSkill = z.object({
  name: z.string(),
  node: z.string(),
  steps: z.number().int().nonnegative(),
  /** Folder of the exported package (MMSkill, or a trajectory for the builder). */
  path: z.string(),
  format: z.enum(['mmskill', 'trajectory']),
  /** Passed the audit gate (MMSkill packages only). */
  audited: z.boolean(),
  /** The built package failed its own audit, so only the trajectory was kept (`explore save` exits 3). */
  refused: z.boolean().optional(),
  detail: z.string().optional(),
  /**
   * The path exported, step by step: the one replayed on a fresh instance before export. Ids
   * starting 'predicted:' are navigations the run predicted and never tried, so their attempts are 0.
   */
  edges: z.array(GraphEdge.extend({ attempts: z.number().int().nonnegative() })).optional(),
});
export type ExportedSkill = z.infer<typeof ExportedSkill>;

const ExploreOutput = z.object({
  out: z.string(),
  graphFile: z.string(),
  primitivesFile: z.string(),
  strategy: Strategy,
  states: z.number().int().nonnegative(),
  edges: z.number().int().nonnegative(),
  actionsUsed: z.number().int().nonnegative(),
  resets: z.number().int().nonnegative(),
  boundaries: z.number().int().nonnegative(),
  stoppedBy: StopReason,
  msPerActionP50: z.number().nonnegative(),
  skills: z.array(ExportedSkill),
});

const BenchApp = z.object({
  app: z.string(),
  true_states: z.number().int().optional(),
  budget: z.number().int(),
  states_dfs: z.number(),
  states_bfs: z.number(),
  states_random: z.number(),
  ratio_dfs_random: z.number(),
  ratio_dfs_bfs: z.number(),
  ms_per_action_p50: z.number(),
  exported_skills: z.number().int(),
  exported_replay_rate: z.number(),
  note: z.string().optional(),
  split: z.enum(['tune', 'unseen', 'fixture']).optional(),
  /** Distinct ground-truth views the app showed (its own state, read by the benchmark), mean over seeds. */
  views_dfs: z.number().optional(),
  views_bfs: z.number().optional(),
  views_random: z.number().optional(),
  views_ci95: z.record(Strategy, z.tuple([z.number(), z.number()])).optional(),
  views_ratio_dfs_random: z.number().optional(),
  views_ratio_dfs_bfs: z.number().optional(),
  /** DFS states against ground-truth views: share of states with one view, share of views in one state. */
  state_precision: z.number().optional(),
  state_recall: z.number().optional(),
  destructive_actions: z.number().int().optional(),
  /** The machine's 1-minute load average when the app's runs began and when they ended. */
  load_average: z.tuple([z.number(), z.number()]).optional(),
  /** Each exported skill that did not replay, and why (the replay's stop, or the view it left). */
  replay_misses: z.array(z.object({ seed: z.number().int(), skill: z.string(), steps: z.number().int(), miss: z.string() })).optional(),
});

const BenchSplit = z.object({
  apps: z.array(z.string()),
  views_ratio_dfs_random: z.number(),
  views_ratio_dfs_random_ci95: z.tuple([z.number(), z.number()]),
  views_ratio_dfs_bfs: z.number(),
  views_ratio_dfs_bfs_ci95: z.tuple([z.number(), z.number()]),
  state_precision: z.number(),
  state_recall: z.number(),
  destructive_actions: z.number().int(),
  exported_skills: z.number().int(),
  exported_replay_rate: z.number(),
  ms_per_action_p50: z.number(),
});

export const commands = commandMap(
  defineCommand({
    name: 'explore',
    fleet: true,
    summary: 'Explore a web page (--url) or an X11 app (--app) on its own: GUI-DFS with verified actions; writes graph.json, primitives.json and skills.',
    input: z
      .object({
        url: z.string().url().max(4000).optional(),
        app: z.string().min(1).max(4000).optional(),
        budget: z.coerce.number().int().min(1).max(100_000),
        strategy: Strategy.default('dfs'),
        seed: z.coerce.number().int().min(0).max(2 ** 31).default(1),
        out: z.string().max(4000).optional(),
        /** Regular expression of control names let past the destructive-control blocklist. */
        allow: z.string().max(1000).optional(),
        /** How many verified paths to export as skills. */
        skills: z.coerce.number().int().min(0).max(100).default(5),
      })
      .strict()
      .refine((input) => (input.url === undefined) !== (input.app === undefined), { message: 'give exactly one of --url or --app', path: ['url'] }),
    output: ExploreOutput,
    timeoutMs: 3_600_000,
    cli: {
      long: true,
      format: (output: z.infer<typeof ExploreOutput>) =>
        [
          `${output.states} states, ${output.edges} edges in ${output.actionsUsed} actions (${output.strategy}, stopped by ${output.stoppedBy}, ${output.resets} resets, ${output.boundaries} boundaries)`,
          `graph: ${output.graphFile}`,
          `primitives: ${output.primitivesFile}`,
          ...output.skills.map((skill) => `skill ${skill.name} (${skill.steps} steps, ${skill.format}): ${skill.path}`),
        ].join('\n'),
    },
  }),
  defineCommand({
    name: 'explore.graph',
    summary: 'Read an exploration graph (graph.json) from an output folder.',
    input: z.object({ out: z.string().min(1).max(4000) }).strict(),
    output: z.object({ graph: ExploreGraph, thumbnails: z.record(z.string(), z.string()) }),
    cli: { positionals: ['out'] },
  }),
  defineCommand({
    name: 'explore.save',
    summary: 'Save the verified path to one node of an exploration graph as a skill.',
    input: z.object({ out: z.string().min(1).max(4000), node: z.string().min(1).max(200), name: z.string().min(1).max(100).optional() }).strict(),
    output: ExportedSkill,
    cli: { positionals: ['out', 'node'], exitCode: (output: z.infer<typeof ExportedSkill>) => (output.refused ? 3 : 0) },
  }),
  defineCommand({
    name: 'bench.explore',
    fleet: true,
    summary: 'Benchmark GUI-DFS against BFS and random on open-source web UIs from npm (and Debian X11 apps when a display is there), in ground-truth views; unseen apps reported apart from tuned ones.',
    input: z
      .object({
        budget: z.coerce.number().int().min(5).max(2000).optional(),
        seeds: z.coerce.number().int().min(1).max(10).default(3),
        /** The first seed (default 1): seeds first … first + seeds - 1, so one benchmark can be split over processes. */
        firstSeed: z.coerce.number().int().min(1).max(1000).optional(),
        x11: z.boolean().default(true),
        /** Only these apps (names from testkit/webapps/explore-split.json), comma-separated. */
        apps: z
          .string()
          .max(1000)
          .transform((value) => value.split(',').map((name) => name.trim()).filter(Boolean))
          .optional(),
        /** Also run the repo's own fixture apps (office, shop, trap). */
        fixtures: z.boolean().default(false),
        /** X11 apps through their accessibility tree (AT-SPI) when the machine has it; false: pixels and OCR only. */
        accessibility: z.boolean().default(true),
        /** A file that gets one JSON line per finished run and per finished app as they end, then the summary: a stopped run keeps what it measured. */
        out: z.string().min(1).max(4000).optional(),
        /** A folder that gets a copy of each exported skill that did not replay (named seed-skill), to read why. */
        keep: z.string().min(1).max(4000).optional(),
        /** A file that gets one JSON line per choice of each DFS run: the state, the action and its predicted gain, or the trip taken, and what came of it. */
        choices: z.string().min(1).max(4000).optional(),
      })
      .strict(),
    output: z.object({ apps: z.record(z.string(), BenchApp), unseen: BenchSplit.optional(), tune: BenchSplit.optional(), targets_met: z.boolean(), wall_ms: z.number() }),
    timeoutMs: 0,
    // Stopped (Ctrl+C, SIGTERM, the kill switch), the benchmark ends its browsers, servers, display
    // and accessibility bus before the process exits; without the grace they were left running.
    stopGraceMs: 30_000,
    cli: { long: true },
  }),
);

export const events = eventMap(
  defineEvent(
    'explore.node',
    z.object({
      node: GraphNode,
      /** Small JPEG as a data: URL, so the UI can show the graph growing without reading files. */
      thumbnail: z.string().optional(),
    }),
  ),
  defineEvent('explore.edge', z.object({ edge: GraphEdge, actionsUsed: z.number().int(), budget: z.number().int() })),
);
