/**
 * The memory a worker really uses: the resident set of its process and everything under it
 * (bwrap, then node inside). Read from /proc, so Linux only; elsewhere undefined (the watchdog
 * then has nothing to go on and lets the time limit and the OS hold).
 */
import { readdirSync, readFileSync } from 'node:fs';

function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ')) {
        if (/^\d+$/.test(child)) out.push(Number(child));
      }
    } catch {
      // The task ended while we looked.
    }
  }
  return out;
}

function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident bytes of `pid` and its descendants; undefined where /proc does not exist. */
export function processTreeRssBytes(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  let total = 0;
  const seen = new Set<number>();
  const walk = (p: number, depth: number) => {
    if (seen.has(p) || depth > 16) return;
    seen.add(p);
    total += rssBytes(p);
    for (const c of children(p)) walk(c, depth + 1);
  };
  walk(pid, 0);
  return total;
}
