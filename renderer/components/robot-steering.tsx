import { useEffect, useState } from 'preact/hooks';
import type { BenchReport, Layout, Method, Point, SimFrame } from '../../core/commands/robot.ts';
import { ErrorLine, NotYet, useAvailable, useClient, useLoad } from './common.tsx';

/** Steered policies in simulation: the layout with rollouts of each method, live particles and chosen chunk, success bars with 95 % CIs. */

const methodColors: Record<Method, string> = {
  base: '#9aa0a6',
  best_of_n: '#f4b400',
  itps: '#ab47bc',
  vls: '#1e88e5',
  vls_no_barrier: '#80cbc4',
  vls_no_adaptive: '#5c6bc0',
  vls_no_mcmc: '#4fc3f7',
  rts: '#43a047',
  rts_vls: '#e53935',
};
const allMethods = Object.keys(methodColors) as Method[];

const view = { minX: -0.2, maxX: 1.2, minY: -0.6, maxY: 0.6 };
const width = 560;
const height = (width * (view.maxY - view.minY)) / (view.maxX - view.minX);
const px = (x: number) => ((x - view.minX) / (view.maxX - view.minX)) * width;
const py = (y: number) => ((view.maxY - y) / (view.maxY - view.minY)) * height;
const polyline = (path: readonly Point[]) => path.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');

function Scene(props: { layout: Layout; rollouts: Partial<Record<Method, { path: Point[]; success: boolean }>>; live?: SimFrame; livePath: Point[] }) {
  const { layout, live } = props;
  return (
    <svg width={width} height={height} role="img" aria-label={`layout ${layout.name}`} data-scene={layout.name} style={{ background: '#fff', borderRadius: 8 }}>
      {layout.obstacles.map((obstacle, index) => (
        <circle key={index} cx={px(obstacle.center[0])} cy={py(obstacle.center[1])} r={(obstacle.radius / (view.maxX - view.minX)) * width} fill="#777" />
      ))}
      {(Object.entries(props.rollouts) as [Method, { path: Point[]; success: boolean }][]).map(([method, rollout]) => (
        <polyline key={method} data-rollout={method} points={polyline(rollout.path)} fill="none" stroke={methodColors[method]} stroke-width={2} stroke-dasharray={rollout.success ? undefined : '5 4'} opacity={0.8} />
      ))}
      {live?.particles.map((particle, index) => <polyline key={`p${index}`} data-particle points={polyline([live.position, ...particle])} fill="none" stroke="#bbb" stroke-width={1} />)}
      {props.livePath.length > 1 && <polyline points={polyline(props.livePath)} fill="none" stroke="#222" stroke-width={2.5} />}
      {live && <polyline data-chosen points={polyline([live.position, ...live.chosen])} fill="none" stroke={methodColors[live.method]} stroke-width={3} />}
      <circle cx={px(layout.start[0])} cy={py(layout.start[1])} r={6} fill="green" />
      <circle cx={px(layout.goal[0])} cy={py(layout.goal[1])} r={6} fill="red" />
    </svg>
  );
}

function SuccessBars(props: { report: BenchReport }) {
  return (
    <div data-bench>
      {Object.entries(props.report.layouts).map(([layout, byMethod]) => (
        <div key={layout} style={{ marginBottom: 10 }}>
          <strong>{layout}</strong>
          {(Object.entries(byMethod) as [Method, BenchReport['layouts'][string][string]][]).map(([method, stats]) => (
            <div key={method} class="row" style={{ gap: 6 }} data-bar={`${layout}/${method}`}>
              <span style={{ width: 110, fontSize: 12 }}>{method}</span>
              <svg width={240} height={14}>
                <rect x={0} y={2} width={240} height={10} fill="#eee" />
                <rect x={0} y={2} width={240 * stats.success} height={10} fill={methodColors[method] ?? '#888'} />
                <line x1={240 * stats.ci95[0]} x2={240 * stats.ci95[1]} y1={7} y2={7} stroke="#000" stroke-width={1.5} />
                <line x1={240 * stats.ci95[0]} x2={240 * stats.ci95[0]} y1={3} y2={11} stroke="#000" />
                <line x1={240 * stats.ci95[1]} x2={240 * stats.ci95[1]} y1={3} y2={11} stroke="#000" />
              </svg>
              <span style={{ fontSize: 12 }}>
                {(stats.success * 100).toFixed(0)} % [{(stats.ci95[0] * 100).toFixed(0)}, {(stats.ci95[1] * 100).toFixed(0)}] · {stats.latency_ms_p50.toFixed(2)} ms
              </span>
            </div>
          ))}
        </div>
      ))}
      <p style={{ fontSize: 12 }}>
        {props.report.seeds.length} seeds × {props.report.episodes} episodes · control rate {props.report.hz.toFixed(0)} Hz
      </p>
    </div>
  );
}

