/**
 * What one thread is doing, sampled: running, or asleep in which system call (Linux /proc's
 * `stat` state and `syscall` files, plus `wchan`, the kernel function it sleeps in). For the
 * question CPU time alone cannot answer: on an H200 the worker's main thread spent ~0.4 ms a
 * set off the CPU where onnxruntime in process spins through the whole run. Asleep in
 * epoll_wait means it waited on its event loop (a message, a write); in futex or ioctl, on
 * onnxruntime or the GPU driver.
 *
 * The sampler is a thread of this process that reads the files every `everyUs` and sleeps in
 * between (Atomics.wait), so the sampled thread's own loop is not touched. Reading another
 * process's `syscall` needs ptrace rights over it: a child (or a child's child) is fine.
 */
import { Worker } from 'node:worker_threads';

/** How often each state was seen, by label ("running", "futex · futex_wait_queue", …). */
export interface WaitTally {
  samples: number;
  counts: Record<string, number>;
  /** Why sampling stopped early or could not start (the thread ended, no rights), if so. */
  problem?: string;
}

/** x86_64 and aarch64 numbers of the calls a waiting thread is usually found in. */
const SYSCALLS: Record<string, Record<number, string>> = {
  x64: {
    0: 'read',
    1: 'write',
    7: 'poll',
    16: 'ioctl',
    23: 'select',
    24: 'sched_yield',
    35: 'nanosleep',
    202: 'futex',
    230: 'clock_nanosleep',
    232: 'epoll_wait',
    270: 'pselect6',
    271: 'ppoll',
    281: 'epoll_pwait',
    441: 'epoll_pwait2',
  },
  arm64: {
    22: 'epoll_pwait',
    29: 'ioctl',
    63: 'read',
    64: 'write',
    72: 'pselect6',
    73: 'ppoll',
    98: 'futex',
    101: 'nanosleep',
    115: 'clock_nanosleep',
    124: 'sched_yield',
    441: 'epoll_pwait2',
  },
};

/**
 * One sample's label from the three files' text: "running" for a thread on a CPU or ready to
 * be, else the call it sleeps in (by name where known) and the kernel function.
 */
export function classify(
  stat: string,
  syscall: string,
  wchan: string,
  arch = process.arch,
): string {
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'R') return 'running';
  const first = syscall.trim().split(' ')[0] ?? '';
  // "running" (it ran when read), "-1 …" (asleep, not in a call: a page fault), or a number.
  if (first === 'running') return 'running';
  const number = Number(first);
  const call =
    first === '-1' || !Number.isInteger(number)
      ? 'not in a call'
      : (SYSCALLS[arch]?.[number] ?? `syscall ${number}`);
  const where = wchan.trim();
  return where && where !== '0' ? `${call} · ${where}` : call;
}

/** Starts sampling thread `tid` of process `pid`; `stop()` ends it and gives the tally. */
export function sampleWaits(
  pid: number,
  tid: number,
  everyUs = 200,
): { stop(): Promise<WaitTally> } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `
    const { readFileSync } = require('node:fs');
    const { parentPort, workerData } = require('node:worker_threads');
    const { flag, dir, everyMs } = workerData;
    const texts = [];
    let problem;
    while (Atomics.load(flag, 0) === 0) {
      try {
        texts.push([
          readFileSync(dir + '/stat', 'latin1'),
          readFileSync(dir + '/syscall', 'latin1'),
          readFileSync(dir + '/wchan', 'latin1'),
        ]);
      } catch (error) {
        problem = String(error && error.message || error);
        break;
      }
      Atomics.wait(flag, 0, 0, everyMs);
    }
    parentPort.postMessage({ texts, problem });
    `,
    {
      eval: true,
      workerData: { flag, dir: `/proc/${pid}/task/${tid}`, everyMs: everyUs / 1000 },
    },
  );
  const result = new Promise<{ texts: [string, string, string][]; problem?: string }>(
    (resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    },
  );
  return {
    async stop() {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      const { texts, problem } = await result;
      await worker.terminate();
      const counts: Record<string, number> = {};
      for (const [stat, syscall, wchan] of texts) {
        const label = classify(stat, syscall, wchan);
        counts[label] = (counts[label] ?? 0) + 1;
      }
      return { samples: texts.length, counts, ...(problem ? { problem } : {}) };
    },
  };
}

/** "running 71 %, epoll_wait · ep_poll 22 %, futex · futex_wait_queue 7 % (5130 samples)" */
export function formatWaits(tally: WaitTally, least = 0.01): string {
  if (tally.samples === 0) return `no samples${tally.problem ? ` (${tally.problem})` : ''}`;
  const shown = Object.entries(tally.counts)
    .sort((a, b) => b[1] - a[1])
    .filter(([, n]) => n / tally.samples >= least)
    .map(([label, n]) => `${label} ${((100 * n) / tally.samples).toFixed(0)} %`);
  return `${shown.join(', ')} (${tally.samples} samples${tally.problem ? `; stopped: ${tally.problem}` : ''})`;
}

/** The worker's main thread among a process tree's threads: the process that has `threadName`. */
export function processWithThread(
  threads: readonly { key: string; name: string }[],
  threadName: string,
): number | undefined {
  const hit = threads.find((t) => t.name === threadName);
  return hit ? Number(hit.key.split('/')[0]) : undefined;
}
