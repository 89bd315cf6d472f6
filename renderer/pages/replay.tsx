import { useEffect, useState } from 'preact/hooks';
import type { PayloadOf } from '../../core/index.ts';
import { EmptyState, ErrorLine, Page, useClient, useLoad } from '../components/common.tsx';

type StepEvent = PayloadOf<'replay.step'>;

/** Live view of a replay: the screen as replay saw it, the target box, the tier and confidence. */
export function ReplayPage() {
  const client = useClient();
  const library = useLoad(() => client.invoke('library.list', {}).catch(() => ({ skills: [] as { name: string; platform: string; app: string }[] })));
  const [steps, setSteps] = useState<StepEvent[]>([]);
  const [latest, setLatest] = useState<StepEvent | undefined>();
  const [running, setRunning] = useState(false);
  const [outcome, setOutcome] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  // Secrets redacted at recording: replay refused to start without them, so the page asks and reruns.
  const [secrets, setSecrets] = useState<{ names: string[]; form: FormData } | undefined>();

  useEffect(
    () =>
      client.on('replay.step', (step) => {
        if (step.screenshot) setLatest(step);
        if (step.status === 'skipped' && step.reason === 'grounding') return;
        setSteps((list) => [...list.filter((item) => item.index !== step.index || item.skill !== step.skill), step].sort((a, b) => a.index - b.index));
      }),
    [],
  );

  const start = (event: Event) => {
    event.preventDefault();
    void run(new FormData(event.target as HTMLFormElement), {});
  };

  const giveSecrets = (event: Event) => {
    event.preventDefault();
    if (!secrets) return;
    const answers = new FormData(event.target as HTMLFormElement);
    void run(secrets.form, Object.fromEntries(secrets.names.map((name) => [name, String(answers.get(name) ?? '')])));
  };

  const run = async (form: FormData, params: Record<string, string>) => {
    const target = String(form.get('target') ?? '').trim();
    const skill = String(form.get('skill'));
    const platform = (library.value?.skills ?? []).find((entry) => entry.name === skill)?.platform;
    setSteps([]);
    setLatest(undefined);
    setOutcome(undefined);
    setError(undefined);
    setSecrets(undefined);
    setRunning(true);
    try {
      const report = await client.invoke('replay', {
        skill,
        ...(target ? (platform === 'web' ? { url: target } : { app: target }) : platform === 'x11' ? { attach: true } : {}),
        dryRun: form.get('dryRun') === 'on',
        confirm: String(form.get('confirm')) as 'ask' | 'auto' | 'never',
        ...(Object.keys(params).length ? { param: Object.entries(params).map(([name, value]) => `${name}=${value}`) } : {}),
      });
      setOutcome(report.ok ? `Done: ${report.steps.filter((step) => step.status === 'done').length} steps in ${(report.totalMs / 1000).toFixed(1)} s` : `Stopped: ${report.error?.code}: ${report.error?.message}`);
    } catch (failure) {
      const missing = (failure as { details?: { missing_parameters?: unknown } }).details?.missing_parameters;
      if (Array.isArray(missing) && missing.length) setSecrets({ names: missing.map(String), form });
      setError((failure as Error).message);
    } finally {
      setRunning(false);
    }
  };

  const skills = library.value?.skills ?? [];
  return (
    <Page
      title="Replay"
      subtitle="Each step is grounded on the live screen (DOM/a11y → template → OCR → anchors → VLM), acted on only when confident, then verified."
      actions={
        <button class="danger" data-stop onClick={() => void client.invoke('stop', {})}>
          Stop
        </button>
      }
    >
      {skills.length === 0 ? (
        <EmptyState title="No skills in the library yet">
          <p>Record a task and build it (<code>skillframe record</code>, <code>skillframe build</code>, <code>skillframe library add</code>), then replay it here.</p>
        </EmptyState>
      ) : (
        <form class="card row" onSubmit={start} style={{ marginBottom: 16 }}>
          <label for="skill">Skill</label>
          <select id="skill" name="skill">
            {skills.map((entry) => (
              <option value={entry.name} selected={entry.name === chosenSkill()}>
                {entry.name} ({entry.platform}, {entry.app})
              </option>
            ))}
          </select>
          <input name="target" placeholder="URL (web) or app command (X11); empty = attach" style={{ minWidth: 280 }} />
          <select name="confirm" aria-label="Destructive steps">
            <option value="ask">ask before destructive steps</option>
            <option value="never">never run destructive steps</option>
            <option value="auto">run without asking</option>
          </select>
          <label class="row">
            <input type="checkbox" name="dryRun" /> dry run
          </label>
          <button type="submit" disabled={running}>
            {running ? 'Replaying…' : 'Replay'}
          </button>
        </form>
      )}
      <ErrorLine error={error} />
      {secrets && (
        <form class="card row" onSubmit={giveSecrets} data-secrets style={{ marginBottom: 16 }}>
          <span>This skill needs values that were redacted when it was recorded (they are not stored):</span>
          {secrets.names.map((name) => (
            <label class="row" key={name}>
              {name} <input type="password" name={name} data-secret={name} required autocomplete="off" />
            </label>
          ))}
          <button type="submit" disabled={running}>
            Replay with these values
          </button>
        </form>
      )}
      {outcome && <p data-outcome>{outcome}</p>}
      <div class="row" style={{ alignItems: 'flex-start' }}>
        {latest?.screenshot && (
          <div class="card" style={{ flex: '1 1 480px', position: 'relative' }} data-live>
            <div style={{ position: 'relative' }}>
              <img src={latest.screenshot} alt="The screen as replay saw it" style={{ width: '100%', aspectRatio: 'auto' }} />
              {latest.box && latest.frameSize && (
                <div
                  style={{
                    position: 'absolute',
                    border: '2px solid #f85149',
                    left: `${(latest.box[0] / latest.frameSize.width) * 100}%`,
                    top: `${(latest.box[1] / latest.frameSize.height) * 100}%`,
                    width: `${(latest.box[2] / latest.frameSize.width) * 100}%`,
                    height: `${(latest.box[3] / latest.frameSize.height) * 100}%`,
                  }}
                />
              )}
            </div>
            <p class="muted">
              Step {latest.index}/{latest.total || '?'} · {latest.tier ?? '—'} {latest.confidence !== undefined ? `· confidence ${latest.confidence.toFixed(2)}` : ''}
            </p>
          </div>
        )}
        <table style={{ flex: '1 1 420px' }} data-steps>
          <thead>
            <tr><th>#</th><th>Step</th><th>Status</th><th>Tier</th><th>Confidence</th><th>ms</th></tr>
          </thead>
          <tbody>
            {steps.map((step) => (
              <tr key={`${step.skill}-${step.index}`} title={step.reason}>
                <td>{step.index}</td>
                <td>{step.description}</td>
                <td><span class={`badge ${step.status === 'done' ? 'ok' : step.status === 'aborted' ? 'bad' : ''}`}>{step.status}</span></td>
                <td>{step.tier ?? '—'}</td>
                <td>{step.confidence?.toFixed(2) ?? '—'}</td>
                <td>{Math.round(step.ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Page>
  );
}

/** `#/replay/NAME` (the Library's Replay button) preselects that skill. */
function chosenSkill(): string | undefined {
  const parts = window.location.hash.replace(/^#\/?/, '').split('/');
  return parts[0] === 'replay' && parts[1] ? decodeURIComponent(parts[1]) : undefined;
}
