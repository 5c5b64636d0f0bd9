/**
 * Runs an outside tool (nvidia-smi, rocm-smi, a probe child) so that it can never hang or crash
 * the agent: a wall-clock timeout with a kill, a cap on how much output is kept, and every failure
 * returned as data. The spawner is injected so tests pass fakes.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import type { SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';

/** The part of a ChildProcess the hardware code uses; node's ChildProcess satisfies it. */
export interface SpawnedProcess {
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals | number): boolean;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(
    event: 'close',
    listener: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): this;
  once(event: 'error', listener: (error: Error) => void): this;
}

/** `child_process.spawn`, or a fake. Must not throw for a missing command: emit `error` instead. */
export type Spawner = (
  command: string,
  args: readonly string[],
  options: SpawnOptions,
) => SpawnedProcess;

export const defaultSpawner: Spawner = (command, args, options) =>
  nodeSpawn(command, args, options);

export type ToolRun =
  | {
      kind: 'exited';
      code: number | null;
      signal: NodeJS.Signals | null;
      stdout: string;
      stderr: string;
      /** True when the output passed the cap and was cut (the tool was then killed). */
      truncated: boolean;
      durationMs: number;
    }
  | { kind: 'not-found'; message: string; durationMs: number }
  | { kind: 'timeout'; stdout: string; stderr: string; durationMs: number }
  | { kind: 'spawn-error'; message: string; durationMs: number };

export interface RunToolOptions {
  timeoutMs: number;
  /** Bytes of stdout (and separately stderr) kept; default 16 MiB. */
  maxOutputBytes?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each chunk of stdout/stderr as it arrives (progress reporting). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  now?: () => number;
}

/** Run `command args` to completion. Never rejects. */
export function runTool(
  spawner: Spawner,
  command: string,
  args: readonly string[],
  options: RunToolOptions,
): Promise<ToolRun> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const cap = options.maxOutputBytes ?? 16 * 1024 * 1024;
  return new Promise<ToolRun>((resolve) => {
    let child: SpawnedProcess;
    try {
      child = spawner(command, args, {
        env: options.env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        // Its own process group, so a timeout also kills what a wrapper script started.
        detached: process.platform !== 'win32',
      });
    } catch (error) {
      resolve({ kind: 'spawn-error', message: errorText(error), durationMs: now() - started });
      return;
    }

    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let settled = false;
    let timedOut = false;
    let exitGrace: NodeJS.Timeout | undefined;

    const finish = (result: ToolRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (exitGrace) clearTimeout(exitGrace);
      resolve(result);
    };
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');

    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const used = stream === 'stdout' ? outBytes : errBytes;
      const room = cap - used;
      if (room <= 0) return;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (stream === 'stdout') {
        out.push(kept);
        outBytes += kept.length;
      } else {
        err.push(kept);
        errBytes += kept.length;
      }
      options.onOutput?.(stream, kept.toString('utf8'));
      if (kept.length < chunk.length) {
        truncated = true;
        killTree(child);
      }
    };
    child.stdout?.on('data', collect('stdout'));
    child.stderr?.on('data', collect('stderr'));
    // A stream error (EPIPE and the like) must not become an uncaught exception.
    child.stdout?.on('error', () => undefined);
    child.stderr?.on('error', () => undefined);

    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child);
      // If even SIGKILL does not produce an exit event (a zombie in D state), give up waiting.
      exitGrace = setTimeout(
        () =>
          finish({
            kind: 'timeout',
            stdout: text(out),
            stderr: text(err),
            durationMs: now() - started,
          }),
        2000,
      );
    }, options.timeoutMs);

    child.once('error', (error: Error & { code?: string }) => {
      if (error.code === 'ENOENT') {
        finish({
          kind: 'not-found',
          message: `${command}: not found`,
          durationMs: now() - started,
        });
      } else {
        finish({ kind: 'spawn-error', message: errorText(error), durationMs: now() - started });
      }
    });

    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (timedOut) {
        finish({
          kind: 'timeout',
          stdout: text(out),
          stderr: text(err),
          durationMs: now() - started,
        });
      } else {
        finish({
          kind: 'exited',
          code,
          signal,
          stdout: text(out),
          stderr: text(err),
          truncated,
          durationMs: now() - started,
        });
      }
    };
    child.once('close', done);
    // 'close' waits for the pipes; a grandchild that keeps them open must not hold us forever.
    child.once('exit', (code, signal) => {
      if (settled) return;
      if (timedOut) done(code, signal);
      else if (!exitGrace) exitGrace = setTimeout(() => done(code, signal), 500);
    });
  });
}

/** SIGKILL the process and, where it leads a process group, everything in that group. */
export function killTree(child: SpawnedProcess): void {
  if (child.pid !== undefined && process.platform !== 'win32') {
    try {
      process.kill(-child.pid, 'SIGKILL');
      return;
    } catch {
      // Not a group leader (a fake, or spawned without `detached`): kill the process alone.
    }
  }
  try {
    child.kill('SIGKILL');
  } catch {
    // Already gone.
  }
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
