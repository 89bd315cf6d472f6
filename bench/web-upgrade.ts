import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { recordWeb } from '../engine/computer/recorder/web-recorder.ts';
import type { ScriptStep } from '../engine/computer/recorder/script.ts';
import { replaySkill } from '../engine/computer/replay/replay.ts';
import { pageSurface } from '../engine/computer/replay/web-surface.ts';
import { launchBrowser } from '../native/browser/browser.ts';
import { chordForPlaywright, parseChord } from '../native/input/keys.ts';
import type { BenchWebUpgradeResult } from '../core/commands/bench-replay.ts';
import { auditSource } from '../skills-mm/audit.ts';
import { buildSkill } from '../skills-mm/builder.ts';
import { loadPackageSource, parsePackage } from '../skills-mm/format.ts';
import { serveMounts } from '../testkit/static-server.ts';
import { packageFolder } from '../testkit/webapps/index.ts';

/**
 * Web upgrade benchmark: real open-source web apps from npm, each at two released versions.
 * A task is recorded on the older release through the web recorder, built and audited, then
 * replayed on the same release and on the newer one. Success is judged by what the app's backend
 * received (a local API that logs every request), never by replay's report: exactly the requests
 * the task asked for, and no other (a request the task did not ask for is a wrong request).
 * Peers in the same run: the naive coordinate replay (the recorded click points and text, no
 * grounding, no checks) and a Playwright-locator script written against the older release.
 */

const webapps = fileURLToPath(new URL('../testkit/webapps/', import.meta.url));

const Release = z.object({ package: z.string(), version: z.string() });
const UpgradeApps = z.object({
  apps: z.array(z.object({ name: z.string(), split: z.enum(['tune', 'unseen']), old: Release.optional(), new: Release.optional(), entry: z.string().optional(), status: z.string() })),
});

type Page = import('playwright-core').Page;

/** Tall enough that no task needs a scroll: the recorder hears wheel scrolls, not Playwright's own scrolling into view, and the naive peer replays only what was recorded. */
const viewport = { width: 1280, height: 1600 };

interface Task {
  app: string;
  name: string;
  /** Drives the older release while the recorder listens (CSS selectors of that release). */
  script: ScriptStep[];
  /** What a developer would write with Playwright's locators against the older release. */
  locatorScript: (page: Page) => Promise<void>;
  /** The requests the backend must receive: "METHOD /path?query" (apps with a backend). */
  expected: string[];
  /** Apps without a backend: what the app's own state must hold after the task. */
  state?: StateJudge;
}

/**
 * The app's state read back through its own API (a page expression), flattened to top-level keys
 * (an object's keys one level down: "json.string"). `expected` names the keys the task changes;
 * every other key must keep the value it had when the page opened (a change to one of them is the
 * analogue of a wrong request).
 */
interface StateJudge {
  read: string;
  expected: Record<string, unknown>;
}

function flatState(value: unknown): Record<string, string> {
  const flat: Record<string, string> = {};
  if (!value || typeof value !== 'object') return flat;
  for (const [key, inner] of Object.entries(value)) {
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) for (const [child, leaf] of Object.entries(inner)) flat[`${key}.${child}`] = JSON.stringify(leaf);
    else flat[key] = JSON.stringify(inner);
  }
  return flat;
}

/** Whether the state holds what the task asked for, and how many keys it did not ask for changed. */
export function judgeState(start: unknown, end: unknown, expected: Record<string, unknown>): { ok: boolean; unasked: number } {
  const [before, after] = [flatState(start), flatState(end)];
  let ok = end !== undefined && end !== null;
  let unasked = 0;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(expected)])) {
    if (key in expected) {
      if (after[key] !== JSON.stringify(expected[key])) {
        ok = false;
        if (after[key] !== before[key]) unasked += 1;
      }
    } else if (after[key] !== before[key]) {
      ok = false;
      unasked += 1;
    }
  }
  return { ok, unasked };
}

