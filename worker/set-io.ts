/**
 * The job worker's I/O thread: reads input sets ahead of the runs and writes output files, so
 * the worker's main thread does only what onnxruntime needs of it. `session.run` blocks the main
 * thread for the whole run (on a GPU it busy-waits), so whatever else that thread does adds to
 * every set; on this thread it overlaps the run. Measured on an H200 (bench:worker-parts),
 * reading a set's inputs on the main thread cost ~120 µs a set and the output writes' callbacks
 * ~90 µs, beside a 1.25 ms run.
 *
 * Both ends are here: `serveIo` runs in the thread (worker/io-thread.ts starts it), `IoThread`
 * is the main thread's end (worker/runner.ts). About one message each way a set, taken in the
 * pause between runs: after set N's run, the main thread posts N's outputs (their buffers
 * transferred, not copied), the buffers of N's inputs (for reuse) and the next set to read. The
 * thread reads, then writes the set's files (worker/out-files.ts `writeOutputs`, as the main
 * thread's own path: temp name + rename, so a kill -9 leaves whole files or none), all with
 * synchronous calls: waiting on files is what this thread is for, and libuv's threadpool would
 * add a hand-off and a wake-up per call. It answers the reads and the finished writes together,
 * in one message; the main thread waits for an input only when the thread falls two sets behind,
 * never for a write until six sets are under way. After a failed write the thread writes nothing more: the job fails
 * with that error. The main thread reports sets in order whatever order their writes end in.
 *
 * The thread runs the worker's own code, started so that it keeps the process's permissions;
 * the job is an ONNX model, not JavaScript. A thread started with other flags (`execArgv: []`)
 * would run outside the permission model, so the permission to start threads is dropped on
 * both threads once this one is up (`dropThreadStarts`, agent/jobs/sandbox.ts).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { inputFile } from './layout.ts';
import { syncFs, writeOutputs } from './out-files.ts';
import type { RunnerFs } from './out-files.ts';

/** One output file of a set, as the main thread hands it over. */
export interface OutputFile {
  name: string;
  path: string;
  /** The .npy header (copied: the main thread keeps one for the outputs of a name). */
  header: Uint8Array;
  /** The tensor's bytes: the whole of a buffer that is transferred, or a fresh copy. */
  data: Uint8Array;
}

/** Main thread → I/O thread. */
export type ToIoThread =
  | { type: 'init'; inputsDir: string; inputCount: number; read: number[] }
  | {
      type: 'set';
      /** A set whose run is over: its outputs to write. */
      write?: { set: number; files: OutputFile[] };
      /** Buffers of inputs the main thread is done with (by input), for the next reads. */
      recycle: (ArrayBuffer | null)[];
      /** Sets to read next. */
      read: number[];
    };

export type InputReply =
  | { set: number; ok: true; bytes: Uint8Array[] }
  | { set: number; ok: false; index: number; error: string };

export type WriteReply =
  { set: number; ok: true } | { set: number; ok: false; name?: string; error: string };

/** I/O thread → main thread: what is ready, several answers to a message when they come at once. */
export type FromIoThread =
  { type: 'ready' } | { type: 'done'; inputs: InputReply[]; written: WriteReply[] };

/** The thread's file calls, all synchronous (out-files.ts `syncFs`): this thread is there to wait on them. */
export interface ThreadFs extends RunnerFs {
  /** The whole file, read into `reuse` when it is large enough, else into a fresh buffer. */
  read(path: string, reuse: ArrayBuffer | undefined): Uint8Array;
}

export const threadFs: ThreadFs = {
  ...syncFs,
  read(path, reuse) {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const buffer = reuse && reuse.byteLength >= size ? reuse : new ArrayBuffer(size);
      const bytes = new Uint8Array(buffer, 0, size);
      let offset = 0;
      while (offset < size) {
        const n = readSync(fd, bytes, offset, size - offset, offset);
        if (n === 0) break;
        offset += n;
      }
      return bytes.subarray(0, offset);
    } finally {
      closeSync(fd);
    }
  },
};

/**
 * Gives up this thread's permission to start threads, under Node's permission model (a no-op
 * outside it). `--allow-worker` lets any code start a thread with flags of its choosing, and one
 * started with `execArgv: []` runs outside the permission model; so the worker starts its one
 * I/O thread and then drops the permission, on both threads, before onnxruntime is loaded or a
 * job file read (agent/jobs/sandbox.ts). True when no thread can be started from here on.
 */
