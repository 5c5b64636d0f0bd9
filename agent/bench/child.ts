/**
 * The agent's end of the benchmark child (worker/bench-entry.ts): spawn it, hand it the plan,
 * parse every message it sends as untrusted input, stop it on request, kill it when it hangs.
 * Everything that can go wrong comes back as data in `BenchChildOutcome`; nothing throws.
 *
 * The spawner is injected: headless hosts use `createNodeBenchSpawner` (child_process, its own
 * process group so a Ctrl-C in the terminal reaches the agent, which then stops the child
 * cleanly); the Electron shell can pass one built on utilityProcess (`postMessage` carries the
 * same objects as the lines).
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  BENCH_MAX_LINE_BYTES,
  BENCH_PROTOCOL_VERSION,
  fromBenchSchema,
} from '../../worker/bench-protocol.ts';
import type { BenchPlan, FromBench, ToBench } from '../../worker/bench-protocol.ts';
import { LineSplitter, followJsonLines } from '../../worker/protocol.ts';

export interface BenchChildExit {
  code: number | null;
  signal: string | null;
  spawnError?: string;
}

/** A running benchmark child, however it was started. */
export interface BenchChild {
  send(message: ToBench): void;
  /** Each message, JSON-decoded but not yet checked; `undefined` for a line that is not JSON. */
  onMessage(listener: (raw: unknown) => void): void;
  onProtocolError(listener: (reason: string) => void): void;
  onExit(listener: (exit: BenchChildExit) => void): void;
  /** The last bytes it wrote to stdout/stderr (onnxruntime's and the driver's logs). */
  outputTail(): string;
  kill(): void;
}

export interface BenchLaunch {
  /** worker/bench-entry.ts, or its packaged .js. */
  entry: string;
  env: NodeJS.ProcessEnv;
}

export type SpawnBenchChild = (launch: BenchLaunch) => BenchChild;

export function defaultBenchEntry(): string {
  return fileURLToPath(new URL('../../worker/bench-entry.ts', import.meta.url));
}

