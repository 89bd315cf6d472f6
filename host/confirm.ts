import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../core/index.ts';
import type { Dispatcher } from './dispatcher.ts';

/**
 * Confirmation through a UI (browser or Electron window): broadcast a `confirm.request` event and
 * wait for `confirm.answer`. No answer before the timeout, or a cancelled command, means "no".
 */
export function uiConfirm(dispatcher: Dispatcher, broadcast: (envelope: EventEnvelope) => void, timeoutMs = 120_000) {
  const pendingConfirmations = dispatcher.pendingConfirmations;
  return (question: string, details: unknown, signal: AbortSignal) =>
    new Promise<boolean>((resolve) => {
      const confirmId = randomUUID();
      const finish = (answer: boolean) => {
        clearTimeout(timer);
        pendingConfirmations.delete(confirmId);
        resolve(answer);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal.addEventListener('abort', () => finish(false), { once: true });
      pendingConfirmations.set(confirmId, finish);
      broadcast({ event: 'confirm.request', payload: { confirmId, question, ...(details === undefined ? {} : { details }) }, at: Date.now() });
    });
}
