/**
 * Starting a job worker. The supervisor sees a `WorkerProcess`; how it came to be is the
 * spawner's business, so the headless agent uses `createNodeWorkerSpawner` (child_process inside
 * the sandbox of sandbox.ts) and the Electron shell can inject one built on utilityProcess:
 *
 *   const child = utilityProcess.fork(entry, [], { env: scrubWorkerEnv(process.env, scratchDir),
 *     stdio: 'pipe', serviceName: 'Roost job worker' });
 *   send: (m) => child.postMessage(m); child.on('message', listener); child.on('exit', ...);
 *   kill: () => child.kill()
 *
 * The worker's transport (worker/transport.ts) speaks to either.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { ToWorker } from '../../worker/protocol.ts';
import { LineSplitter, followJsonLines } from '../../worker/protocol.ts';
import {
  buildLaunch,
  canDropPermissions,
  defaultWorkerEntry,
  detectBwrap,
  prefetchDropVerdict,
} from './sandbox.ts';
import type { SandboxLayers } from './schema.ts';

export interface WorkerLaunch {
  jobId: string;
  /** Model (`model/`) and input sets (`sets/`): read-only for the worker. */
  inputsDir: string;
  outDir: string;
  scratchDir: string;
  /** Another entry module than worker/entry.ts (test payloads only). */
  entry?: string;
  extraReadPaths?: string[];
}

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

export interface WorkerProcess {
  readonly pid: number | undefined;
  readonly sandbox: SandboxLayers;
  send(message: ToWorker): void;
  /** Each message from the worker, decoded but not yet checked; `undefined` for garbage. */
  onMessage(listener: (raw: unknown) => void): void;
  /** The pipe carried something that is not a message at all (an endless line). */
  onProtocolError(listener: (reason: string) => void): void;
  onExit(listener: (exit: WorkerExit) => void): void;
  /** The last bytes the worker wrote to stdout/stderr (onnxruntime's own logs), for diagnosis. */
  outputTail(): string;
  /** Kills the worker and everything it started, now. */
  kill(): void;
}

export type SpawnWorker = (launch: WorkerLaunch) => WorkerProcess;

export interface NodeWorkerSpawnerOptions {
  /** default process.execPath */
  nodePath?: string;
  /** 'auto' (default): use bwrap when it works here; 'off'; or a path to bwrap. */
  bwrap?: 'auto' | 'off' | string;
  /** default true */
  permissionModel?: boolean;
  /** The environment to scrub for the worker; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** false: don't scrub it (bench:worker --env inherit, to measure that layer); default true. */
  scrubEnv?: boolean;
  /** Bytes of stdout+stderr kept for diagnosis; default 64 KiB. */
  maxOutputBytes?: number;
}

/** The headless spawner: child_process + the sandbox layers of sandbox.ts. */
export function createNodeWorkerSpawner(options: NodeWorkerSpawnerOptions = {}): SpawnWorker {
  const env = options.env ?? process.env;
  const nodePath = options.nodePath ?? process.execPath;
  const maxOutput = options.maxOutputBytes ?? 64 * 1024;
  let bwrapPath: string | null;
  let bwrapNote: string | undefined;
  if (options.bwrap === 'off') {
    bwrapPath = null;
    bwrapNote = 'bubblewrap turned off';
  } else if (options.bwrap && options.bwrap !== 'auto') {
    bwrapPath = options.bwrap;
  } else {
    const found = detectBwrap(env);
    bwrapPath = found.path;
    bwrapNote = found.why;
  }
  const permissionModel = options.permissionModel ?? true;
  // Asked now, in the background, rather than by the first job on the agent's thread.
  if (permissionModel) void prefetchDropVerdict(nodePath);
  return (launch) => {
    const command = buildLaunch(
      {
        entry: launch.entry ?? defaultWorkerEntry(),
        inputsDir: launch.inputsDir,
        outDir: launch.outDir,
        scratchDir: launch.scratchDir,
        ...(launch.extraReadPaths ? { extraReadPaths: launch.extraReadPaths } : {}),
      },
      {
        nodePath,
        bwrapPath,
        permissionModel,
        env,
        ...(options.scrubEnv === false ? { scrubEnv: false } : {}),
        // The worker's I/O thread, where this Node lets the worker drop the permission after.
        workerThreads: permissionModel && canDropPermissions(nodePath),
      },
    );
    if (bwrapNote && !command.layers.bwrap) {
      command.layers.notes = [
        ...(command.layers.notes ?? []).filter((n) => !/bubblewrap/.test(n)),
        bwrapNote,
      ];
    }
    return wrapChild(
      spawn(command.command, command.args, {
        env: command.env,
        cwd: launch.scratchDir,
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        // Its own process group, so kill() reaches anything it started.
        detached: process.platform !== 'win32',
        windowsHide: true,
      }),
      command.layers,
      maxOutput,
    );
  };
}

function wrapChild(child: ChildProcess, layers: SandboxLayers, maxOutput: number): WorkerProcess {
  const messageListeners: ((raw: unknown) => void)[] = [];
  const protocolListeners: ((reason: string) => void)[] = [];
  const exitListeners: ((exit: WorkerExit) => void)[] = [];
  let output = '';
  let exited: WorkerExit | undefined;
  const splitter = new LineSplitter();

  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-maxOutput);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const fromWorker = child.stdio[3] as Readable | null;
  if (fromWorker) {
    followJsonLines(
      fromWorker,
      splitter,
      (raw) => {
        for (const l of messageListeners) l(raw);
      },
      (reason) => {
        for (const l of protocolListeners) l(reason);
      },
    );
  }
  fromWorker?.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);

  const finish = (exit: WorkerExit) => {
    if (exited) return;
    exited = exit;
    for (const l of exitListeners) l(exit);
  };
  child.on('error', (error) => {
    if (child.pid === undefined) finish({ code: null, signal: null, spawnError: error.message });
  });
  // 'close' waits for the pipes, so every message the worker wrote is delivered before exit.
  child.on('close', (code, signal) => finish({ code, signal }));

  return {
    get pid() {
      return child.pid;
    },
    sandbox: layers,
    send(message) {
      const stdin = child.stdin as Writable | null;
      if (stdin && !stdin.destroyed && stdin.writable) stdin.write(JSON.stringify(message) + '\n');
    },
    onMessage: (l) => messageListeners.push(l),
    onProtocolError: (l) => protocolListeners.push(l),
    onExit(l) {
      if (exited) queueMicrotask(() => l(exited as WorkerExit));
      else exitListeners.push(l);
    },
    outputTail: () => output,
    kill() {
      if (exited || child.pid === undefined) return;
      try {
        if (process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    },
  };
}
