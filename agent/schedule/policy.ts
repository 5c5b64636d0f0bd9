/**
 * The work policy as one pure function: facts about the machine at an instant in, one decision
 * per GPU out (working / idle / paused, the rule that decided, the reason in words, until when,
 * and what to do with a lease in progress). No clock, timer, process or file is read here: the
 * service in work-policy.ts gathers the facts, so every rule is tested with injected ones.
 *
 * Precedence, first match wins:
 *  1. a manual pause (yours, until you lift it or its end time);
 *  2. hard limits a manual start does not lift: the display GPU when "never use the display GPU"
 *     is on, the temperature ceiling (pause at X °C, resume at X − Y °C), and the power budget
 *     (GPUs that would work, counted at their power limits, those running a job first, then in
 *     the order listed; a GPU past the budget, or whose limit is unknown, waits);
 *  3. a manual start: works through battery, games, windows, idle and manual mode;
 *  4. on battery; a game or another program on the GPU (paused);
 *  5. manual mode without a start, outside the time windows, the user at the keyboard (idle);
 *  6. otherwise working.
 * A manual start blocked by a hard limit stays in place and the reason says so.
 */
import { gpuNames, type TelemetrySample } from '../hardware/schema.ts';
import type {
  DecisionCause,
  GpuDecision,
  GpuWorkState,
  LeaseDecision,
  ManualHold,
  WorkPolicySettings,
} from './schema.ts';
import { describeInstant } from './wall-clock.ts';
import { nextWindowChange, windowsAllow } from './windows.ts';
import { capitalized } from '../words.ts';

/** A GPU as the policy needs it (a subset of the hardware inventory's `Gpu`). */
export interface GpuRef {
  id: string;
  name: string;
  /** Drives a display. */
  display: boolean;
  /** Its power limit (W), as its tool reports it; null or absent when unknown. */
  powerLimitW?: number | null;
}

/** A process holding a GPU, from nvidia-smi's compute/graphics apps, amd-smi or similar. */
export interface GpuProcess {
  /** The GPU it runs on; null when the source can't tell (then it counts for every GPU). */
  gpuId: string | null;
  pid: number;
  name: string;
  kind?: 'compute' | 'graphics' | 'unknown';
}

/** A lease the job runner holds on a GPU. */
export interface ActiveLease {
  gpuId: string;
  leaseId: string;
  /** When the job is expected to be done (epoch ms); null when unknown. */
  endsAt: number | null;
}

/** Everything the policy decides from, at one instant. */
export interface WorkFacts {
  /** Epoch milliseconds. */
  now: number;
  /** IANA zone of the wall clock the windows are written in. */
  timeZone: string;
  settings: WorkPolicySettings;
  gpus: readonly GpuRef[];
  /** The latest telemetry sample per GPU id. */
  telemetry: Readonly<Record<string, TelemetrySample | undefined>>;
  /** Seconds since the last keyboard/mouse input (Electron's powerMonitor); null: no desktop session (headless). */
  idleSeconds: number | null;
  /** Null: unknown (no battery, or no way to tell). */
  onBattery: boolean | null;
  /** Names of every running process, for the watch list; null: could not be listed. */
  runningProcesses: readonly string[] | null;
  /** Processes using GPUs; null: could not be listed. */
  gpuProcesses: readonly GpuProcess[] | null;
  /** The agent's own process and its workers: never "another program". */
  ownPids: readonly number[];
  leases: readonly ActiveLease[];
  holds: readonly ManualHold[];
}

/** What the policy remembers between evaluations: heat hysteresis and when each state began. */
export interface PolicyMemory {
  /** GPUs paused for heat and not yet cooled to the resume temperature. */
  hot: Record<string, boolean>;
  /** The state+cause of each GPU and when it began. */
  since: Record<string, { key: string; at: number }>;
}

export const emptyPolicyMemory = (): PolicyMemory => ({ hot: {}, since: {} });

/** A temperature reading older than this is not trusted to lift or impose a heat pause. */
export const TELEMETRY_MAX_AGE_MS = 30_000;

/** `Cyberpunk2077.exe`, `/usr/bin/Blender`, `C:\\Games\\x.EXE` → `cyberpunk2077`, `blender`, `x`. */
export function normalizeProcessName(name: string): string {
  const base = name.trim().split(/[/\\]/).pop() ?? '';
  return base.toLowerCase().replace(/\.exe$/, '');
}

