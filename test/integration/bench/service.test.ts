import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchError, createBenchService } from '../../../agent/bench/service.ts';
import type { BenchService } from '../../../agent/bench/service.ts';
import { TEST_PROTOCOL } from '../../../agent/bench/protocol.ts';
import { BUSY_OTHER_CORES } from '../../../agent/bench/report.ts';
import type { BenchProgress, SignedReport } from '../../../agent/bench/schema.ts';
import { TINY_SUITE } from '../../../agent/bench/suite.ts';
import { createHardwareService, probeCacheDir } from '../../../agent/hardware/index.ts';
import type { HardwareService } from '../../../agent/hardware/index.ts';
import { loadOrCreateLocalSigner } from '../../../agent/wallet/signer.ts';
import { signReport } from '../../../agent/bench/sign.ts';
import { retiredReport, testSigner } from '../../../agent/bench/testing/fixtures.ts';
import { tempDir } from '../../support/temp-dir.ts';

// The bench service end to end on this machine: the real accelerator probe (CPU, and WebGPU on
// Mesa's lavapipe, a software adapter), the real benchmark child with onnxruntime-node, the
// local signing key. The tiny suite keeps it fast; bench-quick.test.ts runs the real one.
let dir: { path: string; remove: () => Promise<void> };
let hardware: HardwareService;
let bench: BenchService;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function service(extra: Partial<Parameters<typeof createBenchService>[0]> = {}): BenchService {
  return createBenchService({
    dataDir: dir.path,
    signer: () => loadOrCreateLocalSigner(dir.path),
    hardware,
    suite: TINY_SUITE,
    ...extra,
  });
}

beforeAll(async () => {
  dir = await tempDir('roost-bench-service-');
  hardware = createHardwareService({ cacheDir: probeCacheDir(dir.path), log: quiet });
  bench = service();
});
afterAll(async () => {
  await hardware.stop();
  await dir.remove();
});

