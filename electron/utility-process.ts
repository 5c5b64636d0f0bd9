/**
 * Electron's utilityProcess as the helper children see it: the part of its API Roost uses
 * (injected, so tests pass a fake or a Node-IPC stand-in) and one watcher that turns a child's
 * life into what the agent's spawners report — an exit delivered only after its output and
 * queued messages, the last bytes it wrote, and a kill that really ends it.
 *
 * Why utilityProcess: the packaged app flips the RunAsNode fuse off, so Electron's binary can no
 * longer be run as plain Node (`ELECTRON_RUN_AS_NODE`); utilityProcess is Electron's own way to
 * start a Node child. It drops Node's command-line flags, so the permission model is not there;
 * electron/helpers.ts says which children run this way and which keep Node + bubblewrap.
 */

/** The piece of Electron's `UtilityProcess` that Roost uses. */
export interface UtilityChild {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  /** SIGTERM on POSIX (Electron reaps it); TerminateProcess on Windows. */
  kill(): boolean;
  on(event: 'spawn', listener: () => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (type: string, location: string, report: string) => void): unknown;
}

export interface UtilityForkOptions {
  env: Record<string, string>;
  cwd?: string;
  /** stdin can only be ignored; stdout and stderr are kept for diagnosis. */
  stdio: ['ignore', 'pipe', 'pipe'];
  /** Shown in the OS's process list and in `app.getAppMetrics()`. */
  serviceName: string;
}

/** `utilityProcess.fork` (Electron main, after `ready`), or a stand-in. */
export type ForkUtility = (
  modulePath: string,
  args: string[],
  options: UtilityForkOptions,
) => UtilityChild;

export interface UtilityExit {
  code: number | null;
  signal: string | null;
  spawnError?: string;
}

export interface WatchOptions {
  /** Bytes of stdout+stderr kept; default 64 KiB. */
  maxOutputBytes?: number;
  /**
   * After `exit`, how long to wait for messages still in flight before reporting it; default
   * 100 ms. (A child pipe's 'close' comes after its data; utilityProcess has no such event.)
   */
  settleMs?: number;
  /** After kill(), how long a child may take to go before SIGKILL; default 2 s. */
  killGraceMs?: number;
  /** Sends SIGKILL to a pid; default process.kill. */
  killPid?: (pid: number) => void;
}

export interface WatchedChild {
  onExit(listener: (exit: UtilityExit) => void): void;
  outputTail(): string;
  kill(): void;
  readonly exited: boolean;
}

/** Follows one child: its output tail, its exit (after its output), and a kill that holds. */
export function watchUtilityChild(child: UtilityChild, options: WatchOptions = {}): WatchedChild {
  const maxOutput = options.maxOutputBytes ?? 64 * 1024;
  const settleMs = options.settleMs ?? 100;
  const killGraceMs = options.killGraceMs ?? 2000;
  const killPid = options.killPid ?? ((pid: number) => process.kill(pid, 'SIGKILL'));
  const listeners: ((exit: UtilityExit) => void)[] = [];
  let output = '';
  let exited: UtilityExit | undefined;
  let exitSeen = false;
  let killTimer: NodeJS.Timeout | undefined;

  const keep = (chunk: unknown) => {
    output = (output + (typeof chunk === 'string' ? chunk : String(chunk))).slice(-maxOutput);
  };
  const open = new Set<NodeJS.ReadableStream>();
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    open.add(stream);
    stream.on('data', (chunk: Buffer | string) =>
      keep(typeof chunk === 'string' ? chunk : chunk.toString('utf8')),
    );
    const closed = () => {
      open.delete(stream);
      maybeFinish();
    };
    stream.on('end', closed);
    stream.on('close', closed);
    stream.on('error', closed);
  }

  let pending: { code: number | null } | undefined;
  let settled = false;
  function maybeFinish(): void {
    if (!pending || exited || !settled || open.size > 0) return;
    exited = { code: pending.code, signal: null };
    clearTimeout(killTimer);
    for (const l of listeners) l(exited);
  }

  child.on('exit', (code) => {
    if (exitSeen) return;
    exitSeen = true;
    pending = { code };
    // The streams' ends and the last messages may still be queued behind the exit.
    setTimeout(() => {
      settled = true;
      // A stream that never ends must not hold the exit back forever.
      setTimeout(() => {
        open.clear();
        maybeFinish();
      }, 1000).unref();
      maybeFinish();
    }, settleMs);
  });
  child.on('error', (type, location) => {
    keep(`\n[utility process] ${type} at ${location}\n`);
  });

  return {
    onExit(listener) {
      if (exited) {
        const done = exited;
        queueMicrotask(() => listener(done));
      } else listeners.push(listener);
    },
    outputTail: () => output,
    get exited() {
      return exited !== undefined;
    },
    kill() {
      if (exitSeen) return;
      try {
        child.kill();
      } catch {
        // Already gone.
      }
      // A child stuck in native code (a GPU driver) may sit on SIGTERM: end it for good.
      killTimer ??= setTimeout(() => {
        if (exitSeen || child.pid === undefined) return;
        try {
          killPid(child.pid);
        } catch {
          // Gone in between.
        }
      }, killGraceMs);
      killTimer.unref();
    },
  };
}

/**
 * The environment of a utilityProcess child. ELECTRON_RUN_AS_NODE must not reach it: Electron
 * starts a utility process from its own binary, which would then start as plain Node instead.
 */
export function utilityEnv(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  delete out.ELECTRON_RUN_AS_NODE;
  return out;
}

/** The size of a message as a pipe would carry it; undefined when it is not a JSON object. */
function jsonSize(message: unknown): number | undefined {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return undefined;
  try {
    return Buffer.byteLength(JSON.stringify(message), 'utf8');
  } catch {
    return undefined;
  }
}

export interface RelayedMessages {
  /** Each message, or `undefined` for one that is not a JSON object (the reader's parse refuses it). */
  onMessage(listener: (raw: unknown) => void): void;
  /** A message over the size limit: the same limit as the pipe protocol's lines. */
  onProtocolError(listener: (reason: string) => void): void;
}

/** A child's messages as the spawners hand them on: none after its exit, none over `maxBytes`. */
export function relayMessages(
  child: UtilityChild,
  watched: WatchedChild,
  maxBytes: number,
): RelayedMessages {
  const messageListeners: ((raw: unknown) => void)[] = [];
  const protocolListeners: ((reason: string) => void)[] = [];
  child.on('message', (message) => {
    if (watched.exited) return;
    const size = jsonSize(message);
    if (size !== undefined && size > maxBytes) {
      for (const l of protocolListeners) l(`a message of ${size} bytes (the limit is ${maxBytes})`);
      return;
    }
    const raw = size === undefined ? undefined : message;
    for (const l of messageListeners) l(raw);
  });
  return {
    onMessage: (l) => messageListeners.push(l),
    onProtocolError: (l) => protocolListeners.push(l),
  };
}
