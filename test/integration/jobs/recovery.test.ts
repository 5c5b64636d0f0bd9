/**
 * kill -9 in the middle of a job, of the worker and of the agent: nothing is lost, nothing is
 * half-written, no process is left behind, and the job finishes (resuming from its last
 * finished input set) with outputs equal to an uninterrupted run.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../../agent/jobs/receipt.ts';
import type { JobSpec } from '../../../agent/jobs/schema.ts';
import type { WorkerProcess } from '../../../agent/jobs/spawner.ts';
import { createNodeWorkerSpawner } from '../../../agent/jobs/spawner.ts';
import { encodeNpy } from '../../../worker/npy.ts';
import { randomFloats, slowModel } from '../../fixtures/jobs/models.ts';
import {
  jobsLab,
  maxRelativeError,
  processesMentioning,
  readNpyFile,
  runInProcess,
  until,
} from './support.ts';
import type { JobsLab } from './support.ts';

const AGENT = fileURLToPath(new URL('../../fixtures/jobs/agent-process.ts', import.meta.url));
const N = 768;
const SETS = 6;

let lab: JobsLab;
let modelBytes: Uint8Array;
let inputs: Uint8Array[];
let spec: JobSpec;
beforeAll(async () => {
  lab = await jobsLab();
  modelBytes = slowModel(N);
  inputs = Array.from({ length: SETS }, (_, s) =>
    encodeNpy('float32', [N, N], randomFloats(N * N, 500 + s)),
  );
  const sets = [];
  for (const [s, bytes] of inputs.entries()) sets.push({ x: await lab.file(`x${s}.npy`, bytes) });
  spec = { format: 'roost.job/1', model: await lab.file('slow.onnx', modelBytes), inputs: sets };
});
afterAll(async () => {
  await lab.cleanup();
});

/** The process tree under `pid`, deepest last. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    for (const task of safeList(`/proc/${p}/task`)) {
      for (const child of safeRead(`/proc/${p}/task/${task}/children`).split(' ').filter(Boolean)) {
        out.push(Number(child));
        walk(Number(child));
      }
    }
  };
  walk(pid);
  return out;
}
const safeList = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};
const safeRead = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

async function checkOutputs(jobDir: string, sets: number[]) {
  for (const s of sets) {
    const got = readNpyFile(join(jobDir, 'out', String(s), 'y.npy'));
    const x = readNpyFile(
      fileURLToPath((spec.inputs as Record<string, { uri: string }>[])[s]?.x?.uri ?? ''),
    );
    const want = await runInProcess(modelBytes, { x });
    expect(maxRelativeError(got.data as Float32Array, want.y?.data ?? []), `set ${s}`).toBeLessThan(
      1e-4,
    );
  }
  const receipt = JSON.parse(readFileSync(join(jobDir, 'result.json'), 'utf8'));
  expect(verifyReceipt(receipt).ok).toBe(true);
  expect(receipt.receipt.outputs).toHaveLength(SETS);
}

describe('kill -9 mid-job', () => {
  it(
    'of the worker: the job gets a new worker, resumes and finishes',
    { timeout: 120_000 },
    async () => {
      const workers: WorkerProcess[] = [];
      const startSets: number[] = [];
      const real = createNodeWorkerSpawner();
      /** The first worker's process tree, killed the moment it says its second set is done. */
      let tree: number[] = [];
      const service = await lab.service({
        spawnWorker: (launch) => {
          const w = real(launch);
          const first = workers.length === 0;
          workers.push(w);
          return {
            ...w,
            pid: w.pid,
            sandbox: w.sandbox,
            send: (m) => {
              if (m.type === 'run') startSets.push(m.plan.startSet);
              w.send(m);
            },
            onMessage: (listener) =>
              w.onMessage((raw) => {
                // Before the agent hears of it, so the job can't finish first, however fast
                // this machine runs the sets that are left.
                const m = raw as { type?: unknown; set?: unknown };
                const pid = w.pid;
                if (first && pid && !tree.length && m.type === 'set-done' && m.set === 1) {
                  tree = [pid, ...descendants(pid)];
                  process.kill(tree.at(-1)!, 'SIGKILL');
                }
                listener(raw);
              }),
          };
        },
      });
      const submitted = await service.submit(spec);
      if (!submitted.ok) throw new Error(submitted.error.message);
      const id = submitted.value.id;
      const done = await service.wait(id);
      expect(tree.length, 'the first worker was killed').toBeGreaterThan(0);
      expect(done).toMatchObject({ ok: true, value: { state: 'done', attempts: 2 } });
      if (!done.ok) return;
      expect(workers).toHaveLength(2);
      expect(startSets[0]).toBe(0);
      expect(startSets[1]).toBeGreaterThanOrEqual(2);
      expect(done.value.error).toBeUndefined();
      await checkOutputs(done.value.jobDir, [0, 2, SETS - 1]);
      expect(processesMentioning(done.value.jobDir)).toEqual([]);
      // The killed worker's tree is reaped asynchronously (bwrap's init, Node): give it a moment.
      const alive = (p: number) => {
        try {
          process.kill(p, 0);
          return true;
        } catch {
          return false;
        }
      };
      await until(() => tree.every((p) => !alive(p)), 10_000, 'the old worker tree to exit');
    },
  );

  it(
    'of the agent: its worker dies with it; the next agent resumes the job',
    { timeout: 120_000 },
    async () => {
      const specFile = join(lab.root, 'spec.json');
      await writeFile(specFile, JSON.stringify(spec));
      const dataDir = join(lab.root, 'agent-data');
      const lines: { type: string; payload: Record<string, unknown> }[] = [];
      /** The first agent's process tree, stopped the moment it says two sets are done. */
      let frozen: number[] = [];
      const start = (args: string[], freeze = false) => {
        const child = spawn(process.execPath, [AGENT, dataDir, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let buffer = '';
        child.stdout?.setEncoding('utf8');
        child.stdout?.on('data', (chunk: string) => {
          buffer += chunk;
          const parts = buffer.split('\n');
          buffer = parts.pop() ?? '';
          for (const p of parts) {
            if (!p) continue;
            const line = JSON.parse(p) as (typeof lines)[number];
            lines.push(line);
            // Stopped at once, worker and all, so the job can't finish on this fast a machine
            // while the test looks at it; then killed.
            const progress = line.payload.progress as { setsDone?: number } | undefined;
            if (freeze && frozen.length === 0 && (progress?.setsDone ?? 0) >= 2) {
              frozen = [child.pid!, ...descendants(child.pid!)];
              for (const pid of frozen) process.kill(pid, 'SIGSTOP');
            }
          }
        });
        return child;
      };
      const exited = (child: ChildProcess) =>
        new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      const first = start([specFile], true);
      const firstExit = exited(first);
      await until(() => frozen.length > 0, 90_000, 'two finished sets in the first agent');
      const submitted = lines.find((l) => l.type === 'submitted')?.payload as {
        value: { id: string };
      };
      const id = submitted.value.id;
      const jobDir = join(dataDir, 'jobs', id);
      expect(processesMentioning(jobDir).length).toBeGreaterThan(0);
      first.kill('SIGKILL');
      // The worker, stopped too, goes on only to see that its agent is gone.
      for (const pid of frozen.slice(1)) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // Gone with the agent already.
        }
      }
      await firstExit;
      // The worker goes with the agent (bwrap --die-with-parent; without bwrap, its stdin closes).
      await until(
        () => processesMentioning(jobDir).length === 0,
        10_000,
        'the orphaned worker to exit',
      );

      lines.length = 0;
      const second = start([]);
      expect(await exited(second)).toBe(0);
      const recovered = lines.find((l) => l.type === 'recovered')?.payload;
      expect(recovered).toEqual({ resumed: [id], failed: [] });
      const finalState = lines.filter((l) => l.type === 'job.stateChanged').at(-1)?.payload.job as {
        state: string;
        attempts: number;
      };
      expect(finalState).toMatchObject({ state: 'done', attempts: 2 });
      const resumedFrom = lines
        .filter((l) => l.type === 'job.progress')
        .map((l) => (l.payload.progress as { setsDone: number }).setsDone)
        .find((n) => n > 0);
      expect(resumedFrom).toBeGreaterThanOrEqual(2);
      await checkOutputs(jobDir, [0, 1, SETS - 1]);
      expect(processesMentioning(jobDir)).toEqual([]);
    },
  );
});