/** swagger-ui: open an operation, "Try it out", fill its parameter, "Execute". */
function swaggerTask(name: string, operation: string, parameter: { placeholder: string; value: string } | undefined, label: string, expected: string, app = 'swagger-ui', choice?: { downs: number; option: string }): Task {
  const scope = `#operations-${operation}`;
  const script: ScriptStep[] = [
    { action: 'click', selector: `${scope} .opblock-summary-control` },
    { action: 'click', selector: `${scope} .try-out__btn` },
    ...(parameter ? ([{ action: 'click', selector: `${scope} input[placeholder="${parameter.placeholder}"]` }, { action: 'type', text: parameter.value }] as ScriptStep[]) : []),
    // A native <select>: the mouse opens it, the arrow keys move through its popup, Enter chooses.
    ...(choice ? ([{ action: 'click', selector: `${scope} .parameters select` }, ...Array.from({ length: choice.downs }, () => ({ action: 'press', key: 'ArrowDown' })), { action: 'press', key: 'Enter' }] as ScriptStep[]) : []),
    { action: 'click', selector: `${scope} .execute` },
  ];
  return {
    app,
    name,
    script,
    locatorScript: async (page) => {
      await page.getByRole('button', { name: label, exact: true }).click({ timeout: 5000 });
      await page.getByRole('button', { name: 'Try it out' }).click({ timeout: 5000 });
      if (parameter) await page.getByPlaceholder(parameter.placeholder, { exact: true }).fill(parameter.value, { timeout: 5000 });
      if (choice) await page.locator(`${scope} .parameters select`).selectOption({ label: choice.option }, { timeout: 5000 });
      await page.getByRole('button', { name: 'Execute' }).click({ timeout: 5000 });
    },
    expected: [expected],
  };
}

/** RapiDoc (read mode): fill the operation's parameter, press its "TRY" (controls inside shadow roots). */
function rapidocTask(name: string, section: string, parameter: { name: string; value: string } | undefined, expected: string): Task {
  const scope = `[id="${section}"]`;
  const input = parameter ? `${scope} input[data-pname="${parameter.name}"]` : '';
  return {
    app: 'rapidoc',
    name,
    script: [
      ...(parameter ? ([{ action: 'click', selector: input }, { action: 'type', text: parameter.value }] as ScriptStep[]) : []),
      { action: 'click', selector: `${scope} button:has-text("TRY")` },
    ],
    locatorScript: async (page) => {
      if (parameter) await page.locator(input).fill(parameter.value, { timeout: 5000 });
      await page.locator(scope).getByRole('button', { name: 'TRY', exact: true }).click({ timeout: 5000 });
    },
    expected: [expected],
  };
}

/** JSONEditor's own example page: switch the mode, or edit one value in the tree; judged by editor.getMode() / editor.get(). */
function jsonEditorTask(name: string, script: ScriptStep[], locatorScript: Task['locatorScript'], expected: Record<string, unknown>): Task {
  return { app: 'jsoneditor', name, script, locatorScript, expected: [], state: { read: '({ mode: editor.getMode(), json: editor.get() })', expected } };
}

function jsonEditorMode(mode: string, label: string): Task {
  return jsonEditorTask(
    `jsoneditor-mode-${mode}`,
    [
      { action: 'click', selector: '.jsoneditor-modes' },
      { action: 'click', selector: `.jsoneditor-contextmenu button:has-text("${label}")` },
    ],
    async (page) => {
      await page.getByRole('button', { name: 'Tree ▾' }).click({ timeout: 5000 });
      await page.getByRole('button', { name: label, exact: true }).click({ timeout: 5000 });
    },
    { mode },
  );
}

