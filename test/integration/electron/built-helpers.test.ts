/**
 * The packaged app's helper children, built (`npm run build:worker`) and run for real: the
 * built job worker on the project's Node 24 in the sandbox, and the built worker, probe and
 * benchmark through the desktop shell's utilityProcess spawners — with a stand-in for
 * utilityProcess (a Node child with `process.parentPort`), since the Electron binary can't run
 * here. Each runs real onnxruntime work: a job whose outputs match onnxruntime in this process,
 * a CPU probe, the tiny benchmark suite.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareWorkload, suiteCacheDir } from '../../../agent/bench/artifacts.ts';
import type { PreparedWorkload } from '../../../agent/bench/artifacts.ts';
import { runBenchChild } from '../../../agent/bench/child.ts';
import { TEST_PROTOCOL } from '../../../agent/bench/protocol.ts';
import { measurementOf, suiteHash, TINY_SUITE } from '../../../agent/bench/suite.ts';
import { probeAccelerators, probeEnv } from '../../../agent/hardware/probe.ts';
import { defaultSpawner } from '../../../agent/hardware/run-tool.ts';
import { detectBwrap } from '../../../agent/jobs/sandbox.ts';
import type { JobService } from '../../../agent/jobs/service.ts';
import { createNodeWorkerSpawner } from '../../../agent/jobs/spawner.ts';
import type { SpawnWorker } from '../../../agent/jobs/spawner.ts';
import { builtHelperEntries } from '../../../electron/helpers.ts';
import {
  createUtilityBenchSpawner,
  createUtilityToolSpawner,
} from '../../../electron/utility-helpers.ts';
import { createUtilityWorkerSpawner } from '../../../electron/utility-worker.ts';
import { encodeNpy } from '../../../worker/npy.ts';
import { mlpModel, randomFloats } from '../../fixtures/jobs/models.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { utilityStandIn } from '../../support/utility-stand-in.ts';
import {
  jobsLab,
  maxRelativeError,
  processesMentioning,
  readNpyFile,
  recordingJobLog,
  runInProcess,
} from '../jobs/support.ts';
import type { JobsLab } from '../jobs/support.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const node24 = join(root, 'node_modules', 'node', 'bin', 'node');
const built = builtHelperEntries(root);
const builtWorker = built.entry as string;
const exec = promisify(execFile);

let lab: JobsLab;
beforeAll(async () => {
  await exec('npm', ['run', '-s', 'build:worker'], { cwd: root });
  lab = await jobsLab();
}, 120_000);
afterAll(async () => {
  await lab.cleanup();
});

/** Runs one batch of the MLP and checks every output against onnxruntime in this process. */
async function runMlp(service: JobService) {
  const modelBytes = mlpModel();
  const sets = [0, 1].map((s) => randomFloats(4 * 64, 700 + s));
  const inputs = [];
  for (const [s, data] of sets.entries())
    inputs.push({ x: await lab.file(`x${s}.npy`, encodeNpy('float32', [4, 64], data)) });
  const submitted = await service.submit({
    format: 'roost.job/1',
    model: await lab.file('mlp.onnx', modelBytes),
    inputs,
    executionProviders: ['cpu'],
  });
  if (!submitted.ok) throw new Error(submitted.error.message);
  const done = await service.wait(submitted.value.id);
  if (!done.ok) throw new Error(done.error.message);
  const job = done.value;
  expect(job.error).toBeUndefined();
  expect(job).toMatchObject({ state: 'done', progress: { setsDone: 2, setsTotal: 2 } });
  for (const [s, data] of sets.entries()) {
    const reference = await runInProcess(modelBytes, {
      x: { dtype: 'float32', shape: [4, 64], data },
    });
    for (const name of ['probs', 'logits']) {
      const got = readNpyFile(join(job.jobDir, 'out', String(s), `${name}.npy`));
      expect(maxRelativeError(got.data as Float32Array, reference[name]?.data ?? [])).toBeLessThan(
        1e-5,
      );
    }
  }
  expect(processesMentioning(job.jobDir)).toEqual([]);
  return job;
}

