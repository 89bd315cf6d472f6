import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SkillframeError } from '../../core/errors.ts';
import type { Target, TrajectoryEvent } from '../../core/schemas/trajectory.ts';
import { chromiumFlags, chromiumPath } from '../../native/browser/chromium-path.ts';
import { readTrajectory, TrajectoryWriter } from '../../skills-mm/trajectory/store.ts';
import type { JudgedStep, WebTruth } from './judge.ts';
import type { WebTask } from './tasks.ts';
import { applyWebCondition, type WebCondition } from './web-drift.ts';

/** 1080p, the size the overhead target is stated for. */
export const webViewport = { width: 1920, height: 1080 };
/** What a page needs after an input before the next one (the app's settle time, not the engine's). */
const settleMs = 120;

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new SkillframeError('unavailable', 'chromium is not installed (apt-get install chromium)');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: chromiumFlags, headless: true });
}

export interface ConditionPage {
  context: BrowserContext;
  page: Page;
  dispose(): Promise<void>;
}

/** A fresh context with the condition applied, on the task's page. */
export async function openTaskPage(browser: Browser, baseUrl: string, task: WebTask, condition: WebCondition): Promise<ConditionPage> {
  const context = await browser.newContext({ viewport: webViewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await applyWebCondition(context, page, condition, baseUrl);
  await page.goto(new URL(task.page, baseUrl).href, { waitUntil: 'load' });
  await page.waitForTimeout(150);
  return { context, page, dispose: () => context.close() };
}

export async function readWebTruth(page: Page): Promise<WebTruth> {
  return page.evaluate(() => {
    const win = window as unknown as { __clicks?: WebTruth['clicks']; __inputs?: WebTruth['inputs']; __outcome?: unknown };
    return { clicks: win.__clicks ?? [], inputs: win.__inputs ?? [], outcome: win.__outcome ?? null };
  });
}

/** The steps the judge expects: each typed text goes into the field clicked just before it. */
export function judgedWebSteps(task: WebTask): JudgedStep[] {
  let field = '';
  return task.actions.map((action) => {
    if (action.kind === 'click') {
      field = action.truth;
      return { kind: 'click', truth: action.truth };
    }
    if (action.kind === 'type') return { kind: 'type', field, text: action.text };
    return { kind: 'key' };
  });
}

/** What a DOM recorder would store about the element under the pointer. */
async function describeTarget(page: Page, truth: string): Promise<{ point: { x: number; y: number }; target: Target }> {
  const found = await page.evaluate((truth) => {
    const named = document.querySelector(`[data-truth="${CSS.escape(truth)}"]`);
    if (!named) return null;
    const rect = named.getBoundingClientRect();
    const point = { x: Math.round(rect.x + rect.width / 2), y: Math.round(rect.y + rect.height / 2) };
    const hit = document.elementFromPoint(point.x, point.y) ?? named;
    const element = (hit.closest('button, a, input, select, textarea, label, [role], li, td') ?? hit) as HTMLElement;
    const box = element.getBoundingClientRect();
    const tag = element.tagName.toLowerCase();
    const input = element as HTMLInputElement;
    const implicit: Record<string, string> = { button: 'button', a: 'link', select: 'combobox', textarea: 'textbox', li: 'listitem', td: 'cell' };
    let role = element.getAttribute('role') ?? implicit[tag];
    if (tag === 'input') role = input.type === 'checkbox' ? 'checkbox' : input.type === 'radio' ? 'radio' : 'textbox';
    const labelled = element.id ? document.querySelector(`label[for="${CSS.escape(element.id)}"]`) : null;
    const text = (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 80);
    const name = element.getAttribute('aria-label') ?? labelled?.textContent?.trim() ?? (text || undefined);
    const path: string[] = [];
    for (let node: Element | null = element; node && node !== document.body; node = node.parentElement) {
      if (node.id) {
        path.unshift(`#${CSS.escape(node.id)}`);
        break;
      }
      const siblings = node.parentElement ? [...node.parentElement.children].filter((sibling) => sibling.tagName === node!.tagName) : [];
      path.unshift(siblings.length > 1 ? `${node.tagName.toLowerCase()}:nth-of-type(${siblings.indexOf(node) + 1})` : node.tagName.toLowerCase());
    }
    return {
      point,
      target: {
        role,
        name,
        text: text || undefined,
        css: path.join(' > '),
        tag,
        elementId: element.id || undefined,
        inputType: tag === 'input' ? input.type : undefined,
        label: labelled?.textContent?.trim() || undefined,
        box: { x: box.x, y: box.y, width: box.width, height: box.height },
        strategy: role && name ? ('role' as const) : ('css' as const),
      },
    };
  }, truth);
  if (!found) throw new SkillframeError('internal', `fixture has no element [data-truth=${JSON.stringify(truth)}]`);
  const target = Object.fromEntries(Object.entries(found.target).filter(([, value]) => value !== undefined && value !== null)) as Target;
  return { point: found.point, target };
}

/**
 * The scripted recording on the unchanged page, written in the recorder's trajectory format with
 * real screenshots. (Stands in for `skillframe record --script` until the recorder lands.)
 */
export async function recordWebTask(browser: Browser, baseUrl: string, task: WebTask, directory: string): Promise<string> {
  const session = await openTaskPage(browser, baseUrl, task, 'unchanged');
  const { page } = session;
  try {
    const url = page.url();
    const writer = TrajectoryWriter.create(directory, {
      version: 1,
      id: `${task.name}-${Date.now()}`,
      kind: 'web',
      url,
      screen: { ...webViewport, deviceScaleFactor: 1 },
      started: new Date().toISOString(),
      mode: 'script',
      recorder: { name: 'bench-replay-script', version: '1' },
    });
    let frameIndex = 0;
    const shot = async () => writer.writeFrame(`frame-${String(frameIndex++).padStart(3, '0')}.png`, await page.screenshot({ type: 'png' }));
    let before = await shot();
    writer.updateMeta({ startFrame: before });
    let focused: { target: Target } | undefined;
    for (const action of task.actions) {
      const at = Date.now();
      const common = { at, url: page.url(), pageTitle: await page.title(), source: 'dom' as const };
      let event: Omit<TrajectoryEvent, 'seq' | 't' | 'masked' | 'frames'> & { masked?: boolean };
      if (action.kind === 'click') {
        const { point, target } = await describeTarget(page, action.truth);
        await page.mouse.click(point.x, point.y);
        focused = { target };
        event = { ...common, kind: 'click', pointer: point, button: 'left', target };
      } else if (action.kind === 'type') {
        await page.keyboard.type(action.text, { delay: 15 });
        const value = await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value ?? '');
        event = { ...common, kind: 'type', text: action.text, value, ...(focused ? { target: focused.target } : {}) };
      } else {
        await page.keyboard.press(action.key);
        event = { ...common, kind: 'key', key: action.key };
      }
      await page.waitForTimeout(settleMs);
      const after = await shot();
      writer.append({ ...event, frames: { before, after } });
      before = after;
    }
    const truth = await readWebTruth(page);
    writer.close();
    if (JSON.stringify(truth.outcome) !== JSON.stringify(task.expected)) {
      throw new SkillframeError('internal', `recording of ${task.name} did not reach its outcome: ${JSON.stringify(truth.outcome)}`);
    }
    return directory;
  } finally {
    await session.dispose();
  }
}

/** The naive baseline: the recorded pointer positions and keystrokes, no grounding at all. */
export async function naiveWebReplay(page: Page, trajectoryDirectory: string, signal?: AbortSignal): Promise<number[]> {
  const { events } = readTrajectory(trajectoryDirectory);
  const engineMs: number[] = [];
  for (const event of events) {
    if (signal?.aborted) throw new SkillframeError('aborted', 'benchmark cancelled');
    const started = performance.now();
    if (event.kind === 'click' && event.pointer) await page.mouse.click(event.pointer.x, event.pointer.y);
    else if (event.kind === 'type' && event.text !== undefined) await page.keyboard.type(event.text, { delay: 15 });
    else if (event.kind === 'key' && event.key) await page.keyboard.press(event.key);
    else continue;
    engineMs.push(performance.now() - started);
    await page.waitForTimeout(settleMs);
  }
  return engineMs;
}

export function trajectoryPath(root: string, task: { name: string }): string {
  return join(root, 'recordings', task.name);
}

/**
 * The recording through Skillframe's own web recorder (`record --url --script`): its listeners,
 * locators and aria snapshots, with a script of selector clicks standing in for the person.
 * Redaction is off so the typed values stay replayable.
 */
export async function recordWebTaskWithRecorder(baseUrl: string, task: WebTask, directory: string, signal?: AbortSignal): Promise<string> {
  const { recordWeb } = await import('../../engine/computer/recorder/web-recorder.ts');
  const script = task.actions.map((action) =>
    action.kind === 'click' ? { action: 'click' as const, selector: `[data-truth="${action.truth}"]` } : action.kind === 'type' ? { action: 'type' as const, text: action.text } : { action: 'press' as const, key: action.key },
  );
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const result = await recordWeb({ url: new URL(task.page, baseUrl).href, out: directory, script, redactions: [], signal: controller.signal, viewport: webViewport, stepGapMs: 600 });
    const clicks = task.actions.filter((action) => action.kind === 'click').length;
    const { events } = readTrajectory(directory);
    const recordedClicks = events.filter((event) => event.kind === 'click').length;
    if (recordedClicks !== clicks) throw new SkillframeError('internal', `recorder heard ${recordedClicks} clicks of ${clicks} in ${task.name}`);
    return result.dir;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