/** The hold that applies to a GPU now: its own, else the all-GPU one; expired ones never apply. */
export function activeHold(
  holds: readonly ManualHold[],
  gpuId: string,
  now: number,
): ManualHold | undefined {
  const live = holds.filter((h) => h.until === null || Date.parse(h.until) > now);
  return live.find((h) => h.gpuId === gpuId) ?? live.find((h) => h.gpuId === null);
}

interface Finding {
  cause: DecisionCause;
  reason: string;
  until: number | null;
}

const urgentCauses = new Set<DecisionCause>([
  'user-active',
  'game',
  'gpu-process',
  'too-hot',
  'on-battery',
]);

/** Decides every GPU. Returns the decisions and the memory for the next call. */
export function decideWork(
  facts: WorkFacts,
  memory: PolicyMemory,
): { decisions: GpuDecision[]; memory: PolicyMemory } {
  const next: PolicyMemory = { hot: {}, since: {} };
  // The windows are the same for every GPU: evaluate them once.
  const window = {
    open: windowsAllow(facts.settings.windows, facts.now, facts.timeZone),
    change: nextWindowChange(facts.settings.windows, facts.now, facts.timeZone),
  };
  const first = facts.gpus.map((gpu) => decideGpu(gpu, facts, window, memory.hot[gpu.id] ?? false));
  const overBudget = outsidePowerBudget(
    facts,
    facts.gpus.filter((_, i) => first[i]!.decision.state === 'working'),
  );
  const decisions = facts.gpus.map((gpu, i) => {
    const over = overBudget.get(gpu.id);
    const { decision, hot } = over
      ? decideGpu(gpu, facts, window, memory.hot[gpu.id] ?? false, over)
      : first[i]!;
    next.hot[gpu.id] = hot;
    const key = `${decision.state}:${decision.cause}`;
    const prev = memory.since[gpu.id];
    const at = prev && prev.key === key ? prev.at : facts.now;
    next.since[gpu.id] = { key, at };
    return { ...decision, since: new Date(at).toISOString() };
  });
  return { decisions, memory: next };
}

