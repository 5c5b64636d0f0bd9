import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareWorkload, suiteCacheDir } from '../../../agent/bench/artifacts.ts';
import type { PreparedWorkload } from '../../../agent/bench/artifacts.ts';
import {
  createNodeBenchSpawner,
  defaultBenchEntry,
  runBenchChild,
} from '../../../agent/bench/child.ts';
import { accuracyGate } from '../../../agent/bench/gate.ts';
import { generateWorkload } from '../../../agent/bench/models.ts';
import { TEST_PROTOCOL } from '../../../agent/bench/protocol.ts';
import { referenceOutputs } from '../../../agent/bench/reference.ts';
import { measurementOf, suiteHash, TINY_SUITE } from '../../../agent/bench/suite.ts';
import { probeEnv } from '../../../agent/hardware/probe.ts';
import type { FromBench } from '../../../worker/bench-protocol.ts';
import { tempDir } from '../../support/temp-dir.ts';

// The real worker/bench-entry.ts with onnxruntime-node on the tiny suite: the measurement loop,
// the protocol's minimums, outputs, failures and stopping.
let dir: { path: string; remove: () => Promise<void> };
let prepared: PreparedWorkload[];

beforeAll(async () => {
  dir = await tempDir('roost-bench-child-');
  const cache = suiteCacheDir(dir.path, TINY_SUITE, suiteHash(TINY_SUITE));
  prepared = [];
  for (const w of TINY_SUITE.workloads)
    prepared.push(await prepareWorkload(TINY_SUITE, w, cache, TEST_PROTOCOL));
});
afterAll(() => dir.remove());

const launch = () => ({ entry: defaultBenchEntry(), env: probeEnv(process.env) });

