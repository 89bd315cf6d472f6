import { useEffect, useState } from 'preact/hooks';
import type { RecordingSummary } from '../../core/commands/recording.ts';
import type { OutputOf, PayloadOf } from '../../core/index.ts';
import { EmptyState, ErrorLine, NotYet, Page, useAvailable, useClient, useLoad } from '../components/common.tsx';

type LiveEvent = PayloadOf<'record.event'>['event'];
type Result = OutputOf<'record'>;

/** One line per event, the way a person would say it. */
export function describeEvent(event: LiveEvent): string {
  const where = event.target?.name ?? event.target?.text ?? event.window?.title;
  const on = where ? ` on “${where}”` : '';
  switch (event.kind) {
    case 'type':
      return event.masked ? `typed a password${on}` : `typed ${JSON.stringify(event.text ?? event.value ?? '')}${on}`;
    case 'key':
      return `pressed ${event.key ?? '?'}${on}`;
    case 'scroll':
      return `scrolled ${Math.round(event.scroll?.dy ?? 0)} px${on}`;
    case 'select':
      return `chose ${JSON.stringify(event.value ?? '')}${on}`;
    case 'navigate':
      return `went to ${event.url ?? ''}`;
    case 'wait':
      return `waited ${event.ms ?? 0} ms`;
    default: {
      const point = event.pointer ? ` at ${Math.round(event.pointer.x)},${Math.round(event.pointer.y)}` : '';
      return `${event.kind.replace('_', ' ')}${on}${point}`;
    }
  }
}

