import { randomUUID } from 'node:crypto';
import type { Frame, Page } from 'playwright-core';
import { z } from 'zod';
import { SkillframeError } from '../../../core/errors.ts';
import { ElementState, PageState, Rect, Target } from '../../../core/schemas/trajectory.ts';
import { launchBrowser, type BrowserSession } from '../../../native/browser/browser.ts';
import { chordForPlaywright, parseChord } from '../../../native/input/keys.ts';
import { decodePng } from '../../../native/screen/image.ts';
import { countFrames, TrajectoryWriter } from '../../../skills-mm/trajectory/store.ts';
import { bindingName, pageScript } from './page-script.ts';
import { sleep } from '../../../core/abort.ts';
import type { ScriptStep } from './script.ts';
import { RecordingSession, type EventDraft, type Observation } from './session.ts';
import { recorderInfo, type CommonRecordOptions, type RecordResult } from './types.ts';

export interface WebRecordOptions extends CommonRecordOptions {
  url: string;
  /** Show the browser window (needs DISPLAY); default headless. */
  headed?: boolean;
  viewport?: { width: number; height: number };
  /** Record into this page instead of launching a browser (tests, or an app that owns one). */
  page?: Page;
}

/** What the page listeners send; parsed, since the page is untrusted. */
const PageMessage = z.object({
  kind: z.enum(['click', 'double_click', 'right_click', 'middle_click', 'char', 'key', 'value', 'select', 'scroll']),
  x: z.number().finite().optional(),
  y: z.number().finite().optional(),
  dx: z.number().finite().optional(),
  dy: z.number().finite().optional(),
  text: z.string().max(100).optional(),
  key: z.string().max(100).optional(),
  value: z.string().max(5000).optional(),
  masked: z.boolean().optional(),
  /** The page's clock (epoch ms) when the event fired; the binding may deliver it later. */
  at: z.number().finite().optional(),
  /** Click count (UIEvent.detail): 2 on the second click of a double click. */
  detail: z.number().int().optional(),
  target: Target.optional(),
  targetKey: z.string().max(100).optional(),
  // A state the page could not describe within bounds costs the step its after-state, not the step.
  prior: PageState.optional().catch(undefined),
  targetBefore: ElementState.optional().catch(undefined),
});

const Privacy = z.object({ boxes: z.array(Rect), secrets: z.array(z.string()), names: z.array(z.string()).default([]) });

const maxAriaSnapshot = 20_000;

/**
 * Records a web page in Chromium: listeners injected into the page report each action with a
 * robust locator; frames are page screenshots with password fields obscured; each event carries
 * the page's aria snapshot after the action.
 */