describe('the built helper entries', () => {
  it('are self-contained ES modules: chunks of their own, Node built-ins and native packages', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'dist', 'worker', 'package.json'), 'utf8'));
    expect(pkg.type).toBe('module');
    // …and the job worker's I/O thread, which dist/worker/entry.js starts from beside itself.
    const ioThread = join(root, 'dist', 'worker', 'io-thread.js');
    for (const [name, file] of Object.entries({ ...built, 'io-thread': ioThread })) {
      const text = await readFile(file, 'utf8');
      const specifiers = [
        ...text.matchAll(/^import .*? from ["']([^"']+)["']/gm),
        ...text.matchAll(/\bimport\(["']([^"']+)["']\)/g),
      ].map((m) => m[1] as string);
      for (const spec of specifiers) {
        const ok =
          spec.startsWith('node:') ||
          /^\.\/chunks\/[\w.-]+\.js$/.test(spec) ||
          spec === 'onnxruntime-node' ||
          spec === 'systeminformation';
        expect(ok, `${name} imports ${spec}`).toBe(true);
      }
      // Nothing of the sources is loaded at run time.
      expect(text, name).not.toMatch(/\.ts["']/);
    }
  });

  it("runs a real job on the project's Node 24, inside the sandbox, with the built I/O thread", async () => {
    const launched: string[] = [];
    const sandboxed = createNodeWorkerSpawner({ nodePath: node24 });
    const spawnWorker: SpawnWorker = (launch) => {
      launched.push(launch.entry ?? builtWorker);
      return sandboxed({ ...launch, entry: launch.entry ?? builtWorker });
    };
    const { log, logged } = recordingJobLog();
    const job = await runMlp(await lab.service({ spawnWorker, log }));
    expect(launched).toEqual([builtWorker]);
    // dist/worker/entry.js started dist/worker/io-thread.js beside it, under the permission model.
    expect(logged).toContain(`job ${job.id}: input and output files: on an I/O thread`);
    expect(job.sandbox).toMatchObject({
      scrubbedEnv: true,
      permissionModel: true,
      bwrap: detectBwrap().path !== null,
    });
  });

  it('runs the same job through the utilityProcess spawner (parentPort messages, no pipes)', async () => {
    const utility = utilityStandIn(node24);
    const spawnWorker = createUtilityWorkerSpawner({ fork: utility.fork, entry: builtWorker });
    const job = await runMlp(await lab.service({ spawnWorker }));
    expect(utility.modules).toEqual([builtWorker]);
    expect(job.sandbox).toMatchObject({ scrubbedEnv: true, permissionModel: false, bwrap: false });
    expect(utility.children.every((c) => c.exitCode !== null || c.signalCode !== null)).toBe(true);
  });

  it('probes the CPU with the built probe through the utilityProcess tool spawner', async () => {
    const utility = utilityStandIn(node24);
    const electron = '/opt/Roost/roost'; // the `nodePath` the packaged app gives the agent
    const report = await probeAccelerators({
      spawner: createUtilityToolSpawner({
        fork: utility.fork,
        nodeCommand: electron,
        entries: built,
        fallback: defaultSpawner,
      }),
      nodePath: electron,
      probeEntry: built['probe-entry'] as string,
      only: ['cpu'],
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
    });
    expect(report.onnxruntimeVersion).toMatch(/^1\.\d+\.\d+/);
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ ep: 'cpu', ok: true });
    expect(utility.modules).toEqual([built['probe-entry'], built['probe-entry']]);
  });

  it('measures the tiny benchmark suite with the built benchmark through utilityProcess', async () => {
    const dir = await tempDir('roost-built-bench-');
    try {
      const cache = suiteCacheDir(dir.path, TINY_SUITE, suiteHash(TINY_SUITE));
      const prepared: PreparedWorkload[] = [];
      for (const w of TINY_SUITE.workloads)
        prepared.push(await prepareWorkload(TINY_SUITE, w, cache, TEST_PROTOCOL));
      const utility = utilityStandIn(node24);
      const outcome = await runBenchChild({
        spawn: createUtilityBenchSpawner({ fork: utility.fork, entries: built }),
        // The agent names its source entry; the shell runs the built one of the same name.
        launch: { entry: join(root, 'worker', 'bench-entry.ts'), env: probeEnv(process.env) },
        plan: {
          ep: 'cpu',
          rounds: measurementOf(TINY_SUITE).rounds,
          workloads: prepared.map((p) => p.plan),
        },
      });
      expect(outcome.failure).toBeUndefined();
      expect(utility.modules).toEqual([built['bench-entry']]);
      expect(outcome.started).toEqual(TINY_SUITE.workloads.map((w) => w.id));
      for (const p of prepared)
        expect(outcome.results.get(p.definition.id)?.type, p.definition.id).toBe('workload-done');
    } finally {
      await dir.remove();
    }
  });
});
