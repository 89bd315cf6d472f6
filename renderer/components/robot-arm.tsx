import { useEffect, useRef, useState } from 'preact/hooks';
import type { OutputOf } from '../../core/index.ts';
import { ArmModel, armModelInfo, armModels } from '../../core/schemas/arm.ts';
import { ErrorLine, NotYet, useAvailable, useClient } from './common.tsx';

/**
 * A connected (or simulated) arm: connection state, live joint plots, jog buttons and keys, and
 * an e-stop button that stays on screen (fixed, bottom right) whatever else is happening.
 */

type Model = ArmModel;
type Reading = OutputOf<'robot.arm.read'>;
type Sample = { time: number; positions: Record<string, number> };

const jointColors = ['#1e88e5', '#e53935', '#43a047', '#f4b400', '#ab47bc', '#00acc1'];
const history = 150;
const plotWidth = 560;
const plotHeight = 180;

export function ArmPanel() {
  const available = useAvailable('robot.arm.read');
  if (!available) return <NotYet capability="Arm control" command="robot.arm.read" />;
  return <ArmPanelBody />;
}

function ArmPanelBody() {
  const client = useClient();
  const [model, setModel] = useState<Model>('sim');
  const [port, setPort] = useState('');
  const [armId, setArmId] = useState('');
  const [state, setState] = useState<'disconnected' | 'connecting' | 'connected' | 'error'>('disconnected');
  const [error, setError] = useState<string>();
  const [reading, setReading] = useState<Reading>();
  const [samples, setSamples] = useState<Sample[]>([]);
  const [selected, setSelected] = useState(0);
  const [stopped, setStopped] = useState(false);
  const [notice, setNotice] = useState<string>();
  const busy = useRef(false);
  const connection = () => ({ model, ...(port ? { port } : {}), ...(armId ? { armId } : {}) });

  const addSample = (sample: Sample) => setSamples((previous) => [...previous.slice(-(history - 1)), sample]);

  // Live plot: poll the arm while connected (the port is free between commands).
  useEffect(() => {
    if (state !== 'connected' && state !== 'connecting') return;
    let alive = true;
    const poll = async () => {
      if (busy.current) return;
      busy.current = true;
      try {
        const value = await client.invoke('robot.arm.read', connection());
        if (!alive) return;
        setReading(value);
        setStopped(value.estopped);
        setState('connected');
        setError(undefined);
        addSample({ time: Date.now() / 1000, positions: Object.fromEntries(value.joints.map((joint) => [joint.name, joint.position ?? 0])) });
      } catch (failure) {
        if (!alive) return;
        // A busy port means a teleop or policy run holds it; its events keep the plot alive.
        if (/busy/.test((failure as Error).message)) return;
        setState('error');
        setError((failure as Error).message);
      } finally {
        busy.current = false;
      }
    };
    void poll();
    const timer = setInterval(poll, 250);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [state === 'connected' || state === 'connecting', model, port, armId]);

  // Streams from teleop / policy runs in this host feed the same plot.
  useEffect(() => {
    const stopState = client.on('robot.arm.state', (payload) => addSample({ time: Date.now() / 1000, positions: payload.positions }));
    const stopTorque = client.on('robot.arm.torque', (payload) =>
      setNotice(`${payload.reason === 'estop' ? 'E-stop' : 'Watchdog'}: torque off on ${payload.armId}${payload.failed.length ? ` (no answer from motors ${payload.failed.join(', ')})` : ''}`),
    );
    return () => {
      stopState();
      stopTorque();
    };
  }, []);

  const estop = async () => {
    try {
      const result = await client.invoke('robot.arm.estop', connection());
      setStopped(true);
      setNotice(`E-stop: torque off on motors ${result.torqueOff.join(', ') || '(none open)'}${result.failed.length ? `; no answer from ${result.failed.join(', ')}` : ''}`);
    } catch (failure) {
      setNotice(`E-stop failed: ${(failure as Error).message}`);
    }
  };

  const release = async () => {
    await client.invoke('robot.arm.release', {});
    setStopped(false);
    setNotice(undefined);
  };

  const jog = async (joint: string, delta: number) => {
    if (stopped) return;
    try {
      await client.invoke('robot.arm.move', { ...connection(), targets: [`${joint}=${delta}`], relative: true, clamp: true });
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const joints = reading?.joints.map((joint) => joint.name) ?? [];

  // Keyboard jog: 1–6 pick a joint, ←/→ move it 5 units.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.target as HTMLElement | null)?.tagName === 'INPUT') return;
      if (/^[1-6]$/.test(event.key)) setSelected(Number(event.key) - 1);
      else if (event.key === 'ArrowLeft' && joints[selected]) void jog(joints[selected], -5);
      else if (event.key === 'ArrowRight' && joints[selected]) void jog(joints[selected], 5);
      else if (event.key === 'Escape') void estop();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <div data-arm-panel>
      <div class="row">
        <select value={model} onChange={(event) => setModel(ArmModel.parse((event.target as HTMLSelectElement).value))} aria-label="arm model" disabled={state === 'connected'}>
          {armModels.map((name) => (
            <option value={name}>{armModelInfo[name].label}</option>
          ))}
        </select>
        <input placeholder="/dev/ttyACM0" value={port} onInput={(event) => setPort((event.target as HTMLInputElement).value)} aria-label="port" disabled={model === 'sim' || state === 'connected'} />
        <input placeholder="arm id (optional)" value={armId} onInput={(event) => setArmId((event.target as HTMLInputElement).value)} aria-label="arm id" disabled={state === 'connected'} />
        {state === 'connected' || state === 'connecting' ? (
          <button class="secondary" onClick={() => setState('disconnected')}>
            Disconnect
          </button>
        ) : (
          <button onClick={() => setState('connecting')} disabled={model !== 'sim' && !port}>
            Connect
          </button>
        )}
        <span class={`badge ${state === 'connected' ? 'ok' : state === 'error' ? 'bad' : ''}`} data-connection={state}>
          {state}
        </span>
        {reading && !reading.calibrated && <span class="badge warn">not calibrated</span>}
        {stopped && (
          <button class="secondary" onClick={release}>
            Release e-stop
          </button>
        )}
      </div>
      <ErrorLine error={error} />
      {notice && (
        <p class="error" role="status" data-arm-notice>
          {notice}
        </p>
      )}
      <JointPlot samples={samples} joints={joints.length ? joints : Object.keys(samples.at(-1)?.positions ?? {})} />
      {reading && (
        <table data-joints style={{ fontSize: 13, marginTop: 8 }}>
          <tbody>
            {reading.joints.map((joint, index) => (
              <tr key={joint.name} style={{ fontWeight: index === selected ? 700 : 400 }}>
                <td style={{ color: jointColors[index % jointColors.length] }}>
                  {index + 1}. {joint.name}
                </td>
                <td style={{ textAlign: 'right', width: 80 }}>{joint.position === null ? '–' : `${joint.position.toFixed(1)} ${joint.unit === 'degrees' ? '°' : '%'}`}</td>
                <td class="muted">raw {joint.raw}</td>
                <td class="muted">{joint.torque ? 'torque on' : 'limp'}</td>
                <td class="muted">
                  {joint.temperature} °C · {joint.volts} V
                </td>
                <td>
                  <button class="secondary" onClick={() => jog(joint.name, -5)} disabled={stopped || !reading.calibrated} aria-label={`jog ${joint.name} down`}>
                    −5
                  </button>{' '}
                  <button class="secondary" onClick={() => jog(joint.name, 5)} disabled={stopped || !reading.calibrated} aria-label={`jog ${joint.name} up`}>
                    +5
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="muted" style={{ fontSize: 12 }}>
        Keys: 1–6 pick a joint, ←/→ jog it, Esc is the e-stop.
      </p>
      <button class="estop" onClick={estop} data-estop aria-label="emergency stop">
        E-STOP
      </button>
    </div>
  );
}

function JointPlot(props: { samples: Sample[]; joints: string[] }) {
  const { samples, joints } = props;
  if (samples.length < 2) return <div class="muted" style={{ height: plotHeight, display: 'grid', placeItems: 'center' }} data-joint-plot="empty">No joint data yet</div>;
  const values = samples.flatMap((sample) => joints.map((joint) => sample.positions[joint]).filter((value) => value !== undefined));
  const low = Math.min(-10, ...values);
  const high = Math.max(10, ...values);
  const x = (index: number) => (index / (history - 1)) * plotWidth;
  const y = (value: number) => plotHeight - ((value - low) / (high - low)) * plotHeight;
  return (
    <svg width={plotWidth} height={plotHeight} data-joint-plot="live" role="img" aria-label="joint positions over time" style={{ background: '#fff', borderRadius: 8, marginTop: 10 }}>
      <line x1={0} x2={plotWidth} y1={y(0)} y2={y(0)} stroke="#ddd" />
      {joints.map((joint, index) => (
        <polyline
          key={joint}
          data-joint={joint}
          fill="none"
          stroke={jointColors[index % jointColors.length]}
          stroke-width={1.8}
          points={samples
            .map((sample, at) => (sample.positions[joint] === undefined ? '' : `${x(at + history - samples.length).toFixed(1)},${y(sample.positions[joint]).toFixed(1)}`))
            .filter(Boolean)
            .join(' ')}
        />
      ))}
      <text x={4} y={12} font-size={11} fill="#666">
        {high.toFixed(0)}
      </text>
      <text x={4} y={plotHeight - 4} font-size={11} fill="#666">
        {low.toFixed(0)}
      </text>
    </svg>
  );
}