export async function recordWeb(options: WebRecordOptions): Promise<RecordResult> {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new SkillframeError('bad_input', `input.url: ${JSON.stringify(options.url)} is not a URL (include the scheme, e.g. http://127.0.0.1:8080/)`);
  }
  if (!['http:', 'https:', 'file:', 'data:'].includes(url.protocol)) throw new SkillframeError('bad_input', `input.url: scheme ${url.protocol} is not supported (http, https, file)`);
  const warnings: string[] = [];
  const log = (level: 'info' | 'warn', message: string) => {
    if (level === 'warn') warnings.push(message);
    options.onLog?.(level, message);
  };
  const started = Date.now();
  const viewport = options.viewport ?? { width: 1280, height: 800 };
  let browser: BrowserSession | undefined;
  let session: RecordingSession | undefined;
  try {
    let page: Page;
    if (options.page) page = options.page;
    else {
      browser = await launchBrowser({ headed: options.headed, viewport, env: options.env, signal: options.signal });
      page = browser.page;
    }
    const context = page.context();
    let recording: RecordingSession | undefined;
    await context.exposeBinding(bindingName, (source: { frame: Frame }, raw: unknown) => {
      // Only the top page: coordinates inside iframes would need their offsets.
      if (source.frame !== page.mainFrame() || !recording) return;
      const parsed = PageMessage.safeParse(raw);
      if (!parsed.success) return;
      recording.observe(toObservation(parsed.data));
    });
    await context.addInitScript({ content: pageScript });
    try {
      await page.goto(url.toString(), { waitUntil: 'load', timeout: 30_000 });
    } catch (error) {
      throw new SkillframeError('unavailable', `input.url: ${url.toString()} did not load: ${(error as Error).message.split('\n')[0]}`);
    }
    const size = page.viewportSize() ?? viewport;

    const writer = TrajectoryWriter.create(options.out, {
      version: 1,
      id: randomUUID(),
      kind: 'web',
      url: redactUrlForMeta(url.toString(), options),
      screen: { width: size.width, height: size.height, deviceScaleFactor: 1 },
      started: new Date().toISOString(),
      status: 'recording',
      mode: options.script ? 'script' : 'person',
      privacy: { passwordMasking: true, redact: options.redactions.map((pattern) => pattern.name) },
      recorder: recorderInfo,
    });

    const privacy = async () => {
      try {
        return Privacy.parse(await page.evaluate('window.__skillframePrivacy ? window.__skillframePrivacy() : { boxes: [], secrets: [], names: [] }'));
      } catch {
        return { boxes: [], secrets: [], names: [] };
      }
    };
    session = new RecordingSession(
      writer,
      {
        capture: async () => {
          let lastError: unknown;
          for (let attempt = 0; attempt < 3; attempt += 1) {
            try {
              const { boxes } = await privacy();
              const png = await page.screenshot({ type: 'png', caret: 'hide', timeout: 10_000 });
              return { capture: await decodePng(png), mask: boxes };
            } catch (error) {
              lastError = error;
              await sleep(250);
            }
          }
          throw new SkillframeError('unavailable', `page screenshot failed: ${(lastError as Error).message.split('\n')[0]}`);
        },
      },
      {
        source: 'dom',
        redactions: options.redactions,
        settleMs: options.settleMs,
        onEvent: options.onEvent,
        onError: (error) => log('warn', `recording step failed: ${(error as Error).message}`),
        secrets: async () => (await privacy()).secrets,
        enrich: async (draft) => {
          await enrich(page, draft);
          if (draft.ariaSnapshot) draft.ariaSnapshot = hideFieldValues(draft.ariaSnapshot, (await privacy()).names);
        },
      },
    );
    await session.start();
    recording = session;
    page.on('framenavigated', (frame) => {
      if (frame !== page.mainFrame()) return;
      recording?.observe({ kind: 'navigate', at: Date.now(), url: frame.url() });
    });

    const ended = new Promise<'signal' | 'app_exit' | 'max_duration'>((resolve) => {
      if (options.signal.aborted) return resolve('signal');
      options.signal.addEventListener('abort', () => resolve('signal'), { once: true });
      page.once('close', () => resolve('app_exit'));
      if (options.maxDurationMs) setTimeout(() => resolve('max_duration'), options.maxDurationMs).unref();
    });
    let stoppedBy: RecordResult['stoppedBy'];
    if (options.script) {
      const outcome = await Promise.race([runWebScript(options.script, page, options.signal, options.stepGapMs ?? 500).then(() => 'script' as const), ended]);
      stoppedBy = outcome;
      if (outcome === 'script') await sleep((options.settleMs ?? 450) + 900).catch(() => undefined);
    } else {
      stoppedBy = await ended;
    }
    recording = undefined;
    await session.close();
    writer.close();
    return {
      dir: options.out,
      kind: 'web',
      events: writer.eventCount,
      frames: countFrames(options.out),
      durationMs: Date.now() - started,
      stoppedBy,
      warnings: [...warnings, ...session.errors.map((error) => String((error as Error).message ?? error))].filter((item, index, all) => all.indexOf(item) === index),
    };
  } finally {
    session?.abandon();
    await browser?.dispose();
  }
}

/**
 * Hides what text fields hold in an aria snapshot (`- textbox "Email": alice@ex…` → `[value]`), and
 * blanks the fields named as passwords (`••••`) whatever they hold at that instant. The snapshot
 * may be taken while the next action is typing, and a half-typed email or API key matches no
 * redaction pattern; typed text is stored once, complete and redacted, in `type` events.
 */
export function hideFieldValues(snapshot: string, passwordNames: readonly string[] = []): string {
  const passwords = new Set(passwordNames.map((name) => JSON.stringify(name)));
  // With a placeholder the value moves to a child line (`  - text: …`) under the field.
  let block: { indent: number; mask: string } | undefined;
  return snapshot
    .split('\n')
    .map((line) => {
      const indent = line.length - line.trimStart().length;
      if (block) {
        if (indent > block.indent) return line.replace(/^(\s*- text:\s*)(?!••••$).+$/, `$1${block.mask}`);
        block = undefined;
      }
      const match = /^(\s*- (?:textbox|searchbox)(?: (".*?"))?(?:\s*\[[^\]]*\])*)(:\s*)(.*)$/.exec(line);
      if (!match) return line;
      const mask = match[2] !== undefined && passwords.has(match[2]) ? '••••' : '[value]';
      if (match[4] === '') {
        block = { indent, mask };
        return line;
      }
      return match[4] === '••••' ? line : `${match[1]}${match[3]}${mask}`;
    })
    .join('\n');
}

