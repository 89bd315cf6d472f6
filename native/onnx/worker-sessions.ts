import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { SkillframeError, throwIfAborted } from '../../core/index.ts';

/** A float32 tensor as it crosses a thread boundary: plain data and its shape. */
export interface PlainTensor {
  data: Float32Array;
  dims: number[];
}

interface Task {
  feeds: Record<string, PlainTensor>;
  resolve: (outputs: Record<string, PlainTensor>) => void;
  reject: (error: unknown) => void;
}

interface Lane {
  worker: Worker;
  task: Task | undefined;
}

// The worker is plain CommonJS given as source, so it needs no TypeScript loader and no file
// beside the bundle; it requires onnxruntime-node from the path the main thread resolved.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.runtime);
const ready = ort.InferenceSession.create(workerData.path, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
});
ready.then(() => parentPort.postMessage({ loaded: true }), (error) => parentPort.postMessage({ loaded: false, error: String(error && error.message || error) }));
parentPort.on('message', async (feeds) => {
  if (feeds && feeds.__release === true) {
    // The session is released here, on its own thread, before the thread ends: a session still
    // alive when the thread is torn down (a process exiting) can abort the process in its finalizer.
    try {
      await (await ready).release();
    } catch (error) {
      // Nothing to release: it never loaded.
    }
    parentPort.postMessage({ released: true });
    parentPort.close();
    return;
  }
  try {
    const session = await ready;
    const inputs = {};
    for (const name of Object.keys(feeds)) inputs[name] = new ort.Tensor('float32', feeds[name].data, feeds[name].dims);
    const outputs = await session.run(inputs);
    const reply = {};
    const transfer = [];
    for (const name of session.outputNames) {
      // A copy the main thread can own (the tensor's memory belongs to onnxruntime).
      const data = new Float32Array(outputs[name].data);
      reply[name] = { data, dims: Array.from(outputs[name].dims) };
      transfer.push(data.buffer);
      outputs[name].dispose && outputs[name].dispose();
    }
    parentPort.postMessage({ outputs: reply }, transfer);
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
});
`;

/**
 * One CPU model loaded in several worker threads, one single-threaded session each. Many small
 * inputs (OCR lines) run as independent calls on N cores use them far better than one call at a
 * time split N ways, and the main thread's event loop stays free while they run (onnxruntime-node
 * runs a session synchronously on the thread that calls it).
 */
export class WorkerSessions {
  private readonly lanes: Lane[] = [];
  private readonly queue: Task[] = [];
  private failure: SkillframeError | undefined;
  private disposed = false;

  private constructor(
    private readonly name: string,
    workers: Worker[],
  ) {
    for (const worker of workers) {
      const lane: Lane = { worker, task: undefined };
      this.lanes.push(lane);
      worker.on('message', (message: { outputs?: Record<string, PlainTensor>; error?: string }) => this.settle(lane, message));
      worker.on('error', (error) => this.fail(new SkillframeError('internal', `model ${name}: a worker thread failed (${error.message})`)));
      worker.on('exit', (code) => {
        if (!this.disposed) this.fail(new SkillframeError('internal', `model ${name}: a worker thread exited (code ${code})`));
      });
      // Idle workers must not keep a finished command's process alive.
      worker.unref();
    }
  }

  /** Starts `count` workers on the model file and resolves once every one has loaded it. */
  static async start(name: string, path: string, count: number): Promise<WorkerSessions> {
    if (!Number.isInteger(count) || count < 1) throw new SkillframeError('bad_input', `model ${name}: worker count must be a whole number >= 1, got ${count}`);
    const runtime = createRequire(import.meta.url).resolve('onnxruntime-node');
    const workers = Array.from({ length: count }, () => new Worker(workerSource, { eval: true, workerData: { runtime, path } }));
    const loads = workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          const onMessage = (message: { loaded?: boolean; error?: string }) => {
            if (message.loaded === undefined) return;
            worker.off('message', onMessage);
            worker.off('error', reject);
            if (message.loaded) resolve();
            else reject(new SkillframeError('bad_input', `model ${name}: ${path} did not load in a worker thread (${message.error})`));
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
        }),
    );
    try {
      await Promise.all(loads);
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error instanceof SkillframeError ? error : new SkillframeError('internal', `model ${name}: worker threads did not start (${String((error as Error)?.message ?? error)})`);
    }
    return new WorkerSessions(name, workers);
  }

  /** How many calls run at once. */
  get size(): number {
    return this.lanes.length;
  }

  /**
   * Runs the model on the next free worker. The input arrays are moved to the worker (the
   * caller must not use them afterwards); outputs come back as plain tensors.
   */
  run(feeds: Record<string, PlainTensor>, signal?: AbortSignal): Promise<Record<string, PlainTensor>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.disposed) return Promise.reject(new SkillframeError('unavailable', `model ${this.name}: its worker threads were disposed`));
    try {
      throwIfAborted(signal, `model ${this.name}`);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ feeds, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Ends the workers: each releases its session and ends on its own (a thread torn down with a live
   * onnxruntime session can abort the whole process: "terminate called after throwing an instance
   * of 'Napi::Error'"); one that has not ended within 5 s is terminated. Resolves to the threads'
   * exit codes: 0 for a thread that ended on its own.
   */
  async dispose(): Promise<number[]> {
    if (this.disposed) return [];
    this.disposed = true;
    this.fail(new SkillframeError('unavailable', `model ${this.name}: its worker threads were disposed`));
    return Promise.all(
      this.lanes.map(
        ({ worker }) =>
          new Promise<number>((resolve) => {
            const timer = setTimeout(() => void worker.terminate().catch(() => undefined), 5_000);
            worker.once('exit', (code) => {
              clearTimeout(timer);
              resolve(code);
            });
            worker.ref();
            worker.postMessage({ __release: true });
          }),
      ),
    );
  }

  private dispatch(): void {
    for (const lane of this.lanes) {
      if (lane.task || this.queue.length === 0) continue;
      const task = this.queue.shift() as Task;
      lane.task = task;
      lane.worker.ref();
      lane.worker.postMessage(
        task.feeds,
        Object.values(task.feeds).map((tensor) => tensor.data.buffer as ArrayBuffer),
      );
    }
  }

  private settle(lane: Lane, message: { outputs?: Record<string, PlainTensor>; error?: string; loaded?: boolean; released?: boolean }): void {
    if (message.loaded !== undefined || message.released) return;
    const task = lane.task;
    lane.task = undefined;
    lane.worker.unref();
    if (task) {
      if (message.outputs) task.resolve(message.outputs);
      else task.reject(new SkillframeError('internal', `model ${this.name}: ${message.error ?? 'no output'}`));
    }
    this.dispatch();
  }

  /** A broken worker fails every call in flight or waiting; later calls fail at once (callers fall back). */
  private fail(error: SkillframeError): void {
    this.failure ??= error;
    for (const lane of this.lanes) {
      lane.task?.reject(error);
      lane.task = undefined;
    }
    for (const task of this.queue.splice(0)) task.reject(error);
  }
}
