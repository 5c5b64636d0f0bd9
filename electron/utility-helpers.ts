/**
 * The agent's other Node children through Electron's utilityProcess: the accelerator probe and
 * the systeminformation child (which hardware/ starts as `node <script> …` through its injected
 * `Spawner`), and the benchmark child (bench/child.ts's `SpawnBenchChild`).
 *
 * Only Roost's own built helpers run this way: a `node <script>` request is matched by name
 * against an allow-list of entries in dist/worker/ and anything else is refused, so the packaged
 * app can never be talked into running some other script as Node. Every other command (nvidia-smi,
 * rocm-smi) goes to the ordinary spawner.
 *
 * The built-in test market's node (contracts/devnet.ts's `StartNodeModule`) runs the same way,
 * held to the one entry file the app ships for it (`createUtilityModuleStarter`).
 */
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import {
  NodeModuleEvents,
  splitLines,
  type NodeModuleChild,
  type StartNodeModule,
} from '../contracts/devnet-process.ts';
import type { BenchChild, SpawnBenchChild } from '../agent/bench/child.ts';
import type { SpawnedProcess, Spawner } from '../agent/hardware/run-tool.ts';
import { BENCH_MAX_LINE_BYTES } from '../worker/bench-protocol.ts';
import {
  relayMessages,
  utilityEnv,
  watchUtilityChild,
  type ForkUtility,
  type WatchOptions,
} from './utility-process.ts';

/** Helper name (file name without extension) → its built entry. */
export type HelperEntries = Readonly<Record<string, string>>;

/** The built entry for a script the agent asked Node to run, or undefined when it is not ours. */
export function builtEntryFor(script: string, entries: HelperEntries): string | undefined {
  const name = basename(script).replace(/\.(ts|js|mjs)$/, '');
  const built = Object.hasOwn(entries, name) ? entries[name] : undefined;
  return built;
}

function stringEnv(env: NodeJS.ProcessEnv | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env ?? process.env))
    if (value !== undefined) out[key] = value;
  return utilityEnv(out);
}

/** A utility child dressed as the ChildProcess that hardware/run-tool.ts expects. */
class UtilityTool extends EventEmitter {
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly #pid: () => number | undefined;
  readonly #kill: (signal?: NodeJS.Signals | number) => void;
  constructor(
    streams: { stdout: Readable | null; stderr: Readable | null },
    pid: () => number | undefined,
    kill: (signal?: NodeJS.Signals | number) => void,
  ) {
    super();
    this.stdout = streams.stdout;
    this.stderr = streams.stderr;
    this.#pid = pid;
    this.#kill = kill;
  }
  get pid(): number | undefined {
    return this.#pid();
  }
  kill(signal?: NodeJS.Signals | number): boolean {
    this.#kill(signal);
    return true;
  }
}

function refused(message: string): SpawnedProcess {
  const tool = new UtilityTool(
    { stdout: null, stderr: null },
    () => undefined,
    () => undefined,
  );
  // Asynchronously, like child_process: the caller attaches its listeners first.
  queueMicrotask(() => tool.emit('error', Object.assign(new Error(message), { code: 'EACCES' })));
  return tool as unknown as SpawnedProcess;
}

export interface UtilityToolSpawnerOptions {
  fork: ForkUtility;
  /** The `nodePath` the agent was given: commands equal to it are Node-run helper scripts. */
  nodeCommand: string;
  entries: HelperEntries;
  /** Everything that is not a Node helper (nvidia-smi, …); default child_process. */
  fallback: Spawner;
  watch?: WatchOptions;
  killPid?: (pid: number) => void;
}

/** hardware/'s Spawner: Roost's Node helpers in a utilityProcess, real tools as they are. */
export function createUtilityToolSpawner(options: UtilityToolSpawnerOptions): Spawner {
  const killPid = options.killPid ?? ((pid: number) => process.kill(pid, 'SIGKILL'));
  return (command, args, spawnOptions) => {
    if (command !== options.nodeCommand) return options.fallback(command, args, spawnOptions);
    const [script, ...rest] = args;
    const entry = script === undefined ? undefined : builtEntryFor(script, options.entries);
    if (!entry)
      return refused(
        `${script ?? 'nothing'} is not one of Roost's helpers; the desktop app runs only its own`,
      );
    let child;
    try {
      child = options.fork(entry, rest, {
        env: stringEnv(spawnOptions.env),
        ...(typeof spawnOptions.cwd === 'string' ? { cwd: spawnOptions.cwd } : {}),
        stdio: ['ignore', 'pipe', 'pipe'],
        serviceName: `Roost helper (${basename(entry)})`,
      });
    } catch (error) {
      return refused(`could not start ${basename(entry)}: ${String(error)}`);
    }
    const watched = watchUtilityChild(child, { killPid, ...options.watch });
    const tool = new UtilityTool(
      {
        stdout: child.stdout as Readable | null,
        stderr: child.stderr as Readable | null,
      },
      () => child.pid,
      (signal) => {
        if (signal === 'SIGKILL' && child.pid !== undefined && !watched.exited) {
          try {
            killPid(child.pid);
            return;
          } catch {
            // Fall through to the gentle kill.
          }
        }
        watched.kill();
      },
    );
    watched.onExit((exit) => {
      tool.emit('exit', exit.code, null);
      tool.emit('close', exit.code, null);
    });
    return tool as unknown as SpawnedProcess;
  };
}

