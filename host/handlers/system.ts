import { commands as allCommands, parseOrThrow, SkillframeError } from '../../core/index.ts';
import { Settings } from '../../core/commands/system.ts';
import { appVersion } from '../../native/app-root.ts';
import type { HandlerTable } from '../dispatcher.ts';
import { runDoctor } from '../doctor.ts';
import { bindApiKey, publicSettings, readSettings, writeSettings } from '../home.ts';
import { stopOtherProcesses } from '../kill-switch.ts';

export const version: string = appVersion();

export const systemHandlers: HandlerTable = {
  ping: (input) => ({ pong: true, version, ...(input.echo === undefined ? {} : { echo: input.echo }) }),
  commands: () => ({
    commands: Object.values(allCommands)
      .filter((spec) => !spec.cli?.hidden)
      .map((spec) => ({ name: spec.name, summary: spec.summary })),
  }),
  doctor: async () => {
    const report = await runDoctor();
    return { ok: report.ok, checks: report.checks.map(({ optional: _optional, ...check }) => check) };
  },
  'settings.get': () => publicSettings(readSettings()),
  'settings.set': (input) => {
    let patch: unknown;
    try {
      patch = JSON.parse(input.json);
    } catch (error) {
      throw new SkillframeError('bad_input', `input.json: not valid JSON (${(error as Error).message})`);
    }
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw new SkillframeError('bad_input', 'input.json: expected a JSON object');
    const current = readSettings();
    const merged = mergeDeep(current as unknown as Record<string, unknown>, patch as Record<string, unknown>);
    const next = bindApiKey(current, patch as Record<string, unknown>, parseOrThrow(Settings, merged, 'settings'));
    writeSettings(next);
    return publicSettings(next);
  },
  'confirm.answer': (input, context) => {
    const resolve = context.host.pendingConfirmations.get(input.confirmId);
    if (!resolve) return { answered: false };
    context.host.pendingConfirmations.delete(input.confirmId);
    resolve(input.approve);
    return { answered: true };
  },
  stop: async (input, context) => {
    const stopped = context.host.abortAll('stopped by the kill switch', ['stop']) + stopOtherProcesses();
    if (!input.fleet) return { stopped };
    const [{ cancelJobs }, { redisUrl }] = await Promise.all([import('./fleet.ts'), import('../fleet/queue.ts')]);
    return { stopped, fleetCancelled: await cancelJobs(redisUrl(input.redis), undefined) };
  },
  'debug.sleep': async (input, context) => {
    const step = input.ms / input.steps;
    for (let index = 0; index < input.steps; index += 1) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, step);
        context.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(context.signal.reason);
        }, { once: true });
      });
      context.progress({ fraction: (index + 1) / input.steps, message: `step ${index + 1}/${input.steps}` });
    }
    return { slept: input.ms };
  },
};

function mergeDeep(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const existing = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && existing && typeof existing === 'object' && !Array.isArray(existing)
        ? mergeDeep(existing as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}
