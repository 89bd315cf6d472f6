import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { SkillframeError, toErrorBody, type Reply } from '../../core/index.ts';
import { startDisplay, type VirtualDisplay } from '../../native/display/xvfb.ts';
import type { HandlerTable } from '../dispatcher.ts';

/**
 * One fleet job in its own throwaway environment (the hidden `skillframe __fleet-job` command,
 * started by a worker per attempt): a fresh HOME and SKILLFRAME_HOME holding only the skills the
 * job names (each audited again on the way in), its own Xvfb display with a window manager, and
 * the same dispatcher as every host. It reads its job from stdin and writes JSON lines to stdout:
 * `{"type":"progress",…}` while it runs, one `{"type":"reply","reply":…}` at the end. A retry
 * therefore never acts on an app or browser that a dead attempt left behind.
 */

export const RunnerJob = z.object({
  command: z.string(),
  input: z.record(z.string(), z.unknown()),
  /** Skill names to copy (and audit) from the shared library into the job's own library. */
  skills: z.array(z.string()),
  library: z.string(),
  evidence: z.string(),
  settings: z.string().optional(),
});
export type RunnerJob = z.infer<typeof RunnerJob>;

function emit(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk.toString();
  return text;
}

export async function runFleetJob(_argv: readonly string[], extraHandlers: HandlerTable): Promise<number> {
  const job = RunnerJob.parse(JSON.parse(await readStdin()));
  const controller = new AbortController();
  const stop = (reason: string) => controller.abort(new SkillframeError('aborted', reason));
  process.on('SIGTERM', () => stop('the fleet job was cancelled'));
  process.on('SIGINT', () => stop('the fleet job was cancelled'));
  // A worker killed with -9 cannot tell us: when our parent changes, we are an orphan and stop.
  const parent = process.ppid;
  const watch = setInterval(() => process.ppid !== parent && stop('the worker that ran this job died'), 300);

  const home = mkdtempSync(join(tmpdir(), 'sf-fleet-job-'));
  let display: VirtualDisplay | undefined;
  let reply: Reply;
  try {
    process.env.HOME = home;
    process.env.SKILLFRAME_HOME = join(home, '.skillframe');
    mkdirSync(process.env.SKILLFRAME_HOME, { recursive: true, mode: 0o700 });
    if (job.settings && existsSync(job.settings)) cpSync(job.settings, join(process.env.SKILLFRAME_HOME, 'settings.json'));
    const { SkillLibrary } = await import('../../skills-mm/library.ts');
    const library = new SkillLibrary(join(process.env.SKILLFRAME_HOME, 'skills'));
    for (const name of job.skills) {
      const source = join(job.library, name);
      if (!existsSync(join(source, 'SKILL.md'))) throw new SkillframeError('not_found', `no skill ${JSON.stringify(name)} in the shared library ${job.library}`);
      await library.add(source, { signal: controller.signal });
    }
    display = await startDisplay({ width: 1280, height: 800 });
    process.env.DISPLAY = display.display;
    if (display.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = display.env.XDG_RUNTIME_DIR;
    const { createDispatcher } = await import('../create.ts');
    const dispatcher = createDispatcher(extraHandlers);
    reply = await dispatcher.dispatch(job.command, job.input, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.event !== 'progress') return;
        const payload = event.payload as { fraction?: number; message?: string };
        emit({ type: 'progress', ...(payload.fraction === undefined ? {} : { fraction: payload.fraction }), ...(payload.message === undefined ? {} : { message: payload.message }) });
      },
      // Nobody watches a fleet job: a question is answered no.
      confirm: async () => false,
    });
    await saveScreenshot(join(job.evidence, 'screen.png'));
  } catch (error) {
    reply = { ok: false, error: toErrorBody(error) };
  } finally {
    clearInterval(watch);
  }
  emit({ type: 'reply', reply });
  await display?.dispose().catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
  return 0;
}

/** The job's display at its end, as evidence. */
async function saveScreenshot(file: string): Promise<void> {
  try {
    const { createScreen, encodePng } = await import('../../native/screen/index.ts');
    const screen = await createScreen(process.env);
    try {
      const capture = await screen.capture();
      writeFileSync(file, await encodePng(capture));
    } finally {
      screen.dispose();
    }
  } catch {
    /* evidence is best effort; the reply says what happened */
  }
}
