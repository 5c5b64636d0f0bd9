/**
 * How busy OTHER programs keep this machine (Linux /proc/stat, less this process and the children
 * it has reaped): on a shared machine that, not the code measured, moves benchmark figures. The
 * scripts print it beside their figures and can wait for a quiet machine first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Busy and total jiffies of the machine, and the jiffies of this process and its reaped children. */
export function cpuTicks(): { busy: number; total: number; ours: number } | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const cpu =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ??
    [];
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const self = readFileSync('/proc/self/stat', 'utf8');
  const fields = self
    .slice(self.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // utime, stime, cutime, cstime are fields 14-17 of /proc/<pid>/stat (11-14 after the name).
  const ours = (fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0);
  return { busy: total - idle, total, ours };
}

/** Cores kept busy by other programs between two readings. */
export function othersCores(
  a: ReturnType<typeof cpuTicks>,
  b: ReturnType<typeof cpuTicks>,
): number | undefined {
  if (!a || !b || b.total === a.total) return undefined;
  const cores = cpus().length;
  return (cores * (b.busy - a.busy - (b.ours - a.ours))) / (b.total - a.total);
}

export async function waitIdle(): Promise<void> {
  const deadline = Date.now() + 300_000;
  let quiet = 0;
  while (quiet < 3 && Date.now() < deadline) {
    const a = cpuTicks();
    await new Promise((r) => setTimeout(r, 1000));
    const busy = othersCores(a, cpuTicks()) ?? 0;
    quiet = busy < 0.1 * cpus().length ? quiet + 1 : 0;
  }
}
