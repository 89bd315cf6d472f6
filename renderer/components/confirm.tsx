import { useEffect, useState } from 'preact/hooks';
import { useClient } from './common.tsx';

/** Answers the host's confirmation requests (destructive replay steps, higher permission tiers). */
export function ConfirmDialog() {
  const client = useClient();
  const [pending, setPending] = useState<{ confirmId: string; question: string; details?: unknown }[]>([]);
  useEffect(() => client.on('confirm.request', (payload) => setPending((list) => [...list, payload])), []);
  const current = pending[0];
  if (!current) return null;
  const answer = (approve: boolean) => {
    void client.invoke('confirm.answer', { confirmId: current.confirmId, approve });
    setPending((list) => list.slice(1));
  };
  return (
    <div class="dialog" role="dialog" aria-modal="true" aria-label="Confirm">
      <div>
        <h3>{current.question}</h3>
        {current.details !== undefined && <pre>{JSON.stringify(current.details, null, 2)}</pre>}
        <div class="row">
          <button class="danger" onClick={() => answer(true)}>
            Allow
          </button>
          <button class="secondary" onClick={() => answer(false)}>
            Deny
          </button>
        </div>
      </div>
    </div>
  );
}
