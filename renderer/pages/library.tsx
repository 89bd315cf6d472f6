import { useEffect, useState } from 'preact/hooks';
import type { OutputOf } from '../../core/index.ts';
import { CommandError } from '../client.ts';
import { EmptyState, ErrorLine, NotYet, Page, useAvailable, useClient, useLoad } from '../components/common.tsx';

type LibrarySkill = OutputOf<'library.list'>['skills'][number];

interface CardView {
  view: string;
  file: string;
  width: number;
  height: number;
  marks: string[];
}
interface StateCardView {
  state_id: string;
  stage: string;
  image_role: string;
  when_to_use: string;
  when_not_to_use: string;
  visible_cues: string[];
  verification_cue: string;
  visual_risk: string;
  available_views: CardView[];
  step_ids: number[];
}
interface PlanView {
  app: { name: string; url?: string; command?: string };
  parameters: { name: string; default: string; description: string }[];
  steps: { id: number; action: string; description: string; state_id: string; destructive: boolean; destructive_reason?: string }[];
}

function skillRoute(): string | undefined {
  const parts = window.location.hash.replace(/^#\/?/, '').split('/');
  return parts[0] === 'library' && parts[1] ? decodeURIComponent(parts[1]) : undefined;
}

/** Library: skill cards with keyframes, audit result and tier; `#/library/NAME` opens one skill. */
export function LibraryPage() {
  const available = useAvailable('library.list');
  const [selected, setSelected] = useState(skillRoute());
  useEffect(() => {
    const onHash = () => setSelected(skillRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  if (!available) {
    return (
      <Page title="Library" subtitle="Skills in your library, with their keyframes, audit result and permission tier.">
        <NotYet capability="Skill library" command="library.list" />
      </Page>
    );
  }
  return selected ? <SkillDetail name={selected} /> : <SkillList />;
}

/** An image of a package, fetched through the contract as a data URL (the UI never reads files). */
function Thumb(props: { skill: string; file: string; maxSide?: number; alt: string }) {
  const client = useClient();
  const image = useLoad(() => client.invoke('library.image', { name: props.skill, file: props.file, maxSide: props.maxSide ?? 320 }), [props.skill, props.file]);
  if (image.error) return <span class="muted" data-thumb-error>{image.error}</span>;
  if (!image.value) return <span class="muted">…</span>;
  return <img src={image.value.data_url} width={image.value.width} height={image.value.height} alt={props.alt} data-thumb={props.file} style={{ maxWidth: '100%', height: 'auto', borderRadius: 4 }} />;
}

function AuditBadge(props: { audit: LibrarySkill['audit'] }) {
  const warnings = props.audit.findings.filter((finding) => finding.severity === 'warn').length;
  return (
    <span class={`badge ${props.audit.accepted ? 'ok' : 'missing'}`} data-audit={props.audit.accepted ? 'accepted' : 'refused'} title={props.audit.findings.map((finding) => `${finding.code}: ${finding.message}`).join('\n')}>
      {props.audit.accepted ? 'audit passed' : 'audit refused'}
      {warnings ? ` · ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}
    </span>
  );
}

function SkillList() {
  const client = useClient();
  const list = useLoad(() => client.invoke('library.list', {}));
  const [query, setQuery] = useState('');
  const [order, setOrder] = useState<string[] | undefined>(undefined);
  const [source, setSource] = useState('');
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  const search = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    if (!query.trim()) {
      setOrder(undefined);
      return;
    }
    try {
      const result = await client.invoke('library.search', { query: query.trim().split(/\s+/) });
      setOrder(result.hits.map((hit) => hit.name));
    } catch (caught) {
      setError((caught as Error).message);
    }
  };

  const add = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setMessage(undefined);
    try {
      const result = await client.invoke('library.add', { source: source.trim() });
      setMessage(`Added ${result.skill.name}.`);
      setSource('');
      list.reload();
    } catch (caught) {
      const report = caught instanceof CommandError ? (caught.details as { report?: { findings: { code: string; message: string }[] } } | undefined)?.report : undefined;
      setError(report ? `Refused: ${report.findings.map((finding) => `${finding.code} (${finding.message})`).join('; ')}` : (caught as Error).message);
    }
  };

  const skills = list.value?.skills ?? [];
  const shown = order ? order.map((name) => skills.find((skill) => skill.name === name)).filter((skill): skill is LibrarySkill => Boolean(skill)) : skills;
  return (
    <Page title="Library" subtitle="Skills in your library, with their keyframes, audit result and permission tier.">
      <div class="row" style={{ gap: 16, flexWrap: 'wrap', marginBottom: 16 }}>
        <form class="row" onSubmit={search} data-search>
          <input type="search" placeholder="Search skills (BM25 over names, cards, steps)" value={query} onInput={(event) => setQuery((event.target as HTMLInputElement).value)} aria-label="Search skills" />
          <button type="submit">Search</button>
        </form>
        <form class="row" onSubmit={add} data-add>
          <input placeholder="Package folder or .zip path" value={source} onInput={(event) => setSource((event.target as HTMLInputElement).value)} aria-label="Package to add" />
          <button type="submit" disabled={!source.trim()}>Add (audited)</button>
        </form>
      </div>
      {message && <p class="muted" role="status">{message}</p>}
      <ErrorLine error={error ?? list.error} />
      {list.loading && !list.value && <p class="muted">Loading…</p>}
      {list.value && !skills.length && (
        <EmptyState title="No skills yet">
          <p>
            Build one from a recording with <code>skillframe build RECORDING --out DIR</code>, then <code>skillframe library add DIR</code>.
          </p>
        </EmptyState>
      )}
      {order && !shown.length && <p class="muted">No skill matches “{query}”.</p>}
      <div class="grid" data-skills>
        {shown.map((skill) => (
          <div class="card" key={skill.name} data-skill={skill.name}>
            {skill.thumbnail && <Thumb skill={skill.name} file={skill.thumbnail} alt={`Keyframe of ${skill.name}`} />}
            <h3>
              <a href={`#/library/${encodeURIComponent(skill.name)}`}>{skill.name}</a>
            </h3>
            <p class="muted">{skill.description.slice(0, 220)}</p>
            <div class="row" style={{ flexWrap: 'wrap', gap: 6 }}>
              <span class="badge" data-tier={skill.permission_tier}>tier: {skill.permission_tier}</span>
              <span class="badge">{skill.platform} · {skill.app}</span>
              <span class="badge">{skill.steps} steps · {skill.states} states</span>
              <AuditBadge audit={skill.audit} />
            </div>
            <SkillActions name={skill.name} onRemoved={() => list.reload()} />
          </div>
        ))}
      </div>
    </Page>
  );
}

/**
 * What a person does with a skill: replay it, verify it against the live app, export it, install
 * it for an agent. Remove is secondary and asks first (it deletes the package).
 */
function SkillActions(props: { name: string; onRemoved: () => void }) {
  const client = useClient();
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [agent, setAgent] = useState<'claude' | 'codex' | 'agents'>('claude');
  const run = async (what: string, work: () => Promise<string | undefined>) => {
    setBusy(what);
    setError(undefined);
    setMessage(undefined);
    try {
      const said = await work();
      if (said) setMessage(said);
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  const verify = () =>
    run('verify', async () => {
      const result = await client.invoke('library.verify', { skills: [props.name] });
      const health = result.skills[0];
      return health ? `Verify (${health.mode}): ${health.health}${health.broken ? ` at step ${health.broken.index}: ${health.broken.reason}` : ''}.` : 'Nothing verified.';
    });
  const exportZip = () =>
    run('export', async () => {
      const out = window.prompt('Export to which .zip file (on the machine Skillframe runs on)?', `${props.name}.zip`);
      if (!out) return undefined;
      const result = await client.invoke('library.export', { name: props.name, out });
      return `Exported to ${result.file} (${result.bytes} bytes).`;
    });
  const install = () =>
    run('install', async () => {
      try {
        const result = await client.invoke('library.install', { name: props.name, agent });
        return `Installed for ${agent} in ${result.dir}.`;
      } catch (caught) {
        if (!(caught instanceof CommandError) || caught.code !== 'refused' || !window.confirm(`${caught.message}\n\nReplace the installed copy?`)) throw caught;
        const result = await client.invoke('library.install', { name: props.name, agent, replace: true });
        return `Replaced the copy for ${agent} in ${result.dir}.`;
      }
    });
  const remove = () =>
    run('remove', async () => {
      if (!window.confirm(`Remove ${props.name} from the library? Its package is deleted; copies installed for agents stay.`)) return undefined;
      await client.invoke('library.remove', { name: props.name });
      props.onRemoved();
      return `Removed ${props.name}.`;
    });
  return (
    <div data-actions={props.name} style={{ marginTop: 8 }}>
      <div class="row" style={{ flexWrap: 'wrap', gap: 6 }}>
        <button type="button" data-action="replay" onClick={() => (window.location.hash = `#/replay/${encodeURIComponent(props.name)}`)}>Replay</button>
        <button type="button" data-action="verify" disabled={Boolean(busy)} onClick={verify}>{busy === 'verify' ? 'Verifying…' : 'Verify'}</button>
        <button type="button" data-action="export" disabled={Boolean(busy)} onClick={exportZip}>Export</button>
        <select aria-label={`Agent to install ${props.name} for`} value={agent} onChange={(event) => setAgent((event.target as HTMLSelectElement).value as typeof agent)}>
          <option value="claude">Claude</option>
          <option value="codex">Codex</option>
          <option value="agents">.agents</option>
        </select>
        <button type="button" data-action="install" disabled={Boolean(busy)} onClick={install}>Install for agent</button>
        <button type="button" class="secondary" data-action="remove" disabled={Boolean(busy)} onClick={remove} aria-label={`Remove ${props.name}`}>Remove</button>
      </div>
      {message && <p class="muted" role="status">{message}</p>}
      <ErrorLine error={error} />
    </div>
  );
}

function SkillDetail(props: { name: string }) {
  const client = useClient();
  const shown = useLoad(() => client.invoke('library.show', { name: props.name }), [props.name]);
  const value = shown.value;
  const cards = (value?.state_cards as { states: StateCardView[] } | undefined)?.states ?? [];
  const plan = value?.plan as PlanView | undefined;
  return (
    <Page title={props.name} subtitle={value?.skill.description} actions={<a href="#/library">← Library</a>}>
      <ErrorLine error={shown.error} />
      {shown.loading && !value && <p class="muted">Loading…</p>}
      {value && plan && (
        <div data-skill-detail={props.name}>
          <div class="row" style={{ flexWrap: 'wrap', gap: 6, marginBottom: 12 }}>
            <span class="badge" data-tier={value.skill.permission_tier}>tier: {value.skill.permission_tier}</span>
            <span class="badge">{value.skill.platform} · {plan.app.name}</span>
            <span class="badge">version {value.skill.version}</span>
            <AuditBadge audit={value.skill.audit} />
          </div>
          <SkillActions name={props.name} onRemoved={() => (window.location.hash = '#/library')} />
          {plan.parameters.length > 0 && (
            <>
              <h2 style={{ fontSize: 16 }}>Parameters</h2>
              <table data-parameters>
                <thead>
                  <tr><th>Name</th><th>Default</th><th>What</th></tr>
                </thead>
                <tbody>
                  {plan.parameters.map((parameter) => (
                    <tr key={parameter.name}>
                      <td><code>{parameter.name}</code></td>
                      <td>{parameter.default || <span class="muted">(none)</span>}</td>
                      <td>{parameter.description}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <h2 style={{ fontSize: 16 }}>Procedure</h2>
          <ol data-procedure>
            {plan.steps.map((step) => (
              <li key={step.id}>
                {step.description} <span class="muted">[{step.action} · {step.state_id}]</span>
                {step.destructive && <span class="badge missing" title={step.destructive_reason}> destructive: asks first</span>}
              </li>
            ))}
          </ol>
          <h2 style={{ fontSize: 16 }}>State cards</h2>
          {cards.map((card) => (
            <div class="card" key={card.state_id} data-state={card.state_id} style={{ marginBottom: 12 }}>
              <h3>
                {card.state_id} · {card.stage}
              </h3>
              <p><strong>When to use:</strong> {card.when_to_use}</p>
              <p><strong>When not to use:</strong> {card.when_not_to_use}</p>
              {card.visible_cues.length > 0 && <p><strong>Visible cues:</strong> {card.visible_cues.join(' · ')}</p>}
              <p><strong>Check:</strong> {card.verification_cue}</p>
              <p class="muted"><strong>Visual risk:</strong> {card.visual_risk}</p>
              <div class="grid">
                {card.available_views.map((view) => (
                  <figure key={view.file} style={{ margin: 0 }}>
                    <Thumb skill={props.name} file={view.file} maxSide={480} alt={`${card.state_id} ${view.view}`} />
                    <figcaption class="muted">{view.view}{view.marks.length ? ` (${view.marks.map((mark) => (mark === 'target' ? 'red = target' : 'green = check')).join(', ')})` : ''}</figcaption>
                  </figure>
                ))}
              </div>
            </div>
          ))}
        </div>
      )}
    </Page>
  );
}