function jsonEditorEdit(key: string, from: string, to: string, value: unknown): Task {
  return jsonEditorTask(
    `jsoneditor-edit-${key}`,
    [
      { action: 'click', selector: `.jsoneditor-value:text-is("${from}")` },
      { action: 'press', key: 'ctrl+a' },
      { action: 'type', text: to },
      { action: 'press', key: 'Tab' },
    ],
    async (page) => {
      await page.getByText(from, { exact: true }).click({ timeout: 5000 });
      await page.keyboard.press('Control+A');
      await page.keyboard.type(to);
      await page.keyboard.press('Tab');
    },
    { [`json.${key}`]: value },
  );
}

/**
 * json-editor (the JSON-Schema form generator, not JSONEditor above): its own docs/basic.html,
 * a "Car" form of native <select>s, a text field and a star rating; judged by editor.getValue().
 */
function schemaFormTask(name: string, script: ScriptStep[], locatorScript: Task['locatorScript'], expected: Record<string, unknown>): Task {
  return { app: 'json-editor', name, script, locatorScript, expected: [], state: { read: 'editor.getValue()', expected } };
}

function schemaFormChoice(field: string, downs: number, option: string, value: unknown): Task {
  const selector = `select[name="root[${field}]"]`;
  return schemaFormTask(
    `json-editor-${field}`,
    [{ action: 'click', selector }, ...Array.from({ length: downs }, () => ({ action: 'press', key: 'ArrowDown' }) as ScriptStep), { action: 'press', key: 'Enter' }],
    async (page) => {
      await page.locator(selector).selectOption({ label: option }, { timeout: 5000 });
    },
    { [field]: value },
  );
}

/** OpenAPI Explorer (focused view): pick the operation in the navigation, fill its parameter, EXECUTE (controls inside a shadow root). */
function explorerTask(name: string, operation: string, summary: string, parameter: { name: string; value: string } | undefined, expected: string): Task {
  const input = parameter ? `input[data-pname="${parameter.name}"]` : '';
  return {
    app: 'openapi-explorer',
    name,
    script: [
      { action: 'click', selector: `[id="link-${operation}"]` },
      ...(parameter ? ([{ action: 'click', selector: input }, { action: 'type', text: parameter.value }] as ScriptStep[]) : []),
      { action: 'click', selector: 'button.btn-execute' },
    ],
    locatorScript: async (page) => {
      await page.getByText(summary, { exact: true }).click({ timeout: 5000 });
      if (parameter) await page.locator(input).fill(parameter.value, { timeout: 5000 });
      await page.getByRole('button', { name: 'EXECUTE' }).click({ timeout: 5000 });
    },
    expected: [expected],
  };
}

