import { existsSync, statSync } from 'node:fs';
import { SkillframeError } from '../../core/index.ts';
import { detectProviders, type ExecutionProvider } from './providers.ts';
import { unpackedPath } from '../app-root.ts';
import { WorkerSessions } from './worker-sessions.ts';

/** The slice of onnxruntime-node this project uses, so callers never import it directly. */
export type Ort = typeof import('onnxruntime-node');
export type OnnxSession = import('onnxruntime-node').InferenceSession;
export type OnnxTensor = import('onnxruntime-node').Tensor;

export interface ModelSpec {
  /** Registry key, e.g. "ocr.detection". */
  name: string;
  path: string;
  /** Expected input and output names; a file without them is the wrong model. */
  inputs?: readonly string[];
  outputs?: readonly string[];
  /** Feeds to run once after loading so the first real call is not the slow one. */
  warmUp?: (ort: Ort) => Record<string, OnnxTensor>;
}

export interface LoadedModel {
  spec: ModelSpec;
  session: OnnxSession;
  /** The execution provider that actually runs it. */
  provider: ExecutionProvider;
  loadMs: number;
}

let ortModule: Promise<Ort> | undefined;
/** onnxruntime-node, loaded once and lazily (it is a large native module). */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').then((module) => ((module as unknown as { default?: Ort }).default ?? module) as Ort);
  return ortModule;
}

/**
 * One place that owns every ONNX session: a model is loaded once (on CUDA when the machine has
 * it, else CPU), warmed up, shared by every caller, and released by `dispose()`.
 */
export class ModelRegistry {
  private readonly specs = new Map<string, ModelSpec>();
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  private readonly workerSessions = new Map<string, Promise<WorkerSessions>>();
  private providers: Promise<ExecutionProvider[]> | undefined;
  private disposed = false;
  private readonly threads: number | undefined;
  private readonly spinning: boolean;

  /**
   * `spinning: false` (the default) stops idle onnxruntime threads from busy-waiting: on small,
   * shared machines the spin steals the very cores the next operator needs (measured: ~28 % less
   * CPU for the same recognition batch on 2 busy cores).
   */
  constructor(options: { threads?: number; providers?: ExecutionProvider[]; spinning?: boolean } = {}) {
    this.threads = options.threads;
    this.spinning = options.spinning ?? false;
    if (options.providers) this.providers = Promise.resolve(options.providers);
  }

