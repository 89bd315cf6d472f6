import { useEffect, useState } from 'preact/hooks';
import { EmptyState, ErrorLine, Page, useClient, useLoad } from '../components/common.tsx';

/**
 * The fleet: workers, job counts and jobs with progress, results and evidence. The page asks the
 * local host, which reads the queue in Redis; other machines talk to the queue, never to this UI.
 */
export function FleetPage() {
  const client = useClient();
  const [redis, setRedis] = useState('');
  const [message, setMessage] = useState<string | undefined>();
  const status = useLoad(() => client.invoke('fleet.status', redis ? { redis, limit: 100 } : { limit: 100 }), [redis]);

  // Progress moves while jobs run: refresh every two seconds.
  useEffect(() => {
    const timer = setInterval(() => status.reload(), 2_000);
    return () => clearInterval(timer);
  }, [redis]);

  const cancel = async (job: string) => {
    if (!confirm(`Cancel fleet job ${job}? A running job is aborted on its worker and not retried.`)) return;
    try {
      const result = await client.invoke('fleet.cancel', redis ? { job, redis } : { job });
      setMessage(`Cancelled ${result.cancelled.join(', ') || 'nothing (already finished)'}.`);
      status.reload();
    } catch (failure) {
      setMessage((failure as Error).message);
    }
  };

  const value = status.value;
  return (
    <Page title="Fleet" subtitle="Jobs on the BullMQ queue in Redis, run by `skillframe worker` processes, each in its own display and library copy.">
      <form
        class="card"
        onSubmit={(event) => {
          event.preventDefault();
          setRedis(String(new FormData(event.target as HTMLFormElement).get('redis') ?? '').trim());
        }}
      >
        <label>
          Redis URL <input name="redis" placeholder="redis://127.0.0.1:6379 (or $SKILLFRAME_REDIS)" aria-label="Redis URL" />
        </label>{' '}
        <button type="submit">Connect</button>
      </form>
      <ErrorLine error={status.error ?? undefined} />
      {message && <p class="muted">{message}</p>}
      {value && (
        <>
          <section class="card" aria-label="Workers">
            <h3>Workers ({value.workers.length})</h3>
            {value.workers.length === 0 ? <p class="muted">No worker is connected. Start one: <code>skillframe worker --redis URL</code></p> : (
              <ul>{value.workers.map((worker) => <li key={worker.name}>{worker.name}{worker.address ? ` — ${worker.address}` : ''}</li>)}</ul>
            )}
            <p class="muted">{Object.entries(value.counts).map(([state, count]) => `${state}: ${count}`).join(' · ')}</p>
          </section>
          {value.jobs.length === 0 ? (
            <EmptyState title="No jobs yet">Submit one: <code>skillframe fleet submit replay --input '{"{"}"skill":"NAME","url":"…"{"}"}'</code></EmptyState>
          ) : (
            <table class="card" aria-label="Jobs">
              <thead>
                <tr><th>Job</th><th>Command</th><th>State</th><th>Progress</th><th>Attempts</th><th>Result</th><th>Evidence</th><th></th></tr>
              </thead>
              <tbody>
                {value.jobs.map((job) => (
                  <tr key={job.id} data-job={job.id}>
                    <td>{job.id}{job.parent ? ` (of ${job.parent})` : ''}</td>
                    <td>{job.command}</td>
                    <td>{job.state}</td>
                    <td>{job.progress?.fraction !== undefined ? <progress max={1} value={job.progress.fraction} /> : null} {job.progress?.message ?? ''}</td>
                    <td>{job.attempts}</td>
                    <td>{job.error ? `${job.error.code}: ${job.error.message}` : job.state === 'completed' ? 'done' : ''}</td>
                    <td>{job.evidence ? <code title="folder on the worker's shared results directory">{job.evidence}</code> : ''}</td>
                    <td>{['waiting', 'active', 'delayed', 'waiting-children', 'prioritized'].includes(job.state) && <button class="secondary" onClick={() => cancel(job.id)}>Cancel</button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </Page>
  );
}
