/**
 * CPU time of each thread of a process and of everything it started (Linux /proc), so a
 * benchmark can say WHERE a process spends its CPU, not only how much: the main thread, the
 * worker's I/O thread (`roost-io`), V8's helpers (`V8Worker`), onnxruntime's or the GPU
 * runtime's own threads. From `schedstat` (nanoseconds on the CPU, and how many times the
 * thread was put on it) where the kernel has it, else from `stat`'s 10 ms ticks.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadTime {
  /** pid/tid */
  key: string;
  /** The thread's name (`comm`). */
  name: string;
  ns: number;
  /** Times it was put on a CPU (0 where only ticks are known). */
  slices: number;
}

function readThread(pid: number, tid: string): ThreadTime | undefined {
  const dir = `/proc/${pid}/task/${tid}`;
  try {
    const name = readFileSync(`${dir}/comm`, 'utf8').trim();
    try {
      const [ns, , slices] = readFileSync(`${dir}/schedstat`, 'utf8').trim().split(' ').map(Number);
      return { key: `${pid}/${tid}`, name, ns: ns ?? 0, slices: slices ?? 0 };
    } catch {
      const stat = readFileSync(`${dir}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      return { key: `${pid}/${tid}`, name, ns: ticks * 1e7, slices: 0 };
    }
  } catch {
    return undefined; // gone
  }
}

/** Every thread of `pid` and of its descendants, now. Empty where there is no /proc. */
export function threadTimes(pid: number): ThreadTime[] {
  const out: ThreadTime[] = [];
  const walk = (p: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      const t = readThread(p, tid);
      if (t) out.push(t);
      let children: string[] = [];
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').split(' ');
      } catch {
        // gone
      }
      for (const c of children) if (c) walk(Number(c));
    }
  };
  walk(pid);
  return out;
}

/**
 * CPU used between two samples by the threads alive at the second. A sum of the samples' totals
 * would not do: a thread that ends in between (on an H200, Vulkan's start-up threads) takes its
 * whole CPU time out of the second sum, and the difference went negative.
 */
export const usedNs = (before: ThreadTime[], after: ThreadTime[]): number =>
  usedByName(before, after).reduce((s, u) => s + u.ns, 0);

export interface NamedUse {
  name: string;
  threads: number;
  ns: number;
  slices: number;
}

/**
 * What each thread name used between two samples (threads started in between count from zero;
 * threads gone by the second sample are not counted), largest first.
 */
export function usedByName(before: ThreadTime[], after: ThreadTime[]): NamedUse[] {
  const start = new Map(before.map((t) => [t.key, t]));
  const byName = new Map<string, NamedUse>();
  for (const t of after) {
    const b = start.get(t.key);
    const ns = t.ns - (b?.ns ?? 0);
    const slices = t.slices - (b?.slices ?? 0);
    if (ns <= 0 && slices <= 0) continue;
    const u = byName.get(t.name) ?? { name: t.name, threads: 0, ns: 0, slices: 0 };
    u.threads++;
    u.ns += ns;
    u.slices += slices;
    byName.set(t.name, u);
  }
  return [...byName.values()].sort((a, b) => b.ns - a.ns);
}

/** "MainThread 1.20 ms (310 runs), V8Worker ×4 0.05 ms (…)", per unit of work. */
export function formatUse(uses: NamedUse[], per: number, unit = 'a set'): string {
  const shown = uses.filter((u) => u.ns / per >= 1000);
  return (
    shown
      .map(
        (u) =>
          `${u.name}${u.threads > 1 ? ` ×${u.threads}` : ''} ${(u.ns / per / 1e6).toFixed(3)} ms` +
          (u.slices > 0 ? ` (${(u.slices / per).toFixed(1)} wake-ups)` : ''),
      )
      .join(', ') + ` ${unit}`
  );
}