function decideGpu(
  gpu: GpuRef,
  facts: WorkFacts,
  window: { open: boolean; change: number | null },
  wasHot: boolean,
  /** A hard limit found across GPUs (the power budget). */
  across?: Finding,
): { decision: Omit<GpuDecision, 'since'>; hot: boolean } {
  const { settings: s, now, timeZone } = facts;
  const when = (ms: number) => describeInstant(ms, timeZone, now);
  const hold = activeHold(facts.holds, gpu.id, now);
  const holdUntil = hold?.until ? Date.parse(hold.until) : null;

  // --- heat, with hysteresis
  const sample = facts.telemetry[gpu.id];
  const fresh = sample && now - sample.at <= TELEMETRY_MAX_AGE_MS ? sample : undefined;
  const temp = fresh?.temperatureC ?? null;
  const resumeAt = s.maxTemperatureC - s.resumeBelowC;
  let hot = wasHot;
  if (temp !== null) {
    if (temp >= s.maxTemperatureC) hot = true;
    else if (temp <= resumeAt) hot = false;
  }

  const hard: Finding[] = [];
  if (s.avoidDisplayGpu && gpu.display) {
    hard.push({
      cause: 'display-gpu',
      reason: 'this GPU drives your display and "never use the display GPU" is on',
      until: null,
    });
  }
  if (hot) {
    const reading = temp === null ? 'no fresh reading' : `${fmtC(temp)} now`;
    hard.push({
      cause: 'too-hot',
      reason:
        temp !== null && temp >= s.maxTemperatureC
          ? `too hot: ${fmtC(temp)} reached the ${s.maxTemperatureC} °C ceiling; resumes at ${resumeAt} °C or below`
          : `cooling down after reaching the ${s.maxTemperatureC} °C ceiling (${reading}); resumes at ${resumeAt} °C or below`,
      until: null,
    });
  }
  if (across) hard.push(across);

  const soft: Finding[] = [];
  if (s.pauseOnBattery && facts.onBattery === true) {
    soft.push({
      cause: 'on-battery',
      reason: 'the computer is on battery; work resumes when it is plugged in',
      until: null,
    });
  }
  if (s.pauseWhileGaming) {
    const game = findGame(gpu, facts);
    if (game) soft.push(game);
  }

  const notNow: Finding[] = [];
  if (s.mode === 'manual') {
    notNow.push({
      cause: 'manual-mode',
      // The Dashboard's button, and the setting by its label on the Settings page.
      reason:
        'work starts only when you press Start now (you chose this under Take work in Settings → Work policy)',
      until: null,
    });
  }
  const windowChange = window.change;
  if (!window.open) {
    notNow.push({
      cause: 'outside-window',
      reason:
        windowChange === null
          ? 'outside your work hours'
          : `outside your work hours; the next window opens ${when(windowChange)}`,
      until: windowChange,
    });
  }
  const idleNeeded = s.idleMinutes * 60;
  if (s.mode === 'idle' && facts.idleSeconds !== null && facts.idleSeconds < idleNeeded) {
    const startsAt = now + (idleNeeded - facts.idleSeconds) * 1000;
    notNow.push({
      cause: 'user-active',
      reason: `you are using the computer; work starts after ${s.idleMinutes} idle minute${s.idleMinutes === 1 ? '' : 's'} (${when(startsAt)} if you stay away)`,
      until: startsAt,
    });
  }

  let state: GpuWorkState;
  let chosen: Finding;
  let heldBy: GpuDecision['heldBy'] = 'policy';
  let others: Finding[];
  if (hold?.action === 'pause') {
    state = 'paused';
    heldBy = 'you';
    chosen = {
      cause: 'manual-pause',
      reason:
        holdUntil === null
          ? 'paused by you until you start it again'
          : `paused by you until ${when(holdUntil)}`,
      until: holdUntil,
    };
    others = [...hard, ...soft, ...notNow];
  } else if (hard.length > 0) {
    state = 'paused';
    [chosen, ...others] = hard as [Finding, ...Finding[]];
    if (hold?.action === 'start') {
      chosen = {
        ...chosen,
        reason: `${chosen.reason}; your manual start stays in place and takes over when this clears`,
      };
      others.push({ cause: 'manual-start', reason: '', until: holdUntil });
    }
    others.push(...soft, ...notNow);
  } else if (hold?.action === 'start') {
    state = 'working';
    heldBy = 'you';
    const overridden = [...soft, ...notNow];
    const note =
      overridden.length > 0
        ? ` (overriding: ${overridden.map((f) => f.reason.split(/[;(]/)[0]?.trim()).join('; ')})`
        : '';
    chosen = {
      cause: 'manual-start',
      reason:
        (holdUntil === null
          ? 'started by you until you pause it'
          : `started by you until ${when(holdUntil)}`) + note,
      until: holdUntil,
    };
    others = overridden;
  } else if (soft.length > 0) {
    state = 'paused';
    [chosen, ...others] = soft as [Finding, ...Finding[]];
    others.push(...notNow);
  } else if (notNow.length > 0) {
    state = 'idle';
    [chosen, ...others] = notNow as [Finding, ...Finding[]];
  } else {
    state = 'working';
    others = [];
    const windowNote =
      s.windows.length > 0 && windowChange !== null
        ? ` until your work hours end ${when(windowChange)}`
        : '';
    if (s.mode === 'always') {
      chosen = {
        cause: 'always',
        reason: `working: set to work always${windowNote}`,
        until: windowChange,
      };
    } else if (facts.idleSeconds === null) {
      chosen = {
        cause: 'headless',
        reason: `working: no desktop session to watch for idle time (headless), so the machine counts as idle${windowNote}`,
        until: windowChange,
      };
    } else {
      chosen = {
        cause: 'idle',
        reason: `working: you have been away ${fmtMinutes(facts.idleSeconds)}; stops when you return${windowNote}`,
        until: windowChange,
      };
    }
  }

  const lease = facts.leases.find((l) => l.gpuId === gpu.id);
  const leaseDecision = lease ? decideLease(lease, state, chosen.cause, hold, facts) : null;

  return {
    hot,
    decision: {
      gpuId: gpu.id,
      state,
      cause: chosen.cause,
      reason: capitalized(chosen.reason),
      heldBy,
      until: chosen.until === null ? null : new Date(chosen.until).toISOString(),
      alsoApplies: [...new Set(others.map((f) => f.cause))].filter((c) => c !== chosen.cause),
      lease: leaseDecision,
    },
  };
}

/**
 * The GPUs that would work but don't fit the power budget, each with why. GPUs running a job
 * are counted first, so a GPU that only waits never stops one at work; then the order listed.
 * The CPU (no GPU at all) is not counted.
 */
