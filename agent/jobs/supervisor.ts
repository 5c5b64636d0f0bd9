/**
 * One attempt at a job in one worker process: start it, hand it the plan, watch it, and turn
 * whatever happens into data. Every message is checked (schema, sequence number, size); the
 * worker is killed on a protocol error, a missed heartbeat, the job's time limit or a cancel,
 * and a worker that dies without answering fails the attempt with its exit and last output.
 * The caller (the job service) decides whether an attempt is worth repeating.
 */
import { fromWorkerSchema, parseMessage } from '../../worker/protocol.ts';
import type { FromWorker, RunPlan, WorkerDone } from '../../worker/protocol.ts';
import type { SpawnWorker, WorkerExit, WorkerLaunch, WorkerProcess } from './spawner.ts';
import type { EpFallback, JobError, SandboxLayers } from './schema.ts';
import { processTreeRssBytes } from './process-tree.ts';
import { messageOf } from './util.ts';

export interface AttemptOptions {
  spawn: SpawnWorker;
  launch: WorkerLaunch;
  plan: RunPlan;
  /** Wall-clock limit for the whole attempt. */
  timeoutMs: number;
  /** A worker not busy in onnxruntime that says nothing for this long is dead; default 15 s. */
  heartbeatTimeoutMs?: number;
  /** The worker must say hello within this; default 30 s. */
  helloTimeoutMs?: number;
  /** After `done`, the worker must exit within this or is killed; default 5 s. */
  exitGraceMs?: number;
  signal?: AbortSignal;
  /** Kill the worker when its process tree holds more memory than this (bytes). */
  maxMemoryBytes?: number;
  /** Resident bytes of a worker's process tree; default from /proc (Linux). */
  memoryOf?: (pid: number) => number | undefined;
  /**
   * Checks a valid message against what the caller expects (a set-done naming files the plan
   * did not ask for); a returned reason is a protocol error and the worker is killed.
   */
  check?: (message: FromWorker) => string | undefined;
  /** Every valid message, in order (progress, the session, set-done, logs). */
  onMessage?: (message: FromWorker) => void;
  onSpawned?: (worker: WorkerProcess) => void;
}

export type AttemptOutcome =
  | { ok: true; value: WorkerDone; sandbox: SandboxLayers; onnxruntimeVersion: string }
  | {
      ok: false;
      error: JobError;
      /** A crash, a hang or a failed start: another attempt may succeed. */
      retryable: boolean;
      fallbacks: EpFallback[];
      sandbox?: SandboxLayers;
    };

function tail(text: string, max = 1500): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\u001b\[[0-9;]*m/g, '').trim();
  return clean.length > max ? `…${clean.slice(-max)}` : clean;
}