function toObservation(message: z.infer<typeof PageMessage>): Observation {
  // Page time when it is plausible (same machine); arrival time otherwise.
  const now = Date.now();
  const at = message.at !== undefined && Math.abs(message.at - now) < 10_000 ? Math.min(message.at, now) : now;
  const observation: Observation = { kind: message.kind === 'value' ? 'value' : message.kind, at };
  if (message.detail !== undefined && message.detail > 1) observation.clickCount = message.detail;
  if (message.x !== undefined && message.y !== undefined) observation.pointer = { x: message.x, y: message.y };
  if (message.kind === 'click') observation.button = 'left';
  if (message.kind === 'right_click') observation.button = 'right';
  if (message.kind === 'middle_click') observation.button = 'middle';
  if (message.masked) observation.masked = true;
  if (message.text !== undefined && !message.masked) observation.text = message.text;
  if (message.kind === 'char' && message.masked) observation.text = '';
  if (message.value !== undefined && !message.masked) observation.value = message.value;
  if (message.key !== undefined) observation.key = message.key;
  if (message.kind === 'scroll') observation.scroll = { dx: message.dx ?? 0, dy: message.dy ?? 0 };
  if (message.target) observation.target = message.target;
  if (message.targetKey) observation.targetKey = message.targetKey;
  if (message.prior) observation.prior = message.prior;
  if (message.targetBefore) observation.targetBefore = message.targetBefore;
  return observation;
}

/** Adds what only Playwright can tell once the action settled: url, title, aria snapshot, a checked locator. */
async function enrich(page: Page, draft: EventDraft): Promise<void> {
  try {
    draft.url = page.url();
    draft.pageTitle = await page.title();
  } catch {
    /* page closing */
  }
  if (!draft.afterState) {
    // No later input closed this step: the state once it settled.
    try {
      const state = PageState.safeParse(await page.evaluate('window.__skillframeState ? window.__skillframeState() : undefined'));
      if (state.success) draft.afterState = state.data;
    } catch {
      /* page closing or navigating */
    }
  }
  try {
    const snapshot = await page.locator('body').ariaSnapshot({ timeout: 3000 });
    draft.ariaSnapshot = snapshot.length > maxAriaSnapshot ? `${snapshot.slice(0, maxAriaSnapshot)}\n…` : snapshot;
  } catch {
    /* a page mid-navigation has no body yet */
  }
  const target = draft.target;
  if (target?.strategy === 'role' && target.role && target.name) {
    // The page's own role/name guess, checked against Playwright's real matcher when it still exists.
    try {
      const count = await page.getByRole(target.role as Parameters<Page['getByRole']>[0], { name: target.name, exact: true }).count();
      if (count > 1) {
        target.strategy = target.testId ? 'testId' : target.css ? 'css' : 'position';
        target.locator = target.testId ? `getByTestId('${target.testId.replace(/'/g, "\\'")}')` : target.css ? `locator('${target.css.replace(/'/g, "\\'")}')` : undefined;
      }
    } catch {
      /* keep the page's answer */
    }
  }
}

async function runWebScript(steps: readonly ScriptStep[], page: Page, signal: AbortSignal, gapMs: number): Promise<void> {
  for (const [index, step] of steps.entries()) {
    if (signal.aborted) return;
    try {
      switch (step.action) {
        case 'click':
          if ('selector' in step) await page.click(step.selector, { timeout: 10_000 });
          else if (step.double) await page.mouse.dblclick(step.x, step.y, { button: step.button });
          else await page.mouse.click(step.x, step.y, { button: step.button });
          break;
        case 'type':
          await page.keyboard.type(step.text, { delay: 35 });
          break;
        case 'press': {
          const chord = parseChord(step.key);
          if (!chord) throw new SkillframeError('bad_input', `script[${index}].key: cannot read chord ${JSON.stringify(step.key)}`);
          await page.keyboard.press(chordForPlaywright(chord));
          break;
        }
        case 'wait':
          await sleep(step.ms, signal);
          break;
      }
    } catch (error) {
      if (error instanceof SkillframeError) throw error;
      if (signal.aborted) return;
      throw new SkillframeError('unavailable', `script[${index}] (${step.action}) failed: ${(error as Error).message.split('\n')[0]}`);
    }
    await sleep(gapMs, signal);
  }
}

function redactUrlForMeta(url: string, options: WebRecordOptions): string {
  let out = url;
  for (const pattern of options.redactions) {
    pattern.pattern.lastIndex = 0;
    out = out.replace(pattern.pattern, (found) => (pattern.accept && !pattern.accept(found) ? found : pattern.replacement));
  }
  return out;
}