/** child_process spawner: messages to the child on stdin, from it on fd 3. */
export function createNodeBenchSpawner(
  options: { nodePath?: string; maxOutputBytes?: number } = {},
): SpawnBenchChild {
  const nodePath = options.nodePath ?? process.execPath;
  const maxOutput = options.maxOutputBytes ?? 64 * 1024;
  return (launch) => {
    const messageListeners: ((raw: unknown) => void)[] = [];
    const protocolListeners: ((reason: string) => void)[] = [];
    const exitListeners: ((exit: BenchChildExit) => void)[] = [];
    let output = '';
    let exited: BenchChildExit | undefined;
    const finish = (exit: BenchChildExit) => {
      if (exited) return;
      exited = exit;
      for (const l of exitListeners) l(exit);
    };
    const child = spawn(nodePath, [launch.entry], {
      env: launch.env,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C reaches the agent, which stops the child in order.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-maxOutput);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.stdin?.on('error', () => undefined); // a dead child's stdin: its exit tells the story
    const splitter = new LineSplitter(BENCH_MAX_LINE_BYTES);
    const fromChild = child.stdio[3] as Readable | null;
    if (fromChild) {
      followJsonLines(
        fromChild,
        splitter,
        (raw) => {
          for (const l of messageListeners) l(raw);
        },
        (reason) => {
          for (const l of protocolListeners) l(reason);
        },
      );
    }
    child.once('error', (error) => finish({ code: null, signal: null, spawnError: error.message }));
    // 'close': every pipe is drained, so no message is lost behind the exit.
    child.once('close', (code, signal) => finish({ code, signal }));
    return {
      send(message) {
        if (!exited && child.stdin?.writable) child.stdin.write(`${JSON.stringify(message)}\n`);
      },
      onMessage: (l) => messageListeners.push(l),
      onProtocolError: (l) => protocolListeners.push(l),
      onExit(l) {
        if (exited) l(exited);
        else exitListeners.push(l);
      },
      outputTail: () => output,
      kill() {
        if (exited || child.pid === undefined) return;
        try {
          if (process.platform === 'win32') child.kill('SIGKILL');
          else process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      },
    };
  };
}

type Message<T extends FromBench['type']> = Extract<FromBench, { type: T }>;

export type WorkloadOutcome = Message<'workload-done'> | Message<'workload-failed'>;

export interface BenchChildOutcome {
  hello?: Message<'hello'>;
  /** By workload id, in the order they finished. */
  results: Map<string, WorkloadOutcome>;
  /** Workloads the child began (the last of them was in flight if the run ended early). */
  started: string[];
  /** True when the run ended because of `signal`. */
  stopped: boolean;
  /** The child's own CPU time, ms, as its `done` said. */
  cpuMs?: number;
  /** Set when the child failed as a whole: crashed, hung, spoke garbage, could not start. */
  failure?: string;
  outputTail: string;
}

export interface RunBenchChildOptions {
  spawn: SpawnBenchChild;
  launch: BenchLaunch;
  plan: BenchPlan;
  signal?: AbortSignal;
  onMessage?: (message: FromBench) => void;
  /** Silence after which the child counts as hung; default 180 s (one slow run, shader compiles). */
  silenceMs?: number;
  /** After a stop, how long the child may take to finish its run in flight; default 15 s. */
  stopGraceMs?: number;
}

/** Run the plan in a fresh child. Never rejects. */
export function runBenchChild(options: RunBenchChildOptions): Promise<BenchChildOutcome> {
  const silenceMs = options.silenceMs ?? 180_000;
  const stopGraceMs = options.stopGraceMs ?? 15_000;
  return new Promise((resolve) => {
    const outcome: BenchChildOutcome = {
      results: new Map(),
      started: [],
      stopped: false,
      outputTail: '',
    };
    let child: BenchChild;
    let outSeq = 0;
    let inSeq = 0;
    let done = false;
    let sawDone = false;
    let silenceTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const fail = (reason: string) => {
      outcome.failure ??= reason;
      child.kill();
    };
    const armSilence = () => {
      clearTimeout(silenceTimer);
      silenceTimer = setTimeout(
        () =>
          fail(`the benchmark process gave no sign of life for ${Math.round(silenceMs / 1000)} s`),
        silenceMs,
      );
    };
    const stop = () => {
      if (done || outcome.stopped) return;
      outcome.stopped = true;
      outSeq += 1;
      child.send({ type: 'stop', seq: outSeq });
      graceTimer = setTimeout(() => child.kill(), stopGraceMs);
    };

    try {
      child = options.spawn(options.launch);
    } catch (error) {
      resolve({ ...outcome, failure: `the benchmark process could not start: ${String(error)}` });
      return;
    }

    child.onProtocolError((reason) => fail(`the benchmark process broke the protocol: ${reason}`));
    child.onMessage((raw) => {
      armSilence();
      const parsed = fromBenchSchema.safeParse(raw);
      if (!parsed.success) {
        fail('the benchmark process sent a message that does not parse');
        return;
      }
      const message = parsed.data;
      if (message.seq !== inSeq + 1) {
        fail(`the benchmark process sent message ${message.seq} after ${inSeq}`);
        return;
      }
      inSeq = message.seq;
      switch (message.type) {
        case 'hello':
          if (outcome.hello) return fail('the benchmark process said hello twice');
          if (message.protocol !== BENCH_PROTOCOL_VERSION)
            return fail(`the benchmark process speaks protocol ${message.protocol}`);
          outcome.hello = message;
          outSeq += 1;
          child.send({ type: 'run', seq: outSeq, plan: options.plan });
          if (options.signal?.aborted) stop();
          break;
        case 'workload-started':
          outcome.started.push(message.id);
          break;
        case 'workload-done':
        case 'workload-failed':
          outcome.results.set(message.id, message);
          break;
        case 'done':
          sawDone = true;
          if (message.cpuMs !== undefined) outcome.cpuMs = message.cpuMs;
          break;
        case 'fatal':
          outcome.failure ??= `the benchmark process gave up: ${message.error}`;
          break;
        case 'progress':
          break;
      }
      options.onMessage?.(message);
    });
    child.onExit((exit) => {
      done = true;
      clearTimeout(silenceTimer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', stop);
      if (exit.spawnError) {
        outcome.failure ??= `the benchmark process could not start: ${exit.spawnError}`;
      } else if (!sawDone && !outcome.stopped) {
        outcome.failure ??= `the benchmark process ended early (${exit.signal ?? `exit code ${exit.code}`})`;
      }
      outcome.outputTail = child.outputTail();
      resolve(outcome);
    });
    options.signal?.addEventListener('abort', stop, { once: true });
    armSilence();
  });
}
