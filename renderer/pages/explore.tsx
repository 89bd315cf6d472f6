import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ExploreAction, ExploreGraph, GraphEdge, GraphNode } from '../../core/commands/explore.ts';
import type { OutputOf } from '../../core/index.ts';
import { ErrorLine, NotYet, Page, useAvailable, useClient } from '../components/common.tsx';

type Summary = OutputOf<'explore'>;
type Saved = OutputOf<'explore.save'>;

const columnWidth = 190;
const rowHeight = 112;
const thumbWidth = 150;
const thumbHeight = 90;

function describe(action: ExploreAction): string {
  const name = action.target?.name ? `"${action.target.name}"` : '';
  switch (action.kind) {
    case 'type':
      return `type ${JSON.stringify(action.text ?? '')} into ${name}`;
    case 'select':
      return `choose ${JSON.stringify(action.text ?? '')} in ${name}`;
    case 'shortcut':
      return `press ${action.keys ?? ''}`;
    case 'drag':
      return `drag ${name} onto ${action.to?.name ? `"${action.to.name}"` : 'the drop zone'}`;
    default:
      return `${action.kind.replace('_', '-')} ${action.target?.role ?? ''} ${name}`.replace(/\s+/g, ' ').trim();
  }
}

/** Shortest path of verified edges from the root: how a person (or a replay) reaches a state. */
function pathTo(root: string | undefined, target: string, edges: GraphEdge[]): GraphEdge[] | undefined {
  if (!root) return undefined;
  if (root === target) return [];
  const usable = edges.filter((edge) => edge.to && edge.to !== edge.from && !edge.inconsistent && (edge.result === 'new' || edge.result === 'known'));
  const previous = new Map<string, GraphEdge>();
  const queue = [root];
  const seen = new Set(queue);
  while (queue.length) {
    const at = queue.shift() as string;
    for (const edge of usable) {
      if (edge.from !== at || seen.has(edge.to as string)) continue;
      seen.add(edge.to as string);
      previous.set(edge.to as string, edge);
      if (edge.to === target) {
        const path: GraphEdge[] = [];
        for (let node = target; node !== root; node = (previous.get(node) as GraphEdge).from) path.unshift(previous.get(node) as GraphEdge);
        return path;
      }
      queue.push(edge.to as string);
    }
  }
  return undefined;
}