export function dropThreadStarts(): boolean {
  const permission = process.permission as
    { has(scope: string): boolean; drop?: (scope: string) => void } | undefined;
  if (!permission || !permission.has('worker')) return true;
  if (typeof permission.drop !== 'function') return false;
  permission.drop('worker');
  return !permission.has('worker');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What `serveIo` needs of a port: the thread's parentPort, or one end of a MessageChannel. */
export interface IoPort {
  postMessage(message: FromIoThread, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (message: ToIoThread) => void): unknown;
}

/**
 * The thread's side: reads what the main thread asks for at once and in order, writes each set's
 * outputs as it comes (with `threadFs`, one call after another; a slow disk slows the batch, as
 * it must, but the main thread runs on through six sets before it waits), and answers what is
 * ready in one message.
 */
export function serveIo(port: IoPort, fs: ThreadFs = threadFs): void {
  let inputsDir = '';
  let inputCount = 0;
  /** Buffers handed back by the main thread, per input. */
  let spare: ArrayBuffer[][] = [];
  let failed = false;
  let inputs: InputReply[] = [];
  let written: WriteReply[] = [];
  let transfer: ArrayBuffer[] = [];
  let flushing = false;

  /** Answers everything ready, once this turn's work is done. */
  const flush = () => {
    if (flushing) return;
    flushing = true;
    setImmediate(() => {
      flushing = false;
      if (inputs.length === 0 && written.length === 0) return;
      port.postMessage({ type: 'done', inputs, written }, transfer);
      inputs = [];
      written = [];
      transfer = [];
    });
  };

  const readSet = (set: number): void => {
    const bytes: Uint8Array[] = [];
    for (let i = 0; i < inputCount; i++) {
      try {
        bytes.push(fs.read(join(inputsDir, inputFile(set, i)), spare[i]?.pop()));
      } catch (error) {
        // The buffers read so far go back to the pool.
        for (const [j, b] of bytes.entries()) spare[j]?.push(b.buffer as ArrayBuffer);
        inputs.push({ set, ok: false, index: i, error: errorText(error) });
        return;
      }
    }
    for (const b of bytes) transfer.push(b.buffer as ArrayBuffer);
    inputs.push({ set, ok: true, bytes });
  };

  const writeSet = async (set: number, files: OutputFile[]): Promise<WriteReply> => {
    // After a failed write, nothing more is written: the job fails with that one.
    const failure = await writeOutputs(
      fs,
      files.map((f) => ({ name: f.name, path: f.path, parts: [f.header, f.data] })),
      () => failed,
    );
    if (!failure) return { set, ok: true };
    failed = true;
    return {
      set,
      ok: false,
      ...(failure.name === undefined ? {} : { name: failure.name }),
      error: errorText(failure.error),
    };
  };

  port.on('message', (message) => {
    if (message.type === 'init') {
      inputsDir = message.inputsDir;
      inputCount = message.inputCount;
      spare = Array.from({ length: inputCount }, () => []);
    } else {
      for (const [i, b] of message.recycle.entries()) if (b) spare[i]?.push(b);
      if (message.write) {
        void writeSet(message.write.set, message.write.files).then((reply) => {
          written.push(reply);
          flush();
        });
      }
    }
    for (const set of message.read) readSet(set);
    if (message.read.length > 0) flush();
  });
  port.postMessage({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// The main thread's end

/** How many sets past the one running are read ahead (each keeps its input buffers). */
export const READ_AHEAD = 2;
/** How long the thread may take to start (it starts beside session creation). */
const START_MS = 10_000;

type InputWaiter = (reply: InputReply) => void;

/** The main thread's end of the I/O thread. */
export class IoThread {
  readonly #worker: Worker;
  readonly #setCount: number;
  readonly #inputs = new Map<number, InputReply>();
  readonly #inputWaiters = new Map<number, InputWaiter>();
  readonly #writes = new Map<number, (reply: WriteReply) => void>();
  /** The next set to ask the thread for. */
  #nextRead: number;
  /** Why the thread is gone, once it is. */
  #stopped: string | undefined;

  private constructor(worker: Worker, startSet: number, setCount: number) {
    this.#worker = worker;
    this.#nextRead = startSet;
    this.#setCount = setCount;
  }

  /**
   * Starts the thread and waits for it to say it is ready; the reason instead when it cannot
   * start (no `--allow-worker` under the permission model, a module that does not load, ...).
   * Never rejects.
   */
  static async start(
    make: () => Worker,
    plan: { inputsDir: string; inputCount: number; startSet: number; setCount: number },
  ): Promise<IoThread | { failed: string }> {
    let worker: Worker;
    try {
      worker = make();
    } catch (error) {
      return { failed: errorText(error) };
    }
    const thread = new IoThread(worker, plan.startSet, plan.setCount);
    const started = await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(`it did not start in ${START_MS} ms`), START_MS);
      const settle = (why: string | undefined) => {
        clearTimeout(timer);
        resolve(why);
      };
      worker.once('message', (m: FromIoThread) =>
        settle(m.type === 'ready' ? undefined : `it said ${String(m.type)} first`),
      );
      worker.once('error', (error) => settle(errorText(error)));
      worker.once('exit', (code) => settle(`it exited (${code}) as it started`));
    });
    if (started !== undefined) {
      await worker.terminate().catch(() => undefined);
      return { failed: started };
    }
    worker.on('message', (m: FromIoThread) => thread.#onMessage(m));
    worker.on('error', (error) => thread.#stop(`the I/O thread failed: ${errorText(error)}`));
    worker.on('exit', (code) => thread.#stop(`the I/O thread exited (${code})`));
    worker.postMessage({
      type: 'init',
      inputsDir: plan.inputsDir,
      inputCount: plan.inputCount,
      read: thread.#toRead(READ_AHEAD + 1),
    } satisfies ToIoThread);
    return thread;
  }

  /** The next sets to read, up to `count`, never past the batch. */
  #toRead(count: number): number[] {
    const sets: number[] = [];
    while (sets.length < count && this.#nextRead < this.#setCount) sets.push(this.#nextRead++);
    return sets;
  }

  #onMessage(m: FromIoThread): void {
    if (m.type !== 'done') return;
    for (const reply of m.inputs) {
      const waiter = this.#inputWaiters.get(reply.set);
      if (waiter) {
        this.#inputWaiters.delete(reply.set);
        waiter(reply);
      } else {
        this.#inputs.set(reply.set, reply);
      }
    }
    for (const reply of m.written) {
      const settle = this.#writes.get(reply.set);
      this.#writes.delete(reply.set);
      settle?.(reply);
    }
  }

  #stop(why: string): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = why;
    for (const [set, waiter] of this.#inputWaiters)
      waiter({ set, ok: false, index: -1, error: why });
    this.#inputWaiters.clear();
    for (const [set, settle] of this.#writes) settle({ set, ok: false, error: why });
    this.#writes.clear();
  }

  /** A set's input files, as read ahead; waits when the thread has not answered yet. */
  inputs(set: number): InputReply | Promise<InputReply> {
    const ready = this.#inputs.get(set);
    if (ready) {
      this.#inputs.delete(set);
      return ready;
    }
    if (this.#stopped !== undefined) return { set, ok: false, index: -1, error: this.#stopped };
    return new Promise((resolve) => this.#inputWaiters.set(set, resolve));
  }

  /**
   * Hands over a set's outputs (their buffers are transferred: the tensors are done with) and
   * the set's input buffers, and asks for the next set to read. Settles once the files are in
   * place or failed; never rejects.
   */
  write(set: number, files: OutputFile[], doneWith: Uint8Array[]): Promise<WriteReply> {
    if (this.#stopped !== undefined)
      return Promise.resolve({ set, ok: false, error: this.#stopped });
    const transfer = new Set<ArrayBuffer>();
    for (const f of files) transfer.add(f.data.buffer as ArrayBuffer);
    // An input buffer that is also an output's (an identity model) goes once, as the output.
    const recycle = doneWith.map((b) => {
      const buffer = b.buffer as ArrayBuffer;
      if (transfer.has(buffer) || buffer.detached) return null;
      transfer.add(buffer);
      return buffer;
    });
    const written = new Promise<WriteReply>((resolve) => this.#writes.set(set, resolve));
    this.#worker.postMessage(
      {
        type: 'set',
        write: { set, files },
        recycle,
        read: this.#toRead(1),
      } satisfies ToIoThread,
      [...transfer],
    );
    return written;
  }

  /** Stops the thread; its reads ahead are dropped. Call once no write is under way. */
  async close(): Promise<void> {
    this.#stopped ??= 'closed';
    await this.#worker.terminate().catch(() => undefined);
  }
}

/**
 * The bytes of an output tensor as a buffer of its own, to transfer to the thread: its own
 * buffer when the tensor's data is the whole of one (onnxruntime-node's outputs are), else a
 * copy (a view into a larger buffer cannot go without the rest of it).
 */
export function ownBytes(data: ArrayBufferView): Uint8Array {
  const buffer = data.buffer;
  if (
    buffer instanceof ArrayBuffer &&
    data.byteOffset === 0 &&
    data.byteLength === buffer.byteLength &&
    !buffer.detached
  ) {
    return new Uint8Array(buffer);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}