  register(spec: ModelSpec): void {
    const existing = this.specs.get(spec.name);
    if (existing && existing.path !== spec.path) throw new SkillframeError('bad_input', `model ${spec.name} is already registered from ${existing.path}`);
    this.specs.set(spec.name, spec);
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  /** The loaded model, loading it on first use. Concurrent callers share one load. */
  get(name: string): Promise<LoadedModel> {
    if (this.disposed) return Promise.reject(new SkillframeError('unavailable', 'the model registry was disposed'));
    const spec = this.specs.get(name);
    if (!spec) return Promise.reject(new SkillframeError('not_found', `no model named ${JSON.stringify(name)} is registered`));
    let loading = this.loaded.get(name);
    if (!loading) {
      loading = this.load(spec);
      this.loaded.set(name, loading);
      // A failed load must not poison the cache: the next call may find the file fixed.
      loading.catch(() => this.loaded.delete(name));
    }
    return loading;
  }

  /**
   * The model on the CPU in `count` worker threads (one single-threaded session each), started on
   * first use (the first caller's count holds), shared by every caller and released by
   * `dispose()`. Warmed up like `get`.
   */
  workers(name: string, count: number): Promise<WorkerSessions> {
    if (this.disposed) return Promise.reject(new SkillframeError('unavailable', 'the model registry was disposed'));
    const spec = this.specs.get(name);
    if (!spec) return Promise.reject(new SkillframeError('not_found', `no model named ${JSON.stringify(name)} is registered`));
    let starting = this.workerSessions.get(name);
    if (!starting) {
      starting = this.startWorkers(spec, count);
      this.workerSessions.set(name, starting);
      // A failed start must not poison the cache (as in `get`).
      starting.catch(() => this.workerSessions.delete(name));
    }
    return starting;
  }

  private async startWorkers(spec: ModelSpec, count: number): Promise<WorkerSessions> {
    if (!existsSync(spec.path)) throw new SkillframeError('not_found', `model ${spec.name}: no file at ${spec.path}`);
    const sessions = await WorkerSessions.start(spec.name, unpackedPath(spec.path), count);
    if (spec.warmUp) {
      const ort = await loadOrt();
      const feeds = spec.warmUp(ort);
      // One warm-up call per worker: each has its own session whose first run is the slow one.
      await Promise.all(
        Array.from({ length: count }, () =>
          sessions.run(Object.fromEntries(Object.entries(feeds).map(([key, tensor]) => [key, { data: new Float32Array(tensor.data as Float32Array), dims: [...tensor.dims] }]))),
        ),
      );
    }
    if (this.disposed) {
      await sessions.dispose();
      throw new SkillframeError('unavailable', 'the model registry was disposed while loading');
    }
    return sessions;
  }

  private async load(spec: ModelSpec): Promise<LoadedModel> {
    if (!existsSync(spec.path)) throw new SkillframeError('not_found', `model ${spec.name}: no file at ${spec.path}`);
    if (!statSync(spec.path).isFile() || statSync(spec.path).size < 16) throw new SkillframeError('bad_input', `model ${spec.name}: ${spec.path} is not an ONNX model file`);
    const ort = await loadOrt();
    this.providers ??= detectProviders().then((report) => report.usable);
    const providers = await this.providers;
    const started = Date.now();
    let session: OnnxSession | undefined;
    let provider: ExecutionProvider = 'cpu';
    let lastError: unknown;
    for (const candidate of providers) {
      try {
        session = await ort.InferenceSession.create(unpackedPath(spec.path), {
          executionProviders: [candidate],
          graphOptimizationLevel: 'all',
          ...(this.threads ? { intraOpNumThreads: this.threads } : {}),
          extra: { session: { intra_op: { allow_spinning: this.spinning ? '1' : '0' }, inter_op: { allow_spinning: this.spinning ? '1' : '0' } } },
        });
        provider = candidate;
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (!session) {
      throw new SkillframeError('bad_input', `model ${spec.name}: ${spec.path} is not a loadable ONNX model (${String((lastError as Error)?.message ?? lastError).split('\n')[0].slice(0, 200)})`);
    }
    const missingInputs = (spec.inputs ?? []).filter((name) => !session.inputNames.includes(name));
    const missingOutputs = (spec.outputs ?? []).filter((name) => !session.outputNames.includes(name));
    if (missingInputs.length || missingOutputs.length) {
      await session.release();
      throw new SkillframeError(
        'bad_input',
        `model ${spec.name}: ${spec.path} is the wrong model (inputs ${JSON.stringify(session.inputNames)}, outputs ${JSON.stringify(session.outputNames)}; expected inputs ${JSON.stringify(spec.inputs ?? [])}, outputs ${JSON.stringify(spec.outputs ?? [])})`,
      );
    }
    if (spec.warmUp) await session.run(spec.warmUp(ort));
    if (this.disposed) {
      await session.release();
      throw new SkillframeError('unavailable', 'the model registry was disposed while loading');
    }
    return { spec, session, provider, loadMs: Date.now() - started };
  }

  /** Ends the worker threads (they start again on the next `workers` call); loaded models stay. */
  async releaseWorkers(): Promise<void> {
    const workers = [...this.workerSessions.values()];
    this.workerSessions.clear();
    for (const starting of workers) {
      try {
        await (await starting).dispose();
      } catch {
        /* a failed start has nothing to release */
      }
    }
  }

  /** Whether any worker threads are started or starting. */
  get hasWorkers(): boolean {
    return this.workerSessions.size > 0;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.releaseWorkers();
    const pending = [...this.loaded.values()];
    this.loaded.clear();
    for (const loading of pending) {
      try {
        await (await loading).session.release();
      } catch {
        /* a failed load has nothing to release */
      }
    }
  }
}

let shared: ModelRegistry | undefined;
/** The process-wide registry (models are big; one copy per process). */
export function sharedModelRegistry(): ModelRegistry {
  if (!shared) {
    shared = new ModelRegistry();
    // A process that ends by running out of work (a test file, a script) ends its model threads
    // first, each releasing its session (see WorkerSessions.dispose); then it exits. (Tidiness,
    // not safety: any exit waits for calls in flight, see the gate in worker-sessions.ts.)
    process.on('beforeExit', () => {
      if (shared?.hasWorkers) void shared.releaseWorkers();
    });
  }
  return shared;
}

/**
 * Ends the shared registry's worker threads, if it has any, each releasing its session: a tidy
 * end before `process.exit` (which would otherwise tear idle threads down with their sessions).
 */
export async function releaseSharedWorkers(): Promise<void> {
  if (shared?.hasWorkers) await shared.releaseWorkers();
}

export { type ExecutionProvider } from './providers.ts';