describe('the benchmark child', () => {
  it('measures every workload on the CPU: warm-up, the minimum runs, outputs of the first and last run', async () => {
    const progress: FromBench[] = [];
    const outcome = await runBenchChild({
      spawn: createNodeBenchSpawner(),
      launch: launch(),
      plan: {
        ep: 'cpu',
        rounds: measurementOf(TINY_SUITE).rounds,
        workloads: prepared.map((p) => p.plan),
      },
      onMessage: (m) => progress.push(m),
    });
    expect(outcome.failure).toBeUndefined();
    expect(outcome.hello?.onnxruntimeVersion).toMatch(/^1\.\d+\.\d+/);
    expect(outcome.started).toEqual(TINY_SUITE.workloads.map((w) => w.id));
    for (const p of prepared) {
      const r = outcome.results.get(p.definition.id);
      expect(r?.type, p.definition.id).toBe('workload-done');
      if (r?.type !== 'workload-done') continue;
      expect(r.endedBy).toBe('protocol');
      expect(r.warmup.iterations).toBeGreaterThanOrEqual(1);
      expect(r.timingsMs.length).toBeGreaterThanOrEqual(3);
      expect(r.timingsMs.every((t) => t > 0)).toBe(true);
      expect(r.firstOutputs[0]?.name).toBe(p.plan.outputs[0]);
      expect(r.firstOutputs[0]?.values.every((v) => v !== null)).toBe(true);
      expect(r.lastOutputs[0]?.values.length).toBe(r.firstOutputs[0]?.values.length);
    }
    expect(progress.at(-1)).toMatchObject({ type: 'done', stopped: false });
  });

  it("agrees with the float64 CPU reference on every workload (the gate passes onnxruntime's answers)", async () => {
    const outcome = await runBenchChild({
      spawn: createNodeBenchSpawner(),
      launch: launch(),
      plan: {
        ep: 'cpu',
        rounds: measurementOf(TINY_SUITE).rounds,
        workloads: prepared.map((p) => p.plan),
      },
    });
    for (const p of prepared) {
      const r = outcome.results.get(p.definition.id);
      if (r?.type !== 'workload-done') throw new Error(`${p.definition.id}: no result`);
      const generated = generateWorkload(TINY_SUITE.seed, p.definition.id, p.definition.params);
      const reference = await referenceOutputs(generated, p.definition.params);
      const verdict = accuracyGate(
        r.firstOutputs,
        r.lastOutputs,
        reference,
        p.definition.tolerance,
      );
      expect(verdict, p.definition.id).toMatchObject({ passed: true });
      // Far inside the tolerance on the CPU: the reference computes the same math.
      expect(verdict.error ?? 1, p.definition.id).toBeLessThan(p.definition.tolerance / 10);
    }
  });

  it('runs until both the minimum duration and the minimum count are met', async () => {
    const [first] = prepared;
    if (!first) throw new Error('nothing prepared');
    const outcome = await runBenchChild({
      spawn: createNodeBenchSpawner(),
      launch: launch(),
      plan: {
        ep: 'cpu',
        rounds: 4,
        workloads: [
          {
            ...first.plan,
            measure: { minMs: 300, minIterations: 2, maxMs: 10_000, maxIterations: 100_000 },
          },
        ],
      },
    });
    const r = outcome.results.get(first.definition.id);
    if (r?.type !== 'workload-done') throw new Error('no result');
    const total = r.timingsMs.reduce((a, b) => a + b, 0);
    expect(r.timingsMs.length).toBeGreaterThan(2); // a tiny GEMM is far faster than 300 ms
    expect(total).toBeGreaterThan(0);
    expect(r.endedBy).toBe('protocol');
  });

  it('spreads the measurement over the rounds: the workloads take turns', async () => {
    const [first, second] = prepared;
    if (!first || !second) throw new Error('nothing prepared');
    const measure = { minMs: 200, minIterations: 2, maxMs: 10_000, maxIterations: 100_000 };
    const turns: string[] = [];
    const outcome = await runBenchChild({
      spawn: createNodeBenchSpawner(),
      launch: launch(),
      plan: {
        ep: 'cpu',
        rounds: 4,
        workloads: [
          { ...first.plan, measure },
          { ...second.plan, measure },
        ],
      },
      onMessage: (m) => {
        if (m.type === 'progress' && m.phase === 'measure' && turns.at(-1) !== m.id) {
          turns.push(m.id);
        }
      },
    });
    for (const p of [first, second]) {
      expect(outcome.results.get(p.definition.id)).toMatchObject({ endedBy: 'protocol' });
    }
    // Four slices each, alternating: A B A B A B A B.
    expect(turns).toEqual(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? first : second).definition.id),
    );
  });

  it('reports a workload whose files are missing and goes on with the next', async () => {
    const [first, second] = prepared;
    if (!first || !second) throw new Error('nothing prepared');
    const outcome = await runBenchChild({
      spawn: createNodeBenchSpawner(),
      launch: launch(),
      plan: {
        ep: 'cpu',
        rounds: 2,
        workloads: [{ ...first.plan, modelFile: `${dir.path}/missing.onnx` }, second.plan],
      },
    });
    expect(outcome.results.get(first.definition.id)).toMatchObject({
      type: 'workload-failed',
      stage: 'session',
    });
    expect(outcome.results.get(second.definition.id)?.type).toBe('workload-done');
  });

  it('stops when asked: every workload reports what it measured, ended by the stop', async () => {
    const controller = new AbortController();
    const long = prepared.map((p) => ({
      ...p.plan,
      measure: { minMs: 30_000, minIterations: 3, maxMs: 60_000, maxIterations: 1_000_000 },
    }));
    const started = Date.now();
    const outcome = await runBenchChild({
      spawn: createNodeBenchSpawner(),
      launch: launch(),
      plan: { ep: 'cpu', rounds: 8, workloads: long },
      signal: controller.signal,
      onMessage: (m) => {
        if (m.type === 'progress' && m.phase === 'measure') controller.abort();
      },
    });
    // Stopped inside the first workload's 30 s minimum, not after it: a bound with room for a
    // busy machine, since this suite runs files side by side.
    expect(Date.now() - started).toBeLessThan(29_000);
    expect(outcome.stopped).toBe(true);
    expect(outcome.failure).toBeUndefined();
    for (const w of long) {
      expect(outcome.results.get(w.id), w.id).toMatchObject({
        type: 'workload-done',
        endedBy: 'stop',
      });
    }
    expect(outcome.started).toEqual(long.map((w) => w.id));
  });
});
