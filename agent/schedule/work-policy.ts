/**
 * The work policy as a service: gathers facts from injected sources (clock, idle time, battery,
 * process lists, telemetry, leases), runs the pure `decideWork`, keeps manual holds, and logs
 * every change of a GPU's state or lease action with its reason (`[schedule]` lines when given
 * `logger.child('schedule')`). Nothing here imports Electron: the shell passes powerMonitor's
 * idle time and battery state as plain functions.
 */
import { gpuNames, type TelemetrySample } from '../hardware/schema.ts';
import type { ActiveLease, GpuProcess, GpuRef, PolicyMemory } from './policy.ts';
import { decideWork, emptyPolicyMemory } from './policy.ts';
import type { GpuDecision, ManualHold, ManualHoldInput, WorkPolicySettings } from './schema.ts';
import { manualHoldInputSchema } from './schema.ts';
import { describeInstant, systemTimeZone } from './wall-clock.ts';

/** The logger the schedule writes to; the agent's `Logger` fits (pass `logger.child('schedule')`). */
export interface ScheduleLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

type Source<T> = () => T | Promise<T>;

export interface WorkPolicyOptions {
  /** The `work` settings plus the proposed extension; read at every evaluation. */
  settings: () => WorkPolicySettings;
  gpus: Source<readonly GpuRef[]>;
  /** Epoch milliseconds. */
  now?: () => number;
  /** IANA zone for the time windows; default the machine's. */
  timeZone?: () => string;
  /** Seconds since the last input (powerMonitor.getSystemIdleTime); absent or null: headless. */
  idleSeconds?: Source<number | null>;
  /** powerMonitor.isOnBatteryPower(); absent or null: unknown. */
  onBattery?: Source<boolean | null>;
  /** Names of running processes, for the game watch list. */
  runningProcesses?: Source<readonly string[] | null>;
  /** Processes on the GPUs (nvidia-smi compute/graphics apps, amd-smi process). */
  gpuProcesses?: Source<readonly GpuProcess[] | null>;
  /** The agent's pid and its workers' pids. Default: this process only. */
  ownPids?: () => readonly number[];
  /** The latest telemetry sample of a GPU. */
  telemetry?: (gpuId: string) => TelemetrySample | undefined;
  /** Leases the job runner holds now. */
  leases?: () => readonly ActiveLease[];
  /** Holds saved by a previous run (see `onHoldsChanged`). */
  holds?: readonly ManualHold[];
  /** Called with the holds after each change, to persist them. */
  onHoldsChanged?: (holds: ManualHold[]) => void;
  /** Called after each evaluation that changed any GPU's decision. */
  onChange?: (decisions: GpuDecision[], changed: GpuDecision[]) => void;
  log?: ScheduleLog;
  /** Evaluation period of `start()`; default 5 s. */
  intervalMs?: number;
}

export interface WorkPolicy {
  /** Gathers the facts now, decides every GPU, logs what changed. */
  evaluate(): Promise<GpuDecision[]>;
  /** The latest decisions (empty before the first evaluation). */
  decisions(): GpuDecision[];
  decisionFor(gpuId: string): GpuDecision | undefined;
  /** A GPU's name for people, as the log's lines say it (`RTX 3070 #2`); its id before the first evaluation. */
  gpuName(gpuId: string): string;
  /** A manual start or pause (of one GPU, or all with `gpuId: null`); re-evaluates. */
  hold(input: ManualHoldInput): Promise<GpuDecision[]>;
  /**
   * Lifts the manual hold of one GPU (also out of a hold of every GPU, which the others keep), or
   * every hold with null; re-evaluates.
   */
  clearHold(gpuId: string | null): Promise<GpuDecision[]>;
  holds(): ManualHold[];
  /** Evaluates every `intervalMs` until `stop()`. */
  start(): void;
  stop(): void;
}

/**
 * On a machine without a GPU, jobs run on the CPU: the policy decides for it as for a GPU (mode,
 * hours, idle, game mode, manual start and pause), so `roost work` and the Dashboard's CPU card
 * show and control it like any GPU.
 */
export const CPU_DEVICE: GpuRef = { id: 'cpu', name: 'CPU', display: false };