export function runAttempt(options: AttemptOptions): Promise<AttemptOutcome> {
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 15_000;
  const helloTimeoutMs = options.helloTimeoutMs ?? 30_000;
  const exitGraceMs = options.exitGraceMs ?? 5000;

  return new Promise<AttemptOutcome>((resolve) => {
    let worker: WorkerProcess;
    try {
      worker = options.spawn(options.launch);
    } catch (error) {
      resolve({
        ok: false,
        error: {
          code: 'worker-spawn-failed',
          message: `the worker could not be started: ${messageOf(error)}`,
        },
        retryable: true,
        fallbacks: [],
      });
      return;
    }
    options.onSpawned?.(worker);

    let settled = false;
    let verdict: AttemptOutcome | undefined;
    let lastSeq = 0;
    let greeted = false;
    let busy = false;
    let lastHeard = Date.now();
    let fallbacks: EpFallback[] = [];
    let onnxruntimeVersion = 'unknown';
    const timers: NodeJS.Timeout[] = [];

    const cleanup = () => {
      for (const t of timers) clearTimeout(t);
      clearInterval(watch);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const settle = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(outcome);
    };
    /** Decide the outcome now, kill the worker, and resolve once it is gone. */
    const stop = (outcome: AttemptOutcome) => {
      if (verdict) return;
      verdict = outcome;
      worker.kill();
      // If the process never reports its exit, do not wait for it forever.
      timers.push(setTimeout(() => settle(outcome), 10_000));
    };
    const failure = (error: JobError, retryable: boolean): AttemptOutcome => ({
      ok: false,
      error,
      retryable,
      fallbacks,
      sandbox: worker.sandbox,
    });

    const onAbort = () =>
      stop(failure({ code: 'cancelled', message: 'cancelled while the worker ran' }, false));
    if (options.signal?.aborted) {
      onAbort();
    } else {
      options.signal?.addEventListener('abort', onAbort, { once: true });
    }

    timers.push(
      setTimeout(
        () =>
          stop(
            failure(
              {
                code: 'timeout',
                message: `the job ran past its limit of ${Math.round(options.timeoutMs / 1000)} s and was stopped`,
              },
              false,
            ),
          ),
        options.timeoutMs,
      ),
    );
    timers.push(
      setTimeout(() => {
        if (!greeted) {
          stop(
            failure(
              {
                code: 'worker-unresponsive',
                message: `the worker did not start within ${Math.round(helloTimeoutMs / 1000)} s`,
              },
              true,
            ),
          );
        }
      }, helloTimeoutMs),
    );
    const memoryOf = options.memoryOf ?? processTreeRssBytes;
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    const watch = setInterval(
      () => {
        if (options.maxMemoryBytes && worker.pid !== undefined && !verdict) {
          const used = memoryOf(worker.pid);
          if (used !== undefined && used > options.maxMemoryBytes) {
            stop(
              failure(
                {
                  code: 'too-large',
                  message: `the worker used ${gib(used)} of memory, over the limit of ${gib(options.maxMemoryBytes)}; it was stopped`,
                },
                false,
              ),
            );
            return;
          }
        }
        if (greeted && !busy && !verdict && Date.now() - lastHeard > heartbeatTimeoutMs) {
          stop(
            failure(
              {
                code: 'worker-unresponsive',
                message: `the worker stopped answering for ${Math.round(heartbeatTimeoutMs / 1000)} s`,
              },
              true,
            ),
          );
        }
      },
      Math.min(250, heartbeatTimeoutMs),
    );

    const protocolError = (reason: string) =>
      stop(
        failure(
          { code: 'worker-protocol', message: `the worker sent ${reason}; it was stopped` },
          false,
        ),
      );

    worker.onProtocolError(protocolError);
    worker.onMessage((raw) => {
      if (verdict) return;
      const parsed = parseMessage(raw, fromWorkerSchema);
      if (!parsed.ok) return protocolError(parsed.error);
      const message = parsed.value;
      if (message.seq !== lastSeq + 1) {
        return protocolError(`message ${message.seq} after ${lastSeq}`);
      }
      lastSeq = message.seq;
      lastHeard = Date.now();
      // A heartbeat can leave the worker between a busy announcement and the blocking call
      // (its timer fires before the call starts); it does not end the busy spell.
      if (message.type === 'status' || message.type === 'set-done') busy = message.busy === true;
      else if (message.type !== 'heartbeat') busy = false;
      if (!greeted) {
        if (message.type !== 'hello') return protocolError(`"${message.type}" before hello`);
        greeted = true;
        worker.send({ type: 'run', seq: 1, plan: options.plan });
      } else if (message.type === 'hello') {
        return protocolError('a second hello');
      }
      const objection = options.check?.(message);
      if (objection) return protocolError(objection);
      if (message.type === 'session') {
        fallbacks = message.fallbacks;
        onnxruntimeVersion = message.onnxruntimeVersion;
      }
      if (message.type === 'done') {
        const result = message.result;
        if (result.ok) {
          verdict = { ok: true, value: result.value, sandbox: worker.sandbox, onnxruntimeVersion };
        } else {
          fallbacks = result.fallbacks ?? fallbacks;
          verdict = failure(result.error, false);
        }
        timers.push(setTimeout(() => worker.kill(), exitGraceMs));
      }
      try {
        options.onMessage?.(message);
      } catch {
        // A listener's bug must not take the supervision down.
      }
    });
    worker.onExit((exit: WorkerExit) => {
      if (verdict) return settle(verdict);
      if (exit.spawnError) {
        return settle(
          failure(
            {
              code: 'worker-spawn-failed',
              message: `the worker could not be started: ${exit.spawnError}`,
            },
            true,
          ),
        );
      }
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const output = tail(worker.outputTail());
      settle(
        failure(
          {
            code: 'worker-crashed',
            message: `the worker ${how} before it finished${output ? `; its last output: ${output}` : ''}`,
          },
          true,
        ),
      );
    });
  });
}