export function SteeringPanel() {
  const available = useAvailable('robot.sim');
  if (!available) return <NotYet capability="Policy steering" command="robot.sim" />;
  return <SteeringPanelBody />;
}

function SteeringPanelBody() {
  const client = useClient();
  const layouts = useLoad(() => client.invoke('robot.layouts', {}), []);
  const [layoutName, setLayoutName] = useState('shift_0.2');
  const [method, setMethod] = useState<Method>('vls');
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string>();
  const [live, setLive] = useState<SimFrame>();
  const [livePath, setLivePath] = useState<Point[]>([]);
  const [rollouts, setRollouts] = useState<Record<string, Partial<Record<Method, { path: Point[]; success: boolean }>>>>({});
  const [report, setReport] = useState<BenchReport>();
  const [benchRunning, setBenchRunning] = useState(false);

  useEffect(
    () =>
      client.on('robot.sim.frame', (frame) => {
        setLive(frame);
        setLivePath((path) => (path.length === 0 ? [frame.layout.start, frame.position] : [...path, frame.position]));
      }),
    [client],
  );

  const all = layouts.value ? [...layouts.value.layouts, layouts.value.validation] : [];
  const layout = all.find((candidate) => candidate.name === layoutName) ?? all[0];

  const run = async () => {
    setRunning(true);
    setError(undefined);
    setLive(undefined);
    setLivePath([]);
    try {
      const result = await client.invoke('robot.sim', { method, layout: layoutName, delayMs: 120, seed: Math.floor(Math.random() * 1e6) });
      setRollouts((previous) => ({ ...previous, [layoutName]: { ...previous[layoutName], [method]: { path: result.path, success: result.success } } }));
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setRunning(false);
    }
  };

  const bench = async () => {
    setBenchRunning(true);
    setError(undefined);
    try {
      setReport(await client.invoke('robot.bench', { episodes: 10, seeds: 1 }));
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBenchRunning(false);
    }
  };

  return (
    <div class="card" data-steering>
      <ErrorLine error={layouts.error ?? error} />
      <div class="row">
        <label>
          Layout{' '}
          <select value={layoutName} onChange={(event) => setLayoutName((event.target as HTMLSelectElement).value)}>
            {all.map((candidate) => (
              <option key={candidate.name} value={candidate.name}>
                {candidate.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Method{' '}
          <select value={method} onChange={(event) => setMethod((event.target as HTMLSelectElement).value as Method)}>
            {allMethods.map((candidate) => (
              <option key={candidate} value={candidate}>
                {candidate}
              </option>
            ))}
          </select>
        </label>
        <button onClick={run} disabled={running || !layout}>
          {running ? 'Running…' : 'Run one episode'}
        </button>
        <button class="secondary" onClick={bench} disabled={benchRunning}>
          {benchRunning ? 'Benchmarking…' : 'Quick benchmark (10 episodes)'}
        </button>
      </div>
      {layout && <Scene layout={layout} rollouts={rollouts[layoutName] ?? {}} {...(live && live.layout.name === layoutName ? { live } : {})} livePath={live?.layout.name === layoutName ? livePath : []} />}
      {live && (
        <p style={{ fontSize: 12 }} data-live>
          {live.method} · step {live.step}
          {live.stage ? ` · stage: ${live.stage}` : ''}
          {live.injected ? ' · prior injected' : ''}
          {live.done ? (live.success ? ' · success' : live.collided ? ' · collision' : ' · failed') : ''}
        </p>
      )}
      <div class="row" style={{ fontSize: 12 }}>
        {allMethods.map((candidate) => (
          <span key={candidate}>
            <span style={{ display: 'inline-block', width: 10, height: 10, background: methodColors[candidate], marginRight: 4 }} />
            {candidate}
          </span>
        ))}
        <span>dashed: failed rollout · grey: particles · bold: chosen chunk</span>
      </div>
      {report && <SuccessBars report={report} />}
    </div>
  );
}