export const upgradeTasks: Task[] = [
  jsonEditorMode('code', 'Code'),
  jsonEditorMode('view', 'View'),
  jsonEditorEdit('string', 'Hello World', 'Skillframe', 'Skillframe'),
  jsonEditorEdit('number', '123', '456', 456),
  jsonEditorTask(
    'jsoneditor-toggle-boolean',
    [{ action: 'click', selector: '.jsoneditor-tree input[type=checkbox]' }],
    async (page) => {
      await page.getByRole('checkbox').first().click({ timeout: 5000 });
    },
    { 'json.boolean': false },
  ),
  rapidocTask('rapidoc-get-pet', 'get-/pet/-petId-', { name: 'petId', value: '7' }, 'GET /api/pet/7'),
  rapidocTask('rapidoc-get-order', 'get-/store/order/-orderId-', { name: 'orderId', value: '5' }, 'GET /api/store/order/5'),
  rapidocTask('rapidoc-get-user', 'get-/user/-username-', { name: 'username', value: 'alice' }, 'GET /api/user/alice'),
  rapidocTask('rapidoc-inventory', 'get-/store/inventory', undefined, 'GET /api/store/inventory'),
  rapidocTask('rapidoc-find-by-status', 'get-/pet/findByStatus', undefined, 'GET /api/pet/findByStatus'),
  swaggerTask('swagger-get-pet', 'pet-getPetById', { placeholder: 'petId', value: '7' }, 'get /pet/{petId}', 'GET /api/pet/7'),
  swaggerTask('swagger-get-order', 'store-getOrderById', { placeholder: 'orderId', value: '5' }, 'get /store/order/{orderId}', 'GET /api/store/order/5'),
  swaggerTask('swagger-get-user', 'user-getUserByName', { placeholder: 'username', value: 'alice' }, 'get /user/{username}', 'GET /api/user/alice'),
  swaggerTask('swagger-inventory', 'store-getInventory', undefined, 'get /store/inventory', 'GET /api/store/inventory'),
  swaggerTask('swagger-find-by-status', 'pet-findPetsByStatus', undefined, 'get /pet/findByStatus', 'GET /api/pet/findByStatus?status=available'),
  // Round 2 (tune): a native <select> in swagger-ui, and swagger-editor (swagger-ui inside an editor).
  swaggerTask('swagger-find-sold', 'pet-findPetsByStatus', undefined, 'get /pet/findByStatus', 'GET /api/pet/findByStatus?status=sold', 'swagger-ui', { downs: 2, option: 'sold' }),
  swaggerTask('swagger-editor-get-pet', 'pet-getPetById', { placeholder: 'petId', value: '7' }, 'get /pet/{petId}', 'GET /api/pet/7', 'swagger-editor'),
  swaggerTask('swagger-editor-inventory', 'store-getInventory', undefined, 'get /store/inventory', 'GET /api/store/inventory', 'swagger-editor'),
  swaggerTask('swagger-editor-find-pending', 'pet-findPetsByStatus', undefined, 'get /pet/findByStatus', 'GET /api/pet/findByStatus?status=pending', 'swagger-editor', { downs: 1, option: 'pending' }),
  // Round 2, unseen: tasks written against the older release before the product ever ran on these apps.
  schemaFormChoice('make', 2, 'Honda', 'Honda'),
  schemaFormChoice('year', 4, '2012', 2012),
  schemaFormTask(
    'json-editor-model',
    [
      { action: 'click', selector: 'input[name="root[model]"]' },
      { action: 'type', text: 'Corolla' },
      { action: 'press', key: 'Tab' },
    ],
    async (page) => {
      await page.locator('input[name="root[model]"]').fill('Corolla', { timeout: 5000 });
      await page.locator('input[name="root[model]"]').press('Tab', { timeout: 5000 });
    },
    { model: 'Corolla' },
  ),
  schemaFormTask(
    'json-editor-safety',
    [{ action: 'click', selector: 'label[for="root[safety]4"]' }],
    async (page) => {
      await page.locator('label[for="root[safety]4"]').click({ timeout: 5000 });
    },
    { safety: 4 },
  ),
  explorerTask('openapi-explorer-get-pet', 'get-/pet/-petId-', 'Find pet by ID', { name: 'petId', value: '7' }, 'GET /api/pet/7'),
  explorerTask('openapi-explorer-get-order', 'get-/store/order/-orderId-', 'Find purchase order by ID', { name: 'orderId', value: '5' }, 'GET /api/store/order/5'),
  explorerTask('openapi-explorer-get-user', 'get-/user/-username-', 'Get user by user name', { name: 'username', value: 'alice' }, 'GET /api/user/alice'),
  explorerTask('openapi-explorer-inventory', 'get-/store/inventory', 'Returns pet inventories by status', undefined, 'GET /api/store/inventory'),
];

/** One release of an app behind a local API that logs what it receives. */
export async function serveRelease(app: string, release: z.infer<typeof Release>): Promise<{ origin: string; requests: string[]; dispose(): Promise<void> }> {
  const overrides = join(webapps, app);
  const files = readdirSafe(overrides).map((file) => ({ url: `/${file}`, path: join(overrides, file) }));
  const statics = await serveMounts([...files, { url: '/spec/', path: join(webapps, 'shared') }, { url: '/', path: packageFolder(release.package, release.version) }]);
  const requests: string[] = [];
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://local');
    if (url.pathname.startsWith('/api/')) {
      requests.push(`${request.method} ${url.pathname}${url.search}`);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
      return;
    }
    try {
      const upstream = await fetch(`${statics.origin}${request.url}`);
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      response.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    dispose: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await statics.dispose();
    },
  };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

