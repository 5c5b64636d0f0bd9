/**
 * The job worker through Electron's utilityProcess: a `SpawnWorker` for the job service
 * (agent/jobs/spawner.ts), used by the packaged desktop app where the worker cannot run under
 * Node + bubblewrap (see electron/helpers.ts for which is used when).
 *
 * The worker speaks the same protocol either way: worker/transport.ts finds
 * `process.parentPort` and carries the same objects as `postMessage` messages instead of lines.
 * Each message from the worker is still untrusted: anything that is not a plain JSON object, or
 * is larger than a line may be, is reported as garbage or as a protocol error, and the
 * supervisor kills the worker for it. The layers it runs with are reported honestly: a scrubbed
 * environment and one process per job, no permission model, no OS sandbox.
 */
import { scrubWorkerEnv } from '../agent/jobs/sandbox.ts';
import type { SpawnWorker, WorkerProcess } from '../agent/jobs/spawner.ts';
import type { SandboxLayers } from '../agent/jobs/schema.ts';
import { MAX_LINE_BYTES } from '../worker/protocol.ts';
import {
  relayMessages,
  utilityEnv,
  watchUtilityChild,
  type ForkUtility,
  type WatchOptions,
} from './utility-process.ts';

export interface UtilityWorkerSpawnerOptions {
  fork: ForkUtility;
  /** The built worker entry, dist/worker/entry.js (a launch's own `entry` wins: test payloads). */
  entry: string;
  /** The environment to scrub; default process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Why this worker has no OS sandbox, in words (shown with the job's sandbox layers). */
  why?: string;
  /** The largest message the worker may send; default the line limit of the pipe protocol. */
  maxMessageBytes?: number;
  watch?: WatchOptions;
}

export function utilitySandboxLayers(why?: string): SandboxLayers {
  return {
    scrubbedEnv: true,
    permissionModel: false,
    bwrap: false,
    notes: [
      "Node permission model off: Electron's utilityProcess drops Node flags",
      why ?? 'no OS sandbox: no network or pid isolation',
    ],
  };
}

export function createUtilityWorkerSpawner(options: UtilityWorkerSpawnerOptions): SpawnWorker {
  const maxBytes = options.maxMessageBytes ?? MAX_LINE_BYTES;
  return (launch): WorkerProcess => {
    const env = utilityEnv(
      scrubWorkerEnv(options.env ?? process.env, launch.scratchDir, options.platform),
    );
    // A throw here is a failed start; the supervisor reports it and may try again.
    const child = options.fork(launch.entry ?? options.entry, [], {
      env,
      cwd: launch.scratchDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      serviceName: 'Roost job worker',
    });
    const watched = watchUtilityChild(child, options.watch);
    const messages = relayMessages(child, watched, maxBytes);
    return {
      get pid() {
        return child.pid;
      },
      sandbox: utilitySandboxLayers(options.why),
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