export const silentScheduleLog: ScheduleLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};

/**
 * A GPU's state and why, for the log: `ready: no desktop session …`, `paused by you until …`
 * (a reason that starts with its state says it once, not "paused: Paused by you").
 */
export function decisionWords(d: Pick<GpuDecision, 'state' | 'reason'>): string {
  const state = d.state === 'working' ? 'ready' : d.state;
  const stripped = d.reason.replace(/^(working|idle|paused):\s*/i, '');
  // After a colon, a sentence's capital goes ("idle: you are using …"); an acronym's stays.
  const reason = /^[A-Z][a-z]/.test(stripped)
    ? stripped[0]!.toLowerCase() + stripped.slice(1)
    : stripped;
  return new RegExp(`^${d.state}\\b`).test(reason) ? reason : `${state}: ${reason}`;
}

export function createWorkPolicy(options: WorkPolicyOptions): WorkPolicy {
  const now = options.now ?? Date.now;
  const timeZone = options.timeZone ?? systemTimeZone;
  const log = options.log ?? silentScheduleLog;
  const intervalMs = options.intervalMs ?? 5000;
  let memory: PolicyMemory = emptyPolicyMemory();
  let current: GpuDecision[] = [];
  let holds: ManualHold[] = [...(options.holds ?? [])];
  /** The GPUs' names by id, from the last evaluation, for the log's lines. */
  let names = new Map<string, string>();
  const gpuLabel = (gpuId: string | null) =>
    gpuId === null
      ? 'every GPU'
      : (names.get(gpuId) ?? (gpuId === CPU_DEVICE.id ? CPU_DEVICE.name : gpuId));
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<GpuDecision[]> | undefined;
  const failing = new Set<string>();

  /** A source that throws counts as unknown; its failure is logged once until it recovers. */
  async function read<T>(
    name: string,
    source: Source<T> | undefined,
    fallback: T,
    meaning = 'treating it as unknown',
  ): Promise<T> {
    if (!source) return fallback;
    try {
      const value = await source();
      if (failing.delete(name)) log.info(`${name} can be read again`);
      return value;
    } catch (error) {
      if (!failing.has(name)) {
        failing.add(name);
        log.warn(
          `${name} could not be read (${error instanceof Error ? error.message : String(error)}); ${meaning}`,
        );
      }
      return fallback;
    }
  }

  function dropExpiredHolds(at: number, zone: string): void {
    const expired = holds.filter((h) => h.until !== null && Date.parse(h.until) <= at);
    if (expired.length === 0) return;
    holds = holds.filter((h) => !expired.includes(h));
    for (const h of expired) {
      log.info(
        `your manual ${h.action} of ${gpuLabel(h.gpuId)} ended at ${describeInstant(Date.parse(h.until as string), zone, at)}; back to the schedule`,
      );
    }
    options.onHoldsChanged?.([...holds]);
  }

  async function evaluateOnce(): Promise<GpuDecision[]> {
    const [gpus, idleSeconds, onBattery, runningProcesses, gpuProcesses] = await Promise.all([
      read('the GPU list', options.gpus, [] as readonly GpuRef[]).then((list) =>
        list.length > 0 ? list : [CPU_DEVICE],
      ),
      // No idle source at all means headless; a desktop source that fails must not start work
      // under a user who may be at the keyboard, so it counts as "just active".
      options.idleSeconds
        ? read('the idle time', options.idleSeconds, 0, 'treating the user as present')
        : null,
      read('the battery state', options.onBattery, null),
      read('the process list', options.runningProcesses, null),
      read('the GPU process list', options.gpuProcesses, null),
    ]);
    const at = now();
    const zone = timeZone();
    dropExpiredHolds(at, zone);
    const telemetry: Record<string, TelemetrySample | undefined> = {};
    for (const gpu of gpus) telemetry[gpu.id] = options.telemetry?.(gpu.id);
    const result = decideWork(
      {
        now: at,
        timeZone: zone,
        settings: options.settings(),
        gpus,
        telemetry,
        idleSeconds,
        onBattery,
        runningProcesses,
        gpuProcesses,
        ownPids: options.ownPids?.() ?? [process.pid],
        leases: options.leases?.() ?? [],
        holds,
      },
      memory,
    );
    memory = result.memory;
    const previous = new Map(current.map((d) => [d.gpuId, d]));
    names = gpuNames(gpus);
    const changed: GpuDecision[] = [];
    for (const d of result.decisions) {
      const before = previous.get(d.gpuId);
      const label = gpuLabel(d.gpuId);
      // "ready" for the policy's working (allowed to work: Working is a job running), and the
      // reason without its own state word ("Working: …").
      const line = `${label}: ${decisionWords(d)}`;
      if (!before || before.state !== d.state || before.cause !== d.cause) {
        changed.push(d);
        log.info(line);
      } else if (before.reason !== d.reason || before.until !== d.until) {
        changed.push(d);
        log.debug(line);
      }
      if (d.lease && d.lease.action !== 'continue') {
        const was = before?.lease;
        if (!was || was.leaseId !== d.lease.leaseId || was.action !== d.lease.action) {
          if (!changed.includes(d)) changed.push(d);
          const what =
            d.lease.action === 'release'
              ? 'handing back the job in progress'
              : 'finishing the job in progress, then stopping';
          log.info(`${label}: ${what} (lease ${d.lease.leaseId}): ${d.lease.reason}`);
        }
      }
    }
    current = result.decisions;
    if (changed.length > 0) options.onChange?.(current, changed);
    return current;
  }

  /** One evaluation at a time; a call during one waits for it and runs again. */
  async function evaluate(): Promise<GpuDecision[]> {
    while (running) await running.catch(() => undefined);
    running = evaluateOnce();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  }

  return {
    evaluate,
    decisions: () => [...current],
    decisionFor: (gpuId) => current.find((d) => d.gpuId === gpuId),
    gpuName: (gpuId) => gpuLabel(gpuId),
    async hold(input) {
      const parsed = manualHoldInputSchema.parse(input);
      const at = now();
      if (parsed.until !== null && Date.parse(parsed.until) <= at) {
        throw new RangeError('the end time of a manual start or pause must be in the future');
      }
      const hold: ManualHold = { ...parsed, setAt: new Date(at).toISOString() };
      // A hold of every GPU replaces the per-GPU ones; a per-GPU one replaces that GPU's.
      holds = hold.gpuId === null ? [hold] : [...holds.filter((h) => h.gpuId !== hold.gpuId), hold];
      const zone = timeZone();
      const until = hold.until
        ? `until ${describeInstant(Date.parse(hold.until), zone, at)}`
        : 'until you change it';
      const lease =
        hold.action !== 'pause'
          ? ''
          : hold.leaseAction === 'release'
            ? '; a job in progress is handed back now'
            : '; a job in progress finishes first';
      log.info(
        `${gpuLabel(hold.gpuId)}: ${hold.action === 'pause' ? 'paused' : 'started'} by you ${until}${lease}`,
      );
      options.onHoldsChanged?.([...holds]);
      return evaluate();
    },
    async clearHold(gpuId) {
      const before = JSON.stringify(holds);
      if (gpuId === null) {
        holds = [];
      } else {
        // Lifting one GPU out of a hold of every GPU: the others keep it as their own.
        const all = holds.find((h) => h.gpuId === null);
        const others = all
          ? current
              .map((d) => d.gpuId)
              .filter((id) => id !== gpuId && !holds.some((h) => h.gpuId === id))
              .map((id): ManualHold => ({ ...all, gpuId: id }))
          : [];
        holds = [...holds.filter((h) => h.gpuId !== gpuId && h.gpuId !== null), ...others];
      }
      if (JSON.stringify(holds) !== before) {
        log.info(`${gpuLabel(gpuId)}: back to the schedule (your pause or start is lifted)`);
        options.onHoldsChanged?.([...holds]);
      }
      return evaluate();
    },
    holds: () => holds.filter((h) => h.until === null || Date.parse(h.until) > now()),
    start() {
      if (timer) return;
      const tick = () => {
        evaluate().catch((error: unknown) =>
          log.warn(`evaluation failed: ${error instanceof Error ? error.message : String(error)}`),
        );
      };
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