/** The Explore page: start an exploration, watch the state graph grow, open a state, save its path as a skill. */
export function ExplorePage() {
  const available = useAvailable('explore');
  const client = useClient();
  const [target, setTarget] = useState('');
  const [budget, setBudget] = useState(60);
  const [strategy, setStrategy] = useState<'dfs' | 'bfs' | 'random'>('dfs');
  const [folder, setFolder] = useState('');
  const [nodes, setNodes] = useState<GraphNode[]>([]);
  const [edges, setEdges] = useState<GraphEdge[]>([]);
  const [thumbnails, setThumbnails] = useState<Record<string, string>>({});
  const [used, setUsed] = useState(0);
  const [running, setRunning] = useState(false);
  const [summary, setSummary] = useState<Summary | undefined>();
  const [out, setOut] = useState<string | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const [skillName, setSkillName] = useState('');
  const [saved, setSaved] = useState<Saved | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (!available) return undefined;
    const offNode = client.on('explore.node', (payload) => {
      setNodes((list) => (list.some((node) => node.id === payload.node.id) ? list : [...list, payload.node]));
      if (payload.thumbnail) setThumbnails((map) => ({ ...map, [payload.node.id]: payload.thumbnail as string }));
    });
    const offEdge = client.on('explore.edge', (payload) => {
      setUsed(payload.actionsUsed);
      setEdges((list) => [...list.filter((edge) => edge.id !== payload.edge.id), payload.edge]);
    });
    return () => {
      offNode();
      offEdge();
    };
  }, [available]);

  if (!available) {
    return (
      <Page title="Explore" subtitle="GUI-DFS explores an app on its own and grows a state graph.">
        <NotYet capability="Exploration" command="explore" />
      </Page>
    );
  }

  const reset = () => {
    setNodes([]);
    setEdges([]);
    setThumbnails({});
    setUsed(0);
    setSummary(undefined);
    setSelected(undefined);
    setSaved(undefined);
    setError(undefined);
  };

  const start = async () => {
    reset();
    setRunning(true);
    const isUrl = /^(https?|file):/i.test(target.trim());
    try {
      const result = await client.invoke('explore', {
        ...(isUrl ? { url: target.trim() } : { app: target.trim() }),
        budget,
        strategy,
        // From the UI a person picks which states become skills (Save as skill).
        skills: 0,
        ...(folder.trim() ? { out: folder.trim() } : {}),
      });
      setSummary(result);
      setOut(result.out);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setRunning(false);
    }
  };

  const open = async () => {
    reset();
    try {
      const result = await client.invoke('explore.graph', { out: folder.trim() });
      setNodes(result.graph.nodes);
      setEdges(result.graph.edges);
      setThumbnails(result.thumbnails);
      setUsed(result.graph.actionsUsed);
      setOut(folder.trim());
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const save = async () => {
    if (!out || !selected) return;
    setSaved(undefined);
    setError(undefined);
    try {
      setSaved(await client.invoke('explore.save', { out, node: selected, ...(skillName.trim() ? { name: skillName.trim() } : {}) }));
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <Page title="Explore" subtitle="GUI-DFS explores an app on its own, verifies what each action does and grows a state graph.">
      <div class="card" style={{ marginBottom: 16 }}>
        <div class="row" style={{ flexWrap: 'wrap', gap: 8 }}>
          <input aria-label="URL or app command" placeholder="https://… or an app command (galculator)" value={target} onInput={(event) => setTarget((event.target as HTMLInputElement).value)} style={{ minWidth: 320 }} />
          <label>
            Budget <input aria-label="Budget" type="number" min={1} value={budget} onInput={(event) => setBudget(Number((event.target as HTMLInputElement).value) || 1)} style={{ width: 80 }} />
          </label>
          <select aria-label="Strategy" value={strategy} onChange={(event) => setStrategy((event.target as HTMLSelectElement).value as 'dfs')}>
            <option value="dfs">DFS</option>
            <option value="bfs">BFS</option>
            <option value="random">Random</option>
          </select>
          <input aria-label="Output folder" placeholder="output folder (optional)" value={folder} onInput={(event) => setFolder((event.target as HTMLInputElement).value)} />
          <button disabled={running || !target.trim()} onClick={start}>Explore</button>
          <button disabled={running || !folder.trim()} onClick={open}>Open graph</button>
          {running && <button onClick={() => client.invoke('stop', {})}>Stop</button>}
        </div>
        <p class="muted" data-explore-status>
          {nodes.length} states · {edges.length} edges · {used} actions{running ? ` of ${budget}` : ''}
          {summary ? ` · stopped by ${summary.stoppedBy} · ${summary.boundaries} boundaries · ${summary.skills.length} skills` : ''}
        </p>
        <ErrorLine error={error} />
      </div>
      <div class="row" style={{ alignItems: 'flex-start', gap: 16 }}>
        <GraphView nodes={nodes} edges={edges} thumbnails={thumbnails} selected={selected} onSelect={setSelected} />
        {selected && (
          <NodePanel
            node={nodes.find((node) => node.id === selected)}
            root={nodes[0]?.id}
            edges={edges}
            thumbnail={thumbnails[selected]}
            canSave={Boolean(out) && !running}
            skillName={skillName}
            setSkillName={setSkillName}
            onSave={save}
            saved={saved}
          />
        )}
      </div>
    </Page>
  );
}

function GraphView(props: { nodes: GraphNode[]; edges: GraphEdge[]; thumbnails: Record<string, string>; selected?: string; onSelect: (id: string) => void }) {
  const layout = useMemo(() => {
    const rows = new Map<number, number>();
    const place = new Map<string, { x: number; y: number }>();
    for (const node of props.nodes) {
      const row = rows.get(node.depth) ?? 0;
      rows.set(node.depth, row + 1);
      place.set(node.id, { x: 10 + node.depth * columnWidth, y: 10 + row * rowHeight });
    }
    const width = Math.max(400, ...[...place.values()].map((point) => point.x + columnWidth));
    const height = Math.max(200, ...[...place.values()].map((point) => point.y + rowHeight));
    return { place, width, height };
  }, [props.nodes]);
  if (!props.nodes.length) return <p class="muted">No states yet.</p>;
  return (
    <div style={{ overflow: 'auto', maxHeight: '70vh', flex: 1, border: '1px solid #ddd', borderRadius: 8 }}>
      <svg width={layout.width} height={layout.height} data-explore-graph>
        {props.edges
          .filter((edge) => edge.to && edge.to !== edge.from && edge.result !== 'error')
          .map((edge) => {
            const from = layout.place.get(edge.from);
            const to = layout.place.get(edge.to as string);
            if (!from || !to) return null;
            return (
              <line
                key={edge.id}
                x1={from.x + thumbWidth}
                y1={from.y + thumbHeight / 2}
                x2={to.x}
                y2={to.y + thumbHeight / 2}
                stroke={edge.result === 'new' ? '#2b5cd6' : '#bbb'}
                stroke-width={edge.result === 'new' ? 1.5 : 0.7}
              >
                <title>{describe(edge.action)}</title>
              </line>
            );
          })}
        {props.nodes.map((node) => {
          const point = layout.place.get(node.id) as { x: number; y: number };
          const thumbnail = props.thumbnails[node.id];
          return (
            <g key={node.id} transform={`translate(${point.x},${point.y})`} onClick={() => props.onSelect(node.id)} style={{ cursor: 'pointer' }} data-node={node.id}>
              <rect width={thumbWidth} height={thumbHeight} fill="#fff" stroke={props.selected === node.id ? '#d62b5c' : '#99a'} stroke-width={props.selected === node.id ? 3 : 1} rx={4} />
              {thumbnail && <image href={thumbnail} width={thumbWidth} height={thumbHeight} preserveAspectRatio="xMidYMid slice" />}
              <text x={4} y={thumbHeight + 14} font-size="11">{`${node.id} · ${node.title}`.slice(0, 28)}</text>
              <title>{node.title}</title>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function NodePanel(props: {
  node?: GraphNode;
  root?: string;
  edges: GraphEdge[];
  thumbnail?: string;
  canSave: boolean;
  skillName: string;
  setSkillName: (name: string) => void;
  onSave: () => void;
  saved?: Saved;
}) {
  if (!props.node) return null;
  const path = pathTo(props.root, props.node.id, props.edges);
  return (
    <div class="card" style={{ width: 360 }} data-explore-node={props.node.id}>
      <h3>{props.node.title}</h3>
      <p class="muted">
        {props.node.id} · depth {props.node.depth} · {props.node.tried}/{props.node.candidates} actions tried
      </p>
      {props.thumbnail && <img src={props.thumbnail} alt={`screenshot of ${props.node.title}`} style={{ width: '100%', border: '1px solid #ddd' }} />}
      <h4>How to get here</h4>
      {path === undefined ? (
        <p class="muted">No verified path from the start state.</p>
      ) : path.length === 0 ? (
        <p class="muted">This is the start state.</p>
      ) : (
        <ol data-explore-path>
          {path.map((edge) => (
            <li key={edge.id}>{describe(edge.action)}</li>
          ))}
        </ol>
      )}
      {path && path.length > 0 && (
        <div class="row" style={{ gap: 8 }}>
          <input aria-label="Skill name" placeholder="skill name (optional)" value={props.skillName} onInput={(event) => props.setSkillName((event.target as HTMLInputElement).value)} />
          <button disabled={!props.canSave} onClick={props.onSave}>Save as skill</button>
        </div>
      )}
      {props.saved && (
        <p data-explore-saved>
          Saved <code>{props.saved.name}</code> ({props.saved.format}{props.saved.audited ? ', passed the audit' : ''}) in <code>{props.saved.path}</code>
        </p>
      )}
    </div>
  );
}

export type { ExploreGraph };