function outsidePowerBudget(facts: WorkFacts, working: readonly GpuRef[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  const budget = facts.settings.powerBudgetW;
  if (budget === null) return out;
  const busy = new Set(facts.leases.map((l) => l.gpuId));
  const ordered = [
    ...working.filter((g) => busy.has(g.id)),
    ...working.filter((g) => !busy.has(g.id)),
  ].filter((g) => g.id !== 'cpu');
  const names = gpuNames(facts.gpus);
  let used = 0;
  const counted: string[] = [];
  for (const gpu of ordered) {
    const limit = gpu.powerLimitW ?? null;
    let reason: string | null = null;
    if (limit === null)
      reason = `its power limit is not known, so it can't be counted against your ${budget} W power budget`;
    else if (used + limit > budget)
      reason =
        counted.length === 0
          ? `its ${fmtW(limit)} power limit is more than your ${budget} W power budget`
          : `your ${budget} W power budget is taken by ${counted.join(', ')} (${fmtW(used)} of power limits) and this GPU's limit is ${fmtW(limit)}; it works when one of them stops`;
    if (reason === null) {
      used += limit!;
      counted.push(names.get(gpu.id) ?? gpu.name);
    } else out.set(gpu.id, { cause: 'power-budget', reason, until: null });
  }
  return out;
}

function fmtW(w: number): string {
  return `${Math.round(w)} W`;
}

function findGame(gpu: GpuRef, facts: WorkFacts): Finding | undefined {
  const s = facts.settings;
  const watch = new Set(s.gameProcesses.map(normalizeProcessName));
  const own = new Set(facts.ownPids);
  // A watched game on this GPU, or anywhere when the process list can't say which GPU: every
  // GPU pauses, since a game may render on any of them.
  const watched = [
    ...(facts.gpuProcesses ?? []).map((p) => p.name),
    ...(facts.runningProcesses ?? []),
  ].find((name) => watch.has(normalizeProcessName(name)));
  if (watched) {
    return {
      cause: 'game',
      reason: `a game is running (${normalizeProcessName(watched)}); work resumes when it closes`,
      until: null,
    };
  }
  if (!s.pauseOnAnyGpuProcess || !facts.gpuProcesses) return undefined;
  const ignored = new Set(s.ignoredGpuProcesses.map(normalizeProcessName));
  const foreign = facts.gpuProcesses.find(
    (p) =>
      (p.gpuId === gpu.id || p.gpuId === null) &&
      !own.has(p.pid) &&
      !ignored.has(normalizeProcessName(p.name)),
  );
  if (!foreign) return undefined;
  return {
    cause: 'gpu-process',
    reason: `another program is using this GPU (${normalizeProcessName(foreign.name)}, pid ${foreign.pid}); work resumes when it stops`,
    until: null,
  };
}

function decideLease(
  lease: ActiveLease,
  state: GpuWorkState,
  cause: DecisionCause,
  hold: ManualHold | undefined,
  facts: WorkFacts,
): LeaseDecision {
  if (state === 'working') {
    return { leaseId: lease.leaseId, action: 'continue', reason: 'the GPU may work' };
  }
  if (cause === 'manual-pause' && hold) {
    return hold.leaseAction === 'release'
      ? { leaseId: lease.leaseId, action: 'release', reason: 'you paused it and asked to stop now' }
      : {
          leaseId: lease.leaseId,
          action: 'finish-lease',
          reason: 'you paused it; the job in progress finishes first',
        };
  }
  if (!urgentCauses.has(cause)) {
    return {
      leaseId: lease.leaseId,
      action: 'finish-lease',
      reason: 'no new jobs; the one in progress finishes first',
    };
  }
  const graceMs = facts.settings.finishLeaseWithinMinutes * 60_000;
  if (lease.endsAt !== null && lease.endsAt - facts.now <= graceMs) {
    return {
      leaseId: lease.leaseId,
      action: 'finish-lease',
      reason: `the job ends within ${facts.settings.finishLeaseWithinMinutes} minutes, so it finishes first`,
    };
  }
  return {
    leaseId: lease.leaseId,
    action: 'release',
    reason:
      lease.endsAt === null
        ? 'the GPU is needed now and the job has no known end: release the lease'
        : `the GPU is needed now and the job runs past ${facts.settings.finishLeaseWithinMinutes} minutes: release the lease`,
  };
}

function fmtC(c: number): string {
  return `${Math.round(c)} °C`;
}

function fmtMinutes(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return m === 1 ? '1 minute' : `${m} minutes`;
}