describe('bench.run', () => {
  let cpu: SignedReport;

  it('runs the suite on the CPU: complete, every workload passes, signed by the local key, saved', async () => {
    const progress: BenchProgress[] = [];
    const { report, file } = await bench.run({
      ep: 'cpu',
      protocol: TEST_PROTOCOL,
      onProgress: (p) => progress.push(p),
    });
    cpu = report;
    const r = report.report;
    expect(r.complete).toBe(true);
    expect(r.workloads.map((w) => [w.id, w.status])).toEqual(
      TINY_SUITE.workloads.map((w) => [w.id, 'ok']),
    );
    expect(r.composite.value).toBeGreaterThan(0);
    expect(r.target).toMatchObject({ ep: 'cpu', software: false });
    expect(r.onnxruntime.version).toMatch(/^1\.\d+/);
    expect(r.probe?.results.map((p) => p.ep)).toContain('webgpu');
    expect(r.warnings.map((w) => w.code)).not.toContain('interrupted');
    expect(report.signature.signer).toBe((await loadOrCreateLocalSigner(dir.path)).address);
    expect(file).toBe(join(bench.reportsDir, `${r.id}.json`));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(report);
    expect(await bench.verify({ file })).toMatchObject({
      ok: true,
      signer: report.signature.signer,
    });
    // Progress: one run id, fractions never go back, ends done at 1.
    expect(new Set(progress.map((p) => p.runId)).size).toBe(1);
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ phase: 'done', fraction: 1 });
    expect(progress.some((p) => p.phase === 'measure' || p.phase === 'session')).toBe(true);
  });

  it('signs a saved report again with the wallet once there is one: contents and digest unchanged', async () => {
    // The setup benchmarks before the wallet exists (the local key signs); the market then wants
    // the provider's signature on the report it registers.
    const wallet = testSigner(`0x${'7a'.repeat(32)}`);
    const withWallet = service({ signer: async () => wallet });
    const file = join(withWallet.reportsDir, `${cpu.report.id}.json`);
    const resigned = await withWallet.adoptSigner(cpu.report.id);
    expect(resigned.signature.signer).toBe(wallet.address);
    expect(resigned.signature.digest).toBe(cpu.signature.digest);
    expect(resigned.report).toEqual(cpu.report);
    expect(await withWallet.verify({ file })).toMatchObject({ ok: true, signer: wallet.address });
    // Already the wallet's: nothing is written.
    const text = await readFile(file, 'utf8');
    await withWallet.adoptSigner(cpu.report.id);
    expect(await readFile(file, 'utf8')).toBe(text);
    // A report that does not verify is not signed again.
    const edited = JSON.parse(text) as SignedReport;
    edited.report.composite.value = 999;
    await writeFile(file, JSON.stringify(edited));
    await expect(bench.adoptSigner(cpu.report.id)).rejects.toMatchObject({
      code: 'REPORT_INVALID',
    });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(edited);
    await writeFile(file, text);
  });

  it('says the machine was busy when another program took a core during the run', async () => {
    // A program that is not Roost's spins one core for the whole run.
    const spinner = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
    try {
      const { report } = await bench.run({
        ep: 'cpu',
        // Long enough to measure (half a second at least): on a fast CPU the tiny suite's
        // 1000-run cap would end each workload in a few milliseconds.
        protocol: {
          ...TEST_PROTOCOL,
          measure: { ...TEST_PROTOCOL.measure, minMs: 1_500, maxIterations: 1_000_000 },
        },
      });
      const r = report.report;
      // At least the share at which the report warns: on 2 busy cores the spinner may get only
      // a third of one.
      // When it is not measured, what the run said instead.
      const said = JSON.stringify({ complete: r.complete, warnings: r.warnings });
      expect(r.machine.otherProgramsCores, said).toBeGreaterThanOrEqual(BUSY_OTHER_CORES);
      expect(r.warnings.find((w) => w.code === 'busy-machine')?.message).toMatch(
        /^Other programs kept [\d.]+ of \d+ logical cores busy during the run/,
      );
    } finally {
      spinner.kill('SIGKILL');
    }
  });

  it('runs on WebGPU over lavapipe and says in the report that it was a software adapter', async () => {
    const { report } = await bench.run({ ep: 'webgpu', protocol: TEST_PROTOCOL });
    const r = report.report;
    expect(r.target.ep).toBe('webgpu');
    expect(r.target.software).toBe(true);
    expect(r.target.adapter?.name).toMatch(/llvmpipe|lavapipe/i);
    expect(r.warnings[0]).toMatchObject({ code: 'software-adapter', severity: 'warning' });
    expect(r.warnings[0]?.message).toMatch(/not a GPU/);
    // The gate holds on a different execution provider: the numbers are real, just not a GPU's.
    expect(r.workloads.every((w) => w.status === 'ok')).toBe(true);
    expect(r.probe?.results.find((p) => p.ep === 'webgpu')?.status).toBe('software-adapter');
  });

  it('refuses an unknown or broken execution provider, listing the valid ones', async () => {
    const error = await bench.run({ ep: 'cuda' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BenchError);
    expect((error as BenchError).code).toBe('BENCH_INVALID_TARGET');
    expect((error as BenchError).message).toMatch(
      /"cuda" does not work here .*Valid: cpu \(.*\), webgpu \(llvmpipe.*software\)/,
    );
    const unknown = await bench.run({ ep: 'vulkan' as 'cpu' }).catch((e: unknown) => e);
    expect((unknown as Error).message).toMatch(/^Unknown execution provider "vulkan"\. Valid: cpu/);
    const device = await bench.run({ ep: 'cpu', device: '3' }).catch((e: unknown) => e);
    expect((device as Error).message).toMatch(/^Unknown device "3" for cpu\. Valid: cpu/);
    expect((await bench.targets()).map((t) => t.ep)).toEqual(['cpu', 'webgpu']);
  });

  it('stopped mid-run: a partial report marked incomplete, saved whole and verifiable', async () => {
    const controller = new AbortController();
    const long = {
      ...TEST_PROTOCOL,
      measure: { ...TEST_PROTOCOL.measure, minMs: 20_000, maxMs: 30_000, maxIterations: 1_000_000 },
    };
    const { report, file } = await bench.run({
      ep: 'cpu',
      protocol: long,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'measure' && p.workloadIndex === 1) controller.abort();
      },
    });
    const r = report.report;
    expect(r.complete).toBe(false);
    expect(r.composite.value).toBeNull();
    // The workloads are measured in rounds, so a stop mid-measurement finds all of them under
    // way: none scores, each keeps what it measured for support staff.
    expect(r.workloads.map((w) => w.status)).toEqual(Array(6).fill('interrupted'));
    expect(r.workloads[0]?.timing?.iterations).toBeGreaterThan(0);
    expect(r.workloads[0]?.reason).toMatch(/stopped during this workload after \d+ measured runs/);
    expect(r.warnings[0]).toMatchObject({ code: 'interrupted', severity: 'error' });
    expect(await bench.verify({ file })).toMatchObject({
      ok: true,
      complete: false,
      composite: null,
    });
  });

  it('the agent stopping ends a run with a partial report, and refuses new runs', async () => {
    const closing = service();
    const long = {
      ...TEST_PROTOCOL,
      measure: { ...TEST_PROTOCOL.measure, minMs: 20_000, maxMs: 30_000, maxIterations: 1_000_000 },
    };
    let closed: Promise<void> | undefined;
    const { report } = await closing.run({
      ep: 'cpu',
      protocol: long,
      onProgress: (p) => {
        if (p.phase === 'measure' && !closed) closed = closing.close();
      },
    });
    await closed;
    expect(report.report.complete).toBe(false);
    expect(report.report.workloads[0]?.status).toBe('interrupted');
    await expect(closing.run({ ep: 'cpu' })).rejects.toMatchObject({ code: 'BENCH_BUSY' });
  });

  it('a wrong result scores nothing and the report says why', async () => {
    const fake = createBenchService({
      dataDir: dir.path,
      signer: () => loadOrCreateLocalSigner(dir.path),
      hardware,
      suite: TINY_SUITE,
      benchEntry: fileURLToPath(new URL('./fixtures/fake-bench-wrong.ts', import.meta.url)),
    });
    const r = (await fake.run({ ep: 'cpu', protocol: TEST_PROTOCOL })).report.report;
    expect(r.complete).toBe(true);
    expect(r.workloads.every((w) => w.status === 'failed-accuracy' && w.value === null)).toBe(true);
    expect(r.workloads[0]?.reason).toMatch(
      /differ from the CPU reference by .* more than the tolerance 5e-3/,
    );
    expect(r.composite).toMatchObject({ value: null, partial: null });
    expect(r.warnings.filter((w) => w.code === 'accuracy-failed')).toHaveLength(6);
  });

  it('a benchmark process that crashes gives an incomplete report naming the failure', async () => {
    const fake = service({
      benchEntry: fileURLToPath(new URL('./fixtures/fake-bench-crash.ts', import.meta.url)),
    });
    const r = (await fake.run({ ep: 'cpu', protocol: TEST_PROTOCOL })).report.report;
    expect(r.complete).toBe(false);
    expect(r.workloads.map((w) => w.status)).toEqual([
      'failed-accuracy',
      'failed',
      'not-run',
      'not-run',
      'not-run',
      'not-run',
    ]);
    expect(r.workloads[1]?.reason).toMatch(/ended early \(exit code 3\)/);
    expect(r.warnings[0]?.message).toMatch(/did not finish: the benchmark process ended early/);
  });

  it('runs one benchmark at a time', async () => {
    const first = bench.run({ ep: 'cpu', protocol: TEST_PROTOCOL });
    await expect(bench.run({ ep: 'cpu', protocol: TEST_PROTOCOL })).rejects.toMatchObject({
      code: 'BENCH_BUSY',
    });
    await first;
    expect(bench.isRunning()).toBe(false);
  });

  it('lists history newest first, and verify catches an edited file, naming the part', async () => {
    const history = await bench.history();
    expect(history.length).toBeGreaterThanOrEqual(5);
    expect(history.map((h) => h.startedAt)).toEqual(
      [...history.map((h) => h.startedAt)].sort().reverse(),
    );
    const entry = history.find((h) => h.id === cpu.report.id);
    expect(entry).toMatchObject({
      ep: 'cpu',
      complete: true,
      suiteId: 'roost-tiny/1',
      preset: 'test',
    });
    expect(Object.keys(entry?.values ?? {})).toEqual(TINY_SUITE.workloads.map((w) => w.id));
    expect(await bench.history({ limit: 2 })).toHaveLength(2);

    const edited = structuredClone(cpu);
    edited.report.workloads[0]!.value = 123;
    const file = join(dir.path, 'edited.json');
    await writeFile(file, JSON.stringify(edited));
    expect(await bench.verify({ file })).toMatchObject({ ok: false, failed: 'signature' });
    await writeFile(file, '{"report":');
    expect(await bench.verify({ file })).toMatchObject({ ok: false, failed: 'json' });
    await expect(bench.verify({ file: join(dir.path, 'missing.json') })).rejects.toMatchObject({
      code: 'REPORT_NOT_FOUND',
    });
    await expect(bench.get('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({
      code: 'REPORT_NOT_FOUND',
    });
  });

  it('keeps reports of a retired suite version: listed as not current, still verifiable', async () => {
    // A report saved by a Roost that ran roost-std/1, before this one was installed.
    const old = await signReport(retiredReport(), testSigner());
    const file = join(dir.path, 'bench', 'reports', `${old.report.id}.json`);
    await writeFile(file, JSON.stringify(old));
    const history = await bench.history();
    expect(history.find((h) => h.id === old.report.id)).toMatchObject({
      suiteId: 'roost-std/1',
      current: false,
      complete: true,
    });
    expect(history.find((h) => h.id === cpu.report.id)?.current).toBe(true);
    expect(await bench.verify({ file })).toMatchObject({ ok: true, suiteCurrent: false });
    // The history is read again when a file changes (it keeps what it parsed by size and time).
    const changed = structuredClone(old);
    changed.report.composite.value = 1;
    await writeFile(file, JSON.stringify(changed, null, 1));
    expect((await bench.history()).find((h) => h.id === old.report.id)?.composite).toBe(1);
    await writeFile(file, JSON.stringify(old));
    // Its HTML says so, for whoever is sent it.
    const html = join(dir.path, 'old.html');
    await bench.export({ id: old.report.id, format: 'html', out: html });
    const text = await readFile(html, 'utf8');
    expect(text).toContain('Made with roost-std/1, an earlier version of the benchmark');
    expect(text).toContain('Scored run time (p50)');
  });
});
