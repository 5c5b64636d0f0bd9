/**
 * One long-lived Roost per data folder. The desktop app and `roost serve` each follow the market,
 * claim jobs and send transactions under the folder's wallet; two of them at once would claim
 * the same jobs twice and race each other's nonces. The one that starts first holds
 * `agent.lock` (its process id, what it is, when it started) until it stops; a second one is
 * refused and told who holds the folder. A lock left by a process that is gone (kill -9, a
 * power cut, a reboot) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { uptime } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

export const LOCK_FILE = 'agent.lock';

const holderSchema = z.object({
  pid: z.number().int().positive(),
  host: z.enum(['electron', 'serve', 'cli', 'test']),
  startedAt: z.string(),
});
export type LockHolder = z.infer<typeof holderSchema>;

export interface InstanceLock {
  readonly holder: LockHolder;
  /** Removes the lock if it is still this process's. */
  release(): Promise<void>;
}

/** What holds the data folder, in the words a refusal uses. */
export function holderWords(holder: LockHolder): string {
  return holder.host === 'electron'
    ? `Roost's desktop app (process ${holder.pid})`
    : holder.host === 'serve'
      ? `roost serve (process ${holder.pid})`
      : `another Roost (process ${holder.pid})`;
}

export class InstanceLockError extends Error {
  readonly holder: LockHolder;
  constructor(holder: LockHolder) {
    super(
      `${holderWords(holder)} is already running with this data folder. ${
        holder.host === 'electron'
          ? 'Quit it first (Quit Roost in its tray menu)'
          : 'Stop it first (Ctrl-C where it runs)'
      }, or use another data folder (--data-dir).`,
    );
    this.holder = holder;
  }
}

export interface LockProbes {
  /** Whether a process is alive; default: signal 0. */
  alive?: (pid: number) => boolean;
  /** When this machine booted, epoch ms; a lock from before it is stale. Default: from os.uptime(). */
  bootedAt?: () => number;
  now?: () => Date;
  pid?: number;
}

/** Whether a process runs (signal 0; EPERM means it does, as another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, and someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The live holder of `dataDir`, or undefined when nothing holds it: no lock file, an unreadable
 * one, or one whose process is gone or is from before the machine last started.
 */
export async function readLiveHolder(
  dataDir: string,
  probes: LockProbes = {},
): Promise<LockHolder | undefined> {
  let holder: LockHolder;
  try {
    const parsed = holderSchema.safeParse(
      JSON.parse(await readFile(join(dataDir, LOCK_FILE), 'utf8')),
    );
    if (!parsed.success) return undefined;
    holder = parsed.data;
  } catch {
    return undefined;
  }
  const bootedAt = probes.bootedAt?.() ?? Date.now() - uptime() * 1000;
  // A minute's slack: boot time from uptime is not exact, and clocks get set at boot.
  const started = Date.parse(holder.startedAt);
  if (Number.isFinite(started) && started < bootedAt - 60_000) return undefined;
  if (holder.pid === (probes.pid ?? process.pid)) return holder;
  return (probes.alive ?? processAlive)(holder.pid) ? holder : undefined;
}

/**
 * Takes the data folder for this process as `host`, or throws InstanceLockError naming the live
 * holder. Two processes starting at once: exactly one gets it (the file is created exclusively).
 */
export async function acquireInstanceLock(
  dataDir: string,
  host: LockHolder['host'],
  probes: LockProbes = {},
): Promise<InstanceLock> {
  const file = join(dataDir, LOCK_FILE);
  const pid = probes.pid ?? process.pid;
  const holder: LockHolder = { pid, host, startedAt: (probes.now?.() ?? new Date()).toISOString() };
  // Three tries: a stale lock is removed and created anew; if another process took it meanwhile,
  // its exclusive create wins and that one is named.
  for (let attempt = 1; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(holder) + '\n');
        await handle.sync();
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const live = await readLiveHolder(dataDir, probes);
      if (live && live.pid !== pid) throw new InstanceLockError(live);
      if (attempt === 3) throw error;
      // Stale, unreadable, or this process's own (an agent of it that did not close): take it.
      await rm(file, { force: true });
    }
  }
  return {
    holder,
    async release() {
      try {
        const current = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
        if (current.pid === pid && current.startedAt === holder.startedAt) await rm(file);
      } catch {
        // Gone already, or unreadable: nothing of ours to remove.
      }
    },
  };
}
