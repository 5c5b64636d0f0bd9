/**
 * How much CPU other programs took while a benchmark ran: the machine's busy time over the run,
 * less the agent's own and the benchmark process's (which says its own on `done`). The load
 * average at the start could not say this: it decays over minutes, so Roost's own work just
 * before (the accelerator probe of the setup, a previous benchmark) made a quiet machine look
 * busy, and a program started during the run went unseen.
 *
 * Cross-platform through os.cpus() (Linux, macOS, Windows). Children of the agent other than the
 * benchmark process (a telemetry tool, say) count as other programs; they are small.
 */
import { cpus } from 'node:os';

export interface CpuSnapshot {
  /** Busy time of all cores (user, nice, system, irq), ms. */
  machineBusyMs: number;
  /** This process's CPU time (user + system), ms. */
  ownMs: number;
  /** Wall clock, ms. */
  at: number;
}

export function cpuSnapshot(): CpuSnapshot {
  let busy = 0;
  for (const { times } of cpus()) busy += times.user + times.nice + times.sys + times.irq;
  const own = process.cpuUsage();
  return { machineBusyMs: busy, ownMs: (own.user + own.system) / 1000, at: performance.now() };
}

/**
 * Cores other programs kept busy between the two snapshots, on average; null when the interval
 * is too short to say or the benchmark process's own CPU time is unknown. Never negative: the
 * kernel counts busy time in ticks, so a quiet machine can come out a little below zero.
 */
export function otherProgramsCores(
  before: CpuSnapshot,
  after: CpuSnapshot,
  childCpuMs: number | undefined,
): number | null {
  const wallMs = after.at - before.at;
  if (childCpuMs === undefined || !(wallMs >= 500)) return null;
  const others =
    after.machineBusyMs - before.machineBusyMs - (after.ownMs - before.ownMs) - childCpuMs;
  return Math.round(Math.max(0, others / wallMs) * 100) / 100;
}