type Method = 'skillframe' | 'naive' | 'locatorScript';
const methods: Method[] = ['skillframe', 'naive', 'locatorScript'];

interface Outcome {
  task: string;
  app: string;
  split: 'tune' | 'unseen';
  release: 'same' | 'next';
  method: Method;
  ok: boolean;
  /** Skillframe only: whether replay itself said every step was done and verified. */
  reportedOk?: boolean;
  wrongRequests: number;
  received: string[];
  note?: string;
}

export async function openApp(origin: string, entry: string) {
  const session = await launchBrowser({ viewport, loopbackOnly: true });
  await session.page.goto(`${origin}${entry}`, { waitUntil: 'load' });
  // The same readiness for every method: the app fetched its spec and drew.
  await session.page.waitForLoadState('networkidle').catch(() => undefined);
  await session.page.waitForTimeout(500);
  return session;
}

async function runMethod(method: Method, task: Task, skillDirectory: string, page: Page): Promise<string | undefined> {
  if (method === 'skillframe') {
    // Bounded: a replay that cannot finish in two minutes has failed the task.
    const report = await replaySkill({ skillDirectory, surface: pageSurface(page), confirm: 'auto', autoApproveTier: 'input', signal: AbortSignal.timeout(120_000) });
    return report.ok ? undefined : report.steps.find((step) => step.status === 'aborted')?.reason?.slice(0, 200) ?? 'not ok';
  }
  if (method === 'locatorScript') {
    try {
      await task.locatorScript(page);
      return undefined;
    } catch (error) {
      return (error as Error).message.split('\n')[0].slice(0, 200);
    }
  }
  // Naive: the recorded points and text, in order, with the recording's pace.
  const skill = parsePackage(loadPackageSource(skillDirectory).files);
  const defaults = Object.fromEntries(skill.plan.parameters.map((parameter) => [parameter.name, parameter.default]));
  for (const step of skill.plan.steps) {
    if (step.action === 'click' || step.action === 'double_click' || step.action === 'right_click') {
      await page.mouse.click(step.target.point.x, step.target.point.y, { clickCount: step.action === 'double_click' ? 2 : 1, button: step.action === 'right_click' ? 'right' : 'left' });
    } else if (step.action === 'type') {
      await page.keyboard.type(step.text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => defaults[name] ?? ''));
    } else if (step.action === 'press') {
      const chord = parseChord(step.key);
      if (chord) await page.keyboard.press(chordForPlaywright(chord));
    }
    await page.waitForTimeout(400);
  }
  return undefined;
}