export interface UtilityBenchSpawnerOptions {
  fork: ForkUtility;
  entries: HelperEntries;
  watch?: WatchOptions;
}

/** bench/'s SpawnBenchChild on utilityProcess: `postMessage` carries the protocol's objects. */
export function createUtilityBenchSpawner(options: UtilityBenchSpawnerOptions): SpawnBenchChild {
  return (launch): BenchChild => {
    const entry = builtEntryFor(launch.entry, options.entries);
    if (!entry) throw new Error(`${launch.entry} is not Roost's benchmark helper`);
    const child = options.fork(entry, [], {
      env: stringEnv(launch.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      serviceName: 'Roost benchmark',
    });
    const watched = watchUtilityChild(child, options.watch);
    const messages = relayMessages(child, watched, BENCH_MAX_LINE_BYTES);
    return {
      send(message) {
        if (!watched.exited) child.postMessage(message);
      },
      onMessage: messages.onMessage,
      onProtocolError: messages.onProtocolError,
      onExit: (l) => watched.onExit(l),
      outputTail: () => watched.outputTail(),
      kill: () => watched.kill(),
    };
  };
}

export interface UtilityModuleStarterOptions {
  fork: ForkUtility;
  /** The only modules it starts: files the app ships (the devnet's node entry). */
  modules: readonly string[];
  /** Shown in the OS's process list. */
  serviceName: string;
  watch?: WatchOptions;
  killPid?: (pid: number) => void;
}

/** A child that never ran, reporting why as its exit (asynchronously, like a failed spawn). */
function refusedModule(message: string): NodeModuleChild {
  const events = new NodeModuleEvents();
  queueMicrotask(() => events.exit({ code: null, signal: null, error: message }));
  return {
    pid: undefined,
    get exited() {
      return events.exited;
    },
    onLine: (listener) => events.onLine(listener),
    onExit: (listener) => events.onExit(listener),
    kill: () => undefined,
  };
}

/**
 * contracts/devnet.ts's `StartNodeModule` on utilityProcess, for the installed app (its binary
 * can't run as plain Node). Output comes back as lines, the exit after them, and SIGKILL ends the
 * process at once where the watcher's gentle kill would wait.
 */
export function createUtilityModuleStarter(options: UtilityModuleStarterOptions): StartNodeModule {
  const killPid = options.killPid ?? ((pid: number) => process.kill(pid, 'SIGKILL'));
  return (launch) => {
    if (!options.modules.includes(launch.modulePath))
      return refusedModule(
        `${launch.modulePath} is not a module the desktop app runs (only ${options.modules.join(', ')})`,
      );
    let child;
    try {
      child = options.fork(launch.modulePath, launch.args, {
        env: utilityEnv(launch.env),
        cwd: launch.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        serviceName: options.serviceName,
      });
    } catch (error) {
      return refusedModule(`could not start ${basename(launch.modulePath)}: ${String(error)}`);
    }
    const events = new NodeModuleEvents();
    splitLines(child.stdout, (line) => events.line(line));
    splitLines(child.stderr, (line) => events.line(line));
    child.on('error', (type, location) => events.line(`[utility process] ${type} at ${location}`));
    const watched = watchUtilityChild(child, { killPid, ...options.watch });
    watched.onExit((exit) => events.exit({ code: exit.code, signal: exit.signal }));
    return {
      get pid() {
        return child.pid;
      },
      get exited() {
        return events.exited;
      },
      onLine: (listener) => events.onLine(listener),
      onExit: (listener) => events.onExit(listener),
      kill(signal) {
        if (events.exited) return;
        if (signal === 'SIGKILL' && child.pid !== undefined) {
          try {
            killPid(child.pid);
            return;
          } catch {
            // Already gone: fall through to the gentle kill.
          }
        }
        watched.kill();
      },
    };
  };
}
