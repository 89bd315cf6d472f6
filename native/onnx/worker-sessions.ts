import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { SkillframeError, throwIfAborted } from '../../core/index.ts';

/** A float32 tensor as it crosses a thread boundary: plain data and its shape. */
export interface PlainTensor {
  data: Float32Array;
  dims: number[];
}

interface Task {
  id: number;
  feeds: Record<string, PlainTensor>;
  resolve: (outputs: Record<string, PlainTensor>) => void;
  reject: (error: unknown) => void;
}

interface Lane {
  worker: Worker;
  /** [closing, busy] shared with the thread (see workerSource). */
  gate: Int32Array;
  /** Calls sent to the thread and not answered yet, by id (at most `depth`). */
  tasks: Map<number, Task>;
}

/**
 * Calls queued on each thread at once: the next input already waits in the thread when a run
 * ends, so a main thread slow to wake up (a loaded machine) does not leave the thread idle.
 */
const depth = 2;

interface Thread {
  worker: Worker;
  gate: Int32Array;
}

// Why the gate: onnxruntime-node (1.30) is built with C++ exceptions and without
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS. A thread torn down (process.exit, an uncaught error,
// worker.terminate) while it is inside one of the binding's calls (require, InferenceSession.create,
// run, release) comes back from the call into a terminating isolate: its N-API calls fail, the
// binding throws Napi::Error, napi_throw cannot throw into a dying isolate, and node-addon-api
// rethrows in C++ out of the callback: "terminate called after throwing an instance of
// 'Napi::Error'", SIGABRT for the whole process (nodejs/node-addon-api#902, #975). Measured here:
// process.exit during a worker's run or load aborted 10 of 10 runs; during idle, 0 of 10. So every
// call into the binding is bracketed by a gate in shared memory, [closing, busy], and nothing
// tears a thread down until its gate is closed and no call is in flight.
const gateClosing = 0;
const gateBusy = 1;

// The worker is plain CommonJS given as source, so it needs no TypeScript loader and no file
// beside the bundle; it requires onnxruntime-node from the path the main thread resolved.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const gate = new Int32Array(workerData.gate);
// Enter before the closing check, leave after: the main thread closes, then waits for busy 0.
const native = async (work) => {
  Atomics.add(gate, ${gateBusy}, 1);
  try {
    if (Atomics.load(gate, ${gateClosing}) !== 0) throw new Error('the process is exiting');
    return await work();
  } finally {
    Atomics.sub(gate, ${gateBusy}, 1);
    Atomics.notify(gate, ${gateBusy});
  }
};
let ort;
const ready = native(async () => {
  ort = require(workerData.runtime);
  return ort.InferenceSession.create(workerData.path, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
});
ready.then(() => parentPort.postMessage({ loaded: true }), (error) => parentPort.postMessage({ loaded: false, error: String(error && error.message || error) }));
parentPort.on('message', async (message) => {
  if (message && message.__release === true) {
    try {
      const session = await ready;
      await native(() => session.release());
    } catch (error) {
      // Nothing to release: it never loaded, or the process is exiting.
    }
    parentPort.postMessage({ released: true });
    parentPort.close();
    return;
  }
  const { id, feeds } = message;
  try {
    const session = await ready;
    const inputs = {};
    for (const name of Object.keys(feeds)) inputs[name] = new ort.Tensor('float32', feeds[name].data, feeds[name].dims);
    const outputs = await native(() => session.run(inputs));
    const reply = {};
    const transfer = [];
    for (const name of session.outputNames) {
      // A copy the main thread can own (the tensor's memory belongs to onnxruntime).
      const data = new Float32Array(outputs[name].data);
      reply[name] = { data, dims: Array.from(outputs[name].dims) };
      transfer.push(data.buffer);
      outputs[name].dispose && outputs[name].dispose();
    }
    parentPort.postMessage({ id, outputs: reply }, transfer);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

/** The gates of every live worker in this process; the exit hook closes them all. */
const liveGates = new Set<Int32Array>();
let exitHookInstalled = false;
/** Longest the exit waits for calls in flight (a model load on a busy machine takes seconds). */
const exitWaitMs = 30_000;

/**
 * Closes a gate and blocks until no call is in flight (or `deadline`). Used by the process 'exit'
 * hook, which runs before node tears the threads down and may not wait asynchronously.
 */
function closeAndDrain(gate: Int32Array, deadline: number): void {
  Atomics.store(gate, gateClosing, 1);
  for (let busy = Atomics.load(gate, gateBusy); busy > 0 && Date.now() < deadline; busy = Atomics.load(gate, gateBusy)) {
    Atomics.wait(gate, gateBusy, busy, Math.max(1, deadline - Date.now()));
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' is emitted by process.exit, by the end of the event loop and by an uncaught error,
  // always before node terminates the worker threads.
  process.on('exit', () => {
    const deadline = Date.now() + exitWaitMs;
    for (const gate of liveGates) closeAndDrain(gate, deadline);
  });
}

/** Closes a gate (no call starts after) and resolves once no call is in flight: terminate is then safe. */
async function drain(gate: Int32Array): Promise<void> {
  Atomics.store(gate, gateClosing, 1);
  while (Atomics.load(gate, gateBusy) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Waits up to `graceMs` for a thread to end on its own, then closes its gate and terminates it
 * once no call is in flight (never inside the binding). Resolves to its exit code.
 */
function endThread({ worker, gate }: Thread, graceMs: number): Promise<number> {
  return new Promise<number>((resolve) => {
    let ended = false;
    const timer = setTimeout(async () => {
      if (ended) return;
      // A call in flight finishes first (a load on a loaded machine can take seconds).
      await drain(gate);
      if (!ended) void worker.terminate().catch(() => undefined);
    }, graceMs);
    worker.once('exit', (code) => {
      ended = true;
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * One CPU model loaded in several worker threads, one single-threaded session each. Many small
 * inputs (OCR lines) run as independent calls on N cores use them far better than one call at a
 * time split N ways, and the main thread's event loop stays free while they run (onnxruntime-node
 * runs a session synchronously on the thread that calls it).
 */
export class WorkerSessions {
  private readonly lanes: Lane[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private failure: SkillframeError | undefined;
  private disposed = false;

  private constructor(
    private readonly name: string,
    threads: Thread[],
  ) {
    for (const { worker, gate } of threads) {
      const lane: Lane = { worker, gate, tasks: new Map() };
      this.lanes.push(lane);
      worker.on('message', (message: { id?: number; outputs?: Record<string, PlainTensor>; error?: string }) => this.settle(lane, message));
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
    installExitHook();
    const threads = Array.from({ length: count }, (): Thread => {
      const gate = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
      const worker = new Worker(workerSource, { eval: true, workerData: { runtime, path, gate: gate.buffer } });
      liveGates.add(gate);
      worker.once('exit', () => liveGates.delete(gate));
      return { worker, gate };
    });
    const loads = threads.map(
      ({ worker }) =>
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
      // The others may still be loading: end each only once it is out of the binding.
      await Promise.all(threads.map((thread) => endThread(thread, 0)));
      throw error instanceof SkillframeError ? error : new SkillframeError('internal', `model ${name}: worker threads did not start (${String((error as Error)?.message ?? error)})`);
    }
    return new WorkerSessions(name, threads);
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
      this.queue.push({ id: (this.nextId += 1), feeds, resolve, reject });
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
      this.lanes.map((lane) => {
        lane.worker.ref();
        lane.worker.postMessage({ __release: true });
        return endThread(lane, 5_000);
      }),
    );
  }

  private dispatch(): void {
    // Fill the emptiest threads first, so calls spread over every thread before any queues a second.
    for (let level = 0; level < depth; level += 1) {
      for (const lane of this.lanes) {
        if (lane.tasks.size > level || this.queue.length === 0) continue;
        const task = this.queue.shift() as Task;
        lane.tasks.set(task.id, task);
        lane.worker.ref();
        lane.worker.postMessage(
          { id: task.id, feeds: task.feeds },
          Object.values(task.feeds).map((tensor) => tensor.data.buffer as ArrayBuffer),
        );
      }
    }
  }

  private settle(lane: Lane, message: { id?: number; outputs?: Record<string, PlainTensor>; error?: string; loaded?: boolean; released?: boolean }): void {
    if (message.loaded !== undefined || message.released) return;
    const task = message.id === undefined ? undefined : lane.tasks.get(message.id);
    if (task) {
      lane.tasks.delete(task.id);
      if (message.outputs) task.resolve(message.outputs);
      else task.reject(new SkillframeError('internal', `model ${this.name}: ${message.error ?? 'no output'}`));
    }
    if (lane.tasks.size === 0) lane.worker.unref();
    this.dispatch();
  }

  /** A broken worker fails every call in flight or waiting; later calls fail at once (callers fall back). */
  private fail(error: SkillframeError): void {
    this.failure ??= error;
    for (const lane of this.lanes) {
      for (const task of lane.tasks.values()) task.reject(error);
      lane.tasks.clear();
    }
    for (const task of this.queue.splice(0)) task.reject(error);
  }
}