export async function runWebUpgradeBench(options: { apps?: string[]; progress?: (fraction: number, message: string) => void; signal?: AbortSignal } = {}): Promise<BenchWebUpgradeResult> {
  const started = Date.now();
  const progress = options.progress ?? (() => undefined);
  const split = UpgradeApps.parse(JSON.parse(readFileSync(join(webapps, 'upgrade-split.json'), 'utf8')));
  const work = mkdtempSync(join(tmpdir(), 'sf-web-upgrade-'));
  const outcomes: Outcome[] = [];
  const packages: { task: string; built: boolean; auditAccepted: boolean; note?: string }[] = [];
  const signal = options.signal ?? new AbortController().signal;
  try {
    for (const [index, task] of upgradeTasks.entries()) {
      if (options.apps && !options.apps.includes(task.app)) continue;
      signal.throwIfAborted();
      const app = split.apps.find((candidate) => candidate.name === task.app);
      if (!app?.old || !app.new || !app.entry) continue;
      progress(index / upgradeTasks.length, `${task.name}: recording on ${app.old.package}@${app.old.version}`);
      const old = await serveRelease(app.name, app.old);
      const skillDirectory = join(work, task.name);
      try {
        const recording = join(work, `${task.name}-recording`);
        await recordWeb({ url: `${old.origin}${app.entry}`, out: recording, script: [{ action: 'wait', ms: 1500 }, ...task.script], redactions: [], signal, stepGapMs: 600, viewport });
        await buildSkill({ trajectoryDir: recording, outDir: skillDirectory, name: task.name });
        packages.push({ task: task.name, built: true, auditAccepted: auditSource(skillDirectory).accepted });
      } catch (error) {
        packages.push({ task: task.name, built: false, auditAccepted: false, note: (error as Error).message.slice(0, 300) });
      } finally {
        await old.dispose();
      }
      const built = packages.at(-1)!.built;
      for (const [release, version] of [['same', app.old], ['next', app.new]] as const) {
        for (const method of methods) {
          const served = await serveRelease(app.name, version);
          const session = await openApp(served.origin, app.entry);
          try {
            served.requests.length = 0;
            const readState = () => (task.state ? session.page.evaluate(task.state.read).catch(() => undefined) : Promise.resolve(undefined));
            const start = await readState();
            const note = method === 'skillframe' && !built ? 'no package' : await runMethod(method, task, skillDirectory, session.page).catch((error: Error) => error.message.slice(0, 200));
            await session.page.waitForTimeout(1200);
            let received = [...served.requests];
            let wrong = received.filter((request) => !task.expected.includes(request)).length;
            let ok = wrong === 0 && task.expected.every((request) => received.filter((item) => item === request).length === 1);
            if (task.state) {
              const end = await readState();
              const judged = judgeState(start, end, task.state.expected);
              received = [JSON.stringify(end ?? null)];
              wrong += judged.unasked;
              ok = ok && judged.ok;
            }
            outcomes.push({ task: task.name, app: app.name, split: app.split, release, method, ok, ...(method === 'skillframe' ? { reportedOk: note === undefined } : {}), wrongRequests: wrong, received, ...(note ? { note } : {}) });
          } finally {
            await session.dispose();
            await served.dispose();
          }
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const figure = (splitName: 'tune' | 'unseen', release: 'same' | 'next', method: Method) => {
    const rows = outcomes.filter((row) => row.split === splitName && row.release === release && row.method === method);
    return { tasks: rows.length, succeeded: rows.filter((row) => row.ok).length, percent: rows.length ? Math.round((1000 * rows.filter((row) => row.ok).length) / rows.length) / 10 : null, wrongRequests: rows.reduce((sum, row) => sum + row.wrongRequests, 0) };
  };
  const byMethod = (name: 'tune' | 'unseen', release: 'same' | 'next') => ({ skillframe: figure(name, release, 'skillframe'), naive: figure(name, release, 'naive'), locatorScript: figure(name, release, 'locatorScript') });
  const figures = { unseen: { same: byMethod('unseen', 'same'), next: byMethod('unseen', 'next') }, tune: { same: byMethod('tune', 'same'), next: byMethod('tune', 'next') } };
  return {
    benchmark: 'web-upgrade',
    durationMs: Date.now() - started,
    apps: split.apps.map((app) => ({ name: app.name, split: app.split, status: app.status, ...(app.old && app.new ? { releases: `${app.old.version} → ${app.new.version}` } : {}) })),
    tasks: new Set(outcomes.map((row) => row.task)).size,
    figures,
    packages,
    auditAccepted: packages.filter((item) => item.auditAccepted).length,
    outcomes,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const apps = process.argv[2]?.split(',').filter(Boolean);
  const result = await runWebUpgradeBench({ ...(apps?.length ? { apps } : {}), progress: (fraction, message) => process.stderr.write(`${Math.round(fraction * 100)}% ${message}\n`) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