/** Recordings: start one (a page or an app), watch its events arrive live, stop it, browse past ones. */
export function RecordingsPage() {
  const available = useAvailable('record');
  const client = useClient();
  const [target, setTarget] = useState('');
  const [folder, setFolder] = useState('');
  const [video, setVideo] = useState(false);
  const [running, setRunning] = useState(false);
  const [liveDir, setLiveDir] = useState<string | undefined>();
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [result, setResult] = useState<Result | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [opened, setOpened] = useState<string | undefined>();
  const [preview, setPreview] = useState<{ label: string; dataUrl: string } | undefined>();
  const list = useLoad(() => (available ? client.invoke('record.list', {}) : Promise.resolve({ dir: '', recordings: [] as RecordingSummary[] })), [available]);

  useEffect(() => {
    if (!available) return undefined;
    const offStarted = client.on('record.started', (payload) => {
      setLiveDir(payload.dir);
      setOpened(undefined);
      setEvents([]);
    });
    const offEvent = client.on('record.event', (payload) => {
      setEvents((previous) => (previous.some((item) => item.seq === payload.event.seq) ? previous : [...previous, payload.event]));
    });
    const offStopped = client.on('record.stopped', () => list.reload());
    return () => {
      offStarted();
      offEvent();
      offStopped();
    };
  }, [available]);

  if (!available) {
    return (
      <Page title="Recordings" subtitle="Recordings of people using apps and pages, ready to build into skills.">
        <NotYet capability="Recording" command="record" />
      </Page>
    );
  }

  const start = async () => {
    const value = target.trim();
    if (!value) return;
    setRunning(true);
    setError(undefined);
    setResult(undefined);
    setEvents([]);
    setOpened(undefined);
    const isUrl = /^(https?|file):/i.test(value);
    try {
      const output = await client.invoke('record', {
        ...(isUrl ? { url: value } : { app: value }),
        ...(folder.trim() ? { out: folder.trim() } : {}),
        ...(video && !isUrl ? { video: true } : {}),
      });
      setResult(output);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setRunning(false);
      list.reload();
    }
  };

  const stop = async () => {
    try {
      await client.invoke('record.stop', {});
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const open = async (dir: string) => {
    setError(undefined);
    setPreview(undefined);
    try {
      const shown = await client.invoke('record.show', { dir });
      setOpened(dir);
      setLiveDir(undefined);
      setEvents(shown.events);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const show = async (event: LiveEvent, which: 'before' | 'after') => {
    const dir = opened ?? liveDir ?? result?.dir;
    const frame = event.frames?.[which];
    if (!dir || !frame) return;
    try {
      const { dataUrl } = await client.invoke('record.frame', { dir, frame });
      setPreview({ label: `#${event.seq} ${which}: ${describeEvent(event)}`, dataUrl });
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const recordings = list.value?.recordings ?? [];
  return (
    <Page
      title="Recordings"
      subtitle="Show a task once: Skillframe records each action with before/after screenshots, ready to build into a skill."
      actions={running ? <button class="danger" data-action="stop-recording" onClick={stop}>Stop recording</button> : undefined}
    >
      <div class="card">
        <div class="row">
          <input
            aria-label="Page URL or app command"
            placeholder="https://… or an app command, e.g. galculator"
            value={target}
            onInput={(event) => setTarget((event.target as HTMLInputElement).value)}
            style={{ minWidth: '320px', flex: 1 }}
            disabled={running}
          />
          <input aria-label="Recording folder" placeholder="folder (optional)" value={folder} onInput={(event) => setFolder((event.target as HTMLInputElement).value)} disabled={running} />
          <label class="row muted">
            <input type="checkbox" checked={video} onChange={(event) => setVideo((event.target as HTMLInputElement).checked)} disabled={running} /> video (apps)
          </label>
          <button data-action="start-recording" onClick={start} disabled={running || !target.trim()}>
            {running ? 'Recording…' : 'Start recording'}
          </button>
        </div>
        <p class="muted">
          Passwords are never stored and their fields are blurred; emails, API keys and card numbers are redacted from stored text.
        </p>
      </div>
      <ErrorLine error={error} />
      {result && (
        <p data-result>
          Recorded {result.events} events ({result.frames} frames) in {(result.durationMs / 1000).toFixed(1)} s → <code>{result.dir}</code>
          {result.warnings.length > 0 && <span class="badge warn">{result.warnings.length} warnings</span>}
        </p>
      )}

      <h2>{running ? 'Live events' : opened ? `Events of ${opened}` : 'Events'}</h2>
      {events.length === 0 ? (
        <p class="muted">{running ? 'Waiting for the first action…' : 'Start a recording or open one below.'}</p>
      ) : (
        <table data-events>
          <thead>
            <tr>
              <th>#</th>
              <th>time</th>
              <th>action</th>
              <th>locator</th>
              <th>frames</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.seq} data-event-kind={event.kind}>
                <td>{event.seq}</td>
                <td class="muted">{(event.t / 1000).toFixed(1)} s</td>
                <td>
                  {describeEvent(event)} {event.masked && <span class="badge warn">masked</span>}
                  {event.redactions?.map((name) => (
                    <span class="badge" key={name}>
                      redacted {name}
                    </span>
                  ))}
                </td>
                <td class="muted">
                  <code>{event.target?.locator ?? (event.pointerInWindow ? `window +${Math.round(event.pointerInWindow.x)},${Math.round(event.pointerInWindow.y)}` : '')}</code>
                </td>
                <td>
                  {event.frames?.before && (
                    <button class="secondary" onClick={() => show(event, 'before')}>
                      before
                    </button>
                  )}{' '}
                  {event.frames?.after && (
                    <button class="secondary" onClick={() => show(event, 'after')}>
                      after
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview && (
        <figure class="card" data-preview>
          <figcaption class="muted">{preview.label}</figcaption>
          <img src={preview.dataUrl} alt={preview.label} style={{ aspectRatio: 'auto', objectFit: 'contain' }} />
        </figure>
      )}

      <h2>Recordings</h2>
      <ErrorLine error={list.error} />
      {recordings.length === 0 ? (
        <EmptyState title="No recordings yet">
          <p>
            Record from here, or from a terminal: <code>skillframe record --url URL --out DIR</code> or <code>skillframe record --app "CMD" --out DIR</code>.
          </p>
        </EmptyState>
      ) : (
        <table data-recordings>
          <thead>
            <tr>
              <th>started</th>
              <th>what</th>
              <th>events</th>
              <th>status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {recordings.map((item) => (
              <tr key={item.dir} data-recording={item.dir}>
                <td class="muted">{new Date(item.started).toLocaleString()}</td>
                <td>
                  <span class="badge">{item.kind}</span> {item.subject} {item.mode === 'script' && <span class="badge">scripted</span>}
                </td>
                <td>{item.events}</td>
                <td>
                  <span class={`badge ${item.status === 'complete' ? 'ok' : 'warn'}`}>{item.status}</span>
                </td>
                <td>
                  <button class="secondary" onClick={() => open(item.dir)}>
                    Open
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
