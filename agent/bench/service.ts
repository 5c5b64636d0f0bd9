/**
 * The benchmark service the agent hosts: what `bench.run`, `bench.history`, `bench.export`,
 * `roost bench` and `roost report export|verify` call.
 *
 *   const bench = createBenchService({ dataDir, signer, hardware, log: logger.child('bench') });
 *   const { report, file } = await bench.run({ preset: 'quick', ep: 'cpu', onProgress, signal });
 *
 * A run: pick the target from the accelerator probe (an unknown provider or device is an error
 * listing the valid ones), generate and check the suite's models, compute the float64 reference
 * (cached), start GPU telemetry, measure in a fresh child process, gate, score, sign with the
 * provider key and save. Stopping (`signal`) gives a partial report marked incomplete, saved
 * like any other; nothing half-written is ever left on disk.
 */
import { randomUUID } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { FromBench } from '../../worker/bench-protocol.ts';
import type { HardwareService } from '../hardware/service.ts';
import { adapterName, executionProviderName } from '../hardware/schema.ts';
import type { AcceleratorProbe, ExecutionProvider, ProbeReport } from '../hardware/schema.ts';
import { probeEnv } from '../hardware/probe.ts';
import type { Logger } from '../log.ts';
import { writeFileAtomic } from '../store/atomic-file.ts';
import { ROOST_VERSION } from '../version.ts';
import type { ProviderSigner } from '../wallet/signer.ts';
import {
  prepareWorkload,
  pruneOtherSuites,
  SuiteIntegrityError,
  suiteCacheDir,
} from './artifacts.ts';
import type { PreparedWorkload } from './artifacts.ts';
import { createNodeBenchSpawner, defaultBenchEntry, runBenchChild } from './child.ts';
import type { SpawnBenchChild } from './child.ts';
import { renderReportHtml } from './html.ts';
import { PdfError, renderPdfWithChromium } from './pdf.ts';
import { PRESETS } from './protocol.ts';
import { generateWorkload } from './models.ts';
import { referenceOutputs } from './reference.ts';
import { buildReport, machineFacts, workloadResult } from './report.ts';
import { cpuSnapshot, otherProgramsCores } from './cpu-share.ts';
import type {
  BenchErrorCode,
  BenchExportFormat,
  BenchExportResult,
  BenchHistoryEntry,
  BenchProgress,
  BenchRunResult,
  BenchTarget,
  PresetName,
  Protocol,
  ReportTarget,
  SignedReport,
  SuiteDefinition,
  VerifyResult,
} from './schema.ts';
import { signedReportSchema } from './schema.ts';
import { readReportContent, signReport, verifyReport, verifyReportFile } from './sign.ts';
import { measurementOf, STD_SUITE, SUITES, suiteHash } from './suite.ts';
import { withScratchDir } from '../hardware/scratch-dir.ts';

/** An error of the bench service; `code` is one of `benchErrorCodes`. */
export class BenchError extends Error {
  readonly code: BenchErrorCode;
  constructor(code: BenchErrorCode, message: string) {
    super(message);
    this.name = 'BenchError';
    this.code = code;
  }
}

export interface BenchServiceOptions {
  dataDir: string;
  /** The provider key (or how to get it when a report is signed, e.g. once the wallet unlocks). */
  signer: ProviderSigner | (() => Promise<ProviderSigner>);
  hardware: Pick<HardwareService, 'list' | 'probe' | 'telemetry' | 'startTelemetry'>;
  /** Pass the agent's `logger.child('bench')`. */
  log?: Logger;
  /** How the benchmark child starts (default: child_process with `nodePath`). */
  spawn?: SpawnBenchChild;
  /** Node binary for the default spawner (Electron: process.execPath + ELECTRON_RUN_AS_NODE). */
  nodePath?: string;
  /** worker/bench-entry.ts, or its packaged path. */
  benchEntry?: string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** HTML → PDF. Default: Chromium headless; Electron passes webContents.printToPDF. */
  renderPdf?: (html: string) => Promise<Uint8Array>;
  chromiumPath?: string;
  /** Roost's own tests: another suite than roost-std/4 (e.g. roost-tiny/1). */
  suite?: SuiteDefinition;
  /** Roost's own tests: the protocol of every run (e.g. TEST_PROTOCOL) instead of the presets'. */
  protocol?: Protocol;
  /** Roost's own tests: silence before the child counts as hung, stop grace. */
  childTimeouts?: { silenceMs?: number; stopGraceMs?: number };
}

export interface BenchRunOptions {
  preset?: PresetName;
  ep?: ExecutionProvider;
  /** A CUDA device index (`0`) or an inventory GPU id; absent: the provider's first device. */
  device?: string;
  onProgress?: (progress: BenchProgress) => void;
  /** Abort to stop: the run ends with a partial report marked incomplete. */
  signal?: AbortSignal;
  /** Roost's own tests: a protocol other than the presets. */
  protocol?: Protocol;
}

/** The newest complete report with a composite, of any suite (history is newest first). */
export function newestScored(history: readonly BenchHistoryEntry[]): BenchHistoryEntry | undefined {
  return history.find((h) => h.complete && h.composite !== null);
}

/**
 * The report the market is told about: the newest complete one with a composite, of the suite
 * this Roost runs (the market prices in its units; a retired version's score is not in them).
 * The score on chain is the composite rounded, at least 1.
 */
export function reportForMarket(
  history: readonly BenchHistoryEntry[],
): { hash: string; score: number } | null {
  const latest = history.find((h) => h.current && h.complete && h.composite !== null);
  if (!latest || latest.composite === null) return null;
  return { hash: latest.digest, score: Math.max(1, Math.round(latest.composite)) };
}

export interface BenchExportOptions {
  id?: string;
  file?: string;
  format: BenchExportFormat;
  out?: string;
}

export interface BenchService {
  /** Providers and devices that can be benchmarked here (from the accelerator probe). */
  targets(): Promise<BenchTarget[]>;
  run(options?: BenchRunOptions): Promise<BenchRunResult>;
  /** Saved reports, newest first. */
  history(options?: { limit?: number }): Promise<BenchHistoryEntry[]>;
  get(id: string): Promise<SignedReport>;
  /** Signs a saved report again with today's signer if another key signed it (contents unchanged). */
  adoptSigner(id: string): Promise<SignedReport>;
  export(options: BenchExportOptions): Promise<BenchExportResult>;
  /** A report file (JSON, or an exported HTML), its text, or a parsed object. */
  verify(input: { file: string } | { text: string } | { value: unknown }): Promise<VerifyResult>;
  /** The folder holding the saved reports. */
  readonly reportsDir: string;
  isRunning(): boolean;
  /**
   * With the agent: stops a run in progress (it ends with a partial report, saved) and waits for
   * it. Later runs are refused.
   */
  close(): Promise<void>;
}

const silentLog: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLog,
};

const REFERENCE_VERSION = 1;
const referenceFileSchema = z.object({
  version: z.literal(REFERENCE_VERSION),
  suiteHash: z.string(),
  outputs: z.record(z.string(), z.record(z.string(), z.array(z.number()))),
});

function usable(result: AcceleratorProbe): boolean {
  return result.status === 'ok' || result.status === 'software-adapter';
}

/** Every provider/device the probe found working (software adapters included, flagged). */
export function benchTargets(probe: ProbeReport): BenchTarget[] {
  const targets: BenchTarget[] = [];
  for (const r of probe.results) {
    if (!usable(r)) continue;
    const software = r.status === 'software-adapter' || r.adapter?.software === true;
    const adapter = r.adapter ? adapterName(r.adapter) : null;
    const device = r.deviceIndex !== undefined ? String(r.deviceIndex) : undefined;
    // As the report's "Measured on" line says it: `CUDA (device 0) on NVIDIA GeForce RTX 3080`.
    targets.push({
      ep: r.ep,
      ...(device !== undefined ? { device } : {}),
      adapter,
      software,
      label: `${executionProviderName(r.ep)}${device !== undefined ? ` (device ${device})` : ''}${adapter ? ` on ${adapter}` : ''}${software ? ', a software renderer' : ''}`,
    });
  }
  return targets;
}

/** ` (llvmpipe, software)`: the adapter a target runs on, and whether it is a software one. */
function targetWhere(adapter: string | null, software: boolean): string {
  const where = [adapter, software ? 'software' : undefined].filter(Boolean).join(', ');
  return where ? ` (${where})` : '';
}

/** The valid targets as one types them (`cpu`, `cuda:0`), each with where it runs. */
function describeTargets(targets: BenchTarget[]): string {
  return targets.length
    ? targets
        .map(
          (t) =>
            `${t.ep}${t.device !== undefined ? `:${t.device}` : ''}${targetWhere(t.adapter, t.software)}`,
        )
        .join(', ')
    : 'none (onnxruntime did not start)';
}

/** The probe result a run uses, or a BenchError naming the valid choices. */
export function resolveTarget(
  probe: ProbeReport,
  ep: string,
  device: string | undefined,
): { probe: AcceleratorProbe; target: ReportTarget } {
  const targets = benchTargets(probe);
  const candidates = probe.results.filter((r) => r.ep === ep && usable(r));
  if (candidates.length === 0) {
    const offered = probe.results.find((r) => r.ep === ep);
    const why = offered?.reason ? ` (${offered.reason})` : '';
    throw new BenchError(
      'BENCH_INVALID_TARGET',
      `${offered ? `The execution provider "${ep}" does not work here${why}` : `Unknown execution provider "${ep}"`}. Valid: ${describeTargets(targets)}.`,
    );
  }
  let chosen = candidates[0];
  if (device !== undefined) {
    chosen = candidates.find(
      (r) =>
        (r.deviceIndex !== undefined && String(r.deviceIndex) === device) ||
        (r.adapter?.gpuId !== undefined && r.adapter.gpuId === device) ||
        (r.deviceIndex === undefined && (device === '0' || (ep === 'cpu' && device === 'cpu'))),
    );
    if (!chosen) {
      throw new BenchError(
        'BENCH_INVALID_TARGET',
        `Unknown device "${device}" for ${ep}. Valid: ${describeTargets(targets.filter((t) => t.ep === ep))}.`,
      );
    }
  }
  if (!chosen) throw new BenchError('BENCH_INVALID_TARGET', `No device for ${ep}.`);
  const software = chosen.status === 'software-adapter' || chosen.adapter?.software === true;
  return {
    probe: chosen,
    target: {
      ep: chosen.ep,
      ...(chosen.deviceIndex !== undefined ? { deviceIndex: chosen.deviceIndex } : {}),
      ...(chosen.adapter?.gpuId ? { gpuId: chosen.adapter.gpuId } : {}),
      adapter: chosen.adapter ?? null,
      software,
    },
  };
}

export function createBenchService(options: BenchServiceOptions): BenchService {
  const log = options.log ?? silentLog;
  const now = options.now ?? (() => new Date());
  const suite = options.suite ?? STD_SUITE;
  const hash = suiteHash(suite);
  const suites = new Map(SUITES);
  suites.set(suite.id, suite);
  const reportsDir = join(options.dataDir, 'bench', 'reports');
  const cacheDir = suiteCacheDir(join(options.dataDir, 'cache', 'bench'), suite, hash);
  const spawnChild =
    options.spawn ??
    createNodeBenchSpawner({
      ...(options.nodePath ? { nodePath: options.nodePath } : {}),
    });
  const entry = options.benchEntry ?? defaultBenchEntry();
  let running = false;
  let current: Promise<unknown> | undefined;
  let closed = false;
  const shutdown = new AbortController();
  let references: Map<string, Map<string, Float64Array>> | undefined;

  const getSigner = async (): Promise<ProviderSigner> =>
    typeof options.signer === 'function' ? options.signer() : options.signer;

  async function loadReferences(
    prepared: PreparedWorkload[],
  ): Promise<Map<string, Map<string, Float64Array>>> {
    if (references) return references;
    const file = join(cacheDir, `reference-v${REFERENCE_VERSION}.json`);
    try {
      const parsed = referenceFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (parsed.success && parsed.data.suiteHash === hash) {
        references = new Map(
          Object.entries(parsed.data.outputs).map(([id, outs]) => [
            id,
            new Map(Object.entries(outs).map(([name, v]) => [name, Float64Array.from(v)])),
          ]),
        );
        if (suite.workloads.every((w) => references?.has(w.id))) return references;
      }
    } catch {
      // No cache yet (or unreadable): compute.
    }
    const started = performance.now();
    const computed = new Map<string, Map<string, Float64Array>>();
    for (const p of prepared) {
      const generated =
        p.generated ?? generateWorkload(suite.seed, p.definition.id, p.definition.params);
      computed.set(p.definition.id, await referenceOutputs(generated, p.definition.params));
    }
    log.info(
      `CPU reference for ${suite.id} computed in ${Math.round(performance.now() - started)} ms`,
    );
    const body = {
      version: REFERENCE_VERSION,
      suiteHash: hash,
      outputs: Object.fromEntries(
        [...computed].map(([id, outs]) => [
          id,
          Object.fromEntries([...outs].map(([name, v]) => [name, Array.from(v)])),
        ]),
      ),
    };
    await writeFileAtomic(file, JSON.stringify(body), 0o644).catch((error: unknown) =>
      log.warn(`could not cache the CPU reference: ${String(error)}`),
    );
    references = computed;
    return computed;
  }

  async function run(runOptions: BenchRunOptions = {}): Promise<BenchRunResult> {
    if (closed) throw new BenchError('BENCH_BUSY', 'The agent is stopping.');
    if (running) throw new BenchError('BENCH_BUSY', 'A benchmark is already running.');
    running = true;
    const signal = runOptions.signal
      ? AbortSignal.any([runOptions.signal, shutdown.signal])
      : shutdown.signal;
    const run = runLocked({ ...runOptions, signal });
    current = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      running = false;
    }
  }

  async function runLocked(runOptions: BenchRunOptions): Promise<BenchRunResult> {
    const presetName = runOptions.preset ?? 'quick';
    const protocol = runOptions.protocol ?? options.protocol ?? PRESETS[presetName];
    if (!protocol) {
      throw new BenchError(
        'BENCH_INVALID_TARGET',
        `Unknown preset "${presetName}". Valid: ${Object.keys(PRESETS).join(', ')}.`,
      );
    }
    const ep = runOptions.ep ?? 'cpu';
    const runId = randomUUID();
    const count = suite.workloads.length;
    const progress = (p: Omit<BenchProgress, 'runId' | 'workloadCount'>) => {
      try {
        runOptions.onProgress?.({ ...p, runId, workloadCount: count });
      } catch (error) {
        log.warn(`a progress listener failed: ${String(error)}`);
      }
    };

    const [probe, gpus] = await Promise.all([options.hardware.probe(), options.hardware.list()]);
    const { target } = resolveTarget(probe, ep, runOptions.device);
    const machine = machineFacts();
    const startedAt = now();
    const startedMs = Date.now();
    log.info(
      `run ${runId}: ${suite.id} ${protocol.name} on ${target.ep}${target.deviceIndex !== undefined ? `:${target.deviceIndex}` : ''}${target.adapter ? ` (${target.adapter.name})` : ''}`,
    );

    progress({ phase: 'preparing', fraction: 0, message: `Preparing the ${suite.id} models` });
    const pruned = await pruneOtherSuites(dirname(cacheDir), basename(cacheDir)).catch(
      (error: unknown) => {
        log.warn(`could not remove an older suite's files: ${(error as Error).message}`);
        return undefined;
      },
    );
    if (pruned?.removed.length)
      log.info(
        `removed the models of ${pruned.removed.length === 1 ? 'an older benchmark suite' : `${pruned.removed.length} older benchmark suites`} (${Math.round(pruned.bytes / 2 ** 20)} MB) from the cache`,
      );
    const prepared: PreparedWorkload[] = [];
    try {
      for (const definition of suite.workloads) {
        prepared.push(await prepareWorkload(suite, definition, cacheDir, protocol));
      }
    } catch (error) {
      if (error instanceof SuiteIntegrityError)
        throw new BenchError('BENCH_SUITE_MISMATCH', error.message);
      throw error;
    }
    progress({ phase: 'preparing', fraction: 0.02, message: 'Computing the CPU reference' });
    // Before the child starts: computing it during the measurement would steal the CPU.
    const refs = await loadReferences(prepared).catch((error: unknown) => {
      log.error(`the CPU reference failed: ${String(error)}`);
      return new Map<string, Map<string, Float64Array>>();
    });
    // The generated weights are not needed past this point; the decode model alone is 128 MiB.
    const plans = prepared.map((p) => p.plan);
    prepared.length = 0;

    await options.hardware
      .startTelemetry()
      .catch((error: unknown) => log.warn(`telemetry did not start: ${String(error)}`));

    progress({ phase: 'starting', fraction: 0.05, message: 'Starting the benchmark process' });
    const index = new Map(suite.workloads.map((w, i) => [w.id, i]));
    // The child loads every workload, warms each up, then measures them in rounds: the bar moves
    // through loading (to 15 %), warming up (to 25 %), then with the measured share of them all.
    const measured = new Map<string, number>();
    const onMessage = (m: FromBench) => {
      if (m.type !== 'progress' && m.type !== 'workload-started') return;
      const i = index.get(m.id) ?? 0;
      let fraction = 0.05 + (0.1 * i) / count;
      let phase: BenchProgress['phase'] = 'session';
      if (m.type === 'progress' && m.phase === 'warmup') {
        phase = 'warmup';
        fraction = 0.15 + (0.1 * i) / count;
      } else if (m.type === 'progress' && m.phase === 'measure') {
        phase = 'measure';
        const byTime = protocol.measure.minMs > 0 ? m.elapsedMs / protocol.measure.minMs : 1;
        const byCount = m.iterations / protocol.measure.minIterations;
        measured.set(m.id, Math.min(1, byTime, byCount));
        let sum = 0;
        for (const share of measured.values()) sum += share;
        fraction = 0.25 + (0.72 * sum) / count;
      }
      const title = suite.workloads[i]?.title ?? m.id;
      progress({
        phase,
        fraction: Math.min(0.97, fraction),
        workloadId: m.id,
        workloadIndex: i,
        ...(m.type === 'progress' ? { iterations: m.iterations } : {}),
        message:
          phase === 'measure'
            ? `${title}: ${m.type === 'progress' ? m.iterations : 0} runs`
            : phase === 'warmup'
              ? `${title}: warming up`
              : `${title}: loading`,
      });
    };
    const cpuBefore = cpuSnapshot();
    // Its temp folder goes afterwards, with the file onnxruntime leaves in it.
    const outcome = await withScratchDir('roost-bench-', options.env ?? process.env, (env) =>
      runBenchChild({
        spawn: spawnChild,
        launch: { entry, env: probeEnv(env) },
        plan: {
          ep: target.ep,
          ...(target.deviceIndex !== undefined ? { deviceIndex: target.deviceIndex } : {}),
          rounds: measurementOf(suite).rounds,
          workloads: plans,
        },
        ...(runOptions.signal ? { signal: runOptions.signal } : {}),
        onMessage,
        ...options.childTimeouts,
      }),
    );
    const otherCores = otherProgramsCores(cpuBefore, cpuSnapshot(), outcome.cpuMs);
    if (outcome.failure) {
      log.error(`run ${runId}: ${outcome.failure}\n${outcome.outputTail.slice(-2000)}`);
    }

    progress({
      phase: 'checking',
      fraction: 0.97,
      message: 'Checking results against the CPU reference',
    });
    const finishedAt = now();
    const samples = options.hardware
      .telemetry(
        target.gpuId ? { gpuId: target.gpuId, sinceMs: startedMs } : { sinceMs: startedMs },
      )
      .filter((s) => s.at <= Date.now());
    const workloads = suite.workloads.map((definition) => {
      const reference = refs.get(definition.id);
      return workloadResult(definition, outcome.results.get(definition.id), {
        scoreQuantile: measurementOf(suite).scoreQuantile,
        ep: target.ep,
        stopped: outcome.stopped,
        started: outcome.started.includes(definition.id),
        ...(outcome.failure ? { childFailure: outcome.failure } : {}),
        ...(reference ? { reference } : {}),
      });
    });
    const report = buildReport({
      id: runId,
      suite,
      suiteHash: hash,
      protocol,
      target,
      machine: { ...machine, otherProgramsCores: otherCores },
      gpus,
      probe,
      roostVersion: ROOST_VERSION,
      onnxruntimeVersion: outcome.hello?.onnxruntimeVersion ?? probe.onnxruntimeVersion,
      startedAt,
      finishedAt,
      workloads,
      telemetry: samples,
      stopped: outcome.stopped,
      ...(outcome.failure && !outcome.stopped ? { childFailure: outcome.failure } : {}),
    });

    progress({ phase: 'signing', fraction: 0.98, message: 'Signing the report' });
    const signed = await signReport(report, await getSigner());
    const file = join(reportsDir, `${runId}.json`);
    await writeFileAtomic(file, `${JSON.stringify(signed, null, 2)}\n`, 0o644);
    const summary =
      report.composite.value === null
        ? 'no composite'
        : `${report.composite.value.toFixed(1)} ${report.composite.unit}`;
    log.info(
      `run ${runId}: ${report.complete ? 'complete' : 'INCOMPLETE'}, ${summary}, ${report.warnings.length} warnings; saved ${file}`,
    );
    progress({
      phase: 'done',
      fraction: 1,
      message: report.complete ? `Done: ${summary}` : 'Stopped: partial report saved',
    });
    return { report: signed, file };
  }

  async function readBytes(file: string): Promise<Uint8Array> {
    try {
      return await readFile(file);
    } catch (error) {
      throw new BenchError('REPORT_NOT_FOUND', `Cannot read ${file}: ${(error as Error).message}`);
    }
  }

  async function readReportFile(file: string): Promise<SignedReport> {
    const content = readReportContent(await readBytes(file), basename(file));
    if (content.kind === 'invalid') throw new BenchError('REPORT_INVALID', content.failure.message);
    const parsed = signedReportSchema.safeParse(content.value);
    if (!parsed.success) {
      const verdict = verifyReport(content.value, { suites });
      throw new BenchError(
        'REPORT_INVALID',
        verdict.ok ? `${file} is not a report` : `${file}: ${verdict.message}`,
      );
    }
    return parsed.data;
  }

  async function get(id: string): Promise<SignedReport> {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new BenchError('REPORT_NOT_FOUND', `No report ${id}.`);
    return readReportFile(join(reportsDir, `${id}.json`));
  }

  /**
   * History entries by file, with the file's size and mtime when read: the market asks for the
   * latest report every 30 s, and a year of reports is many megabytes of JSON to parse again.
   */
  const historyCache = new Map<string, { stamp: string; entry: BenchHistoryEntry | null }>();

  async function historyEntry(file: string): Promise<BenchHistoryEntry | null> {
    const info = await stat(file);
    const stamp = `${info.size}:${info.mtimeMs}`;
    const cached = historyCache.get(file);
    if (cached?.stamp === stamp) return cached.entry;
    const parsed = signedReportSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    let entry: BenchHistoryEntry | null = null;
    if (!parsed.success) {
      log.warn(`skipping ${file}: not a report`);
    } else {
      const { report, signature } = parsed.data;
      entry = {
        id: report.id,
        file,
        startedAt: report.startedAt,
        suiteId: report.suite.id,
        current: report.suite.id === suite.id,
        preset: report.protocol.name,
        ep: report.target.ep,
        adapter: report.target.adapter ? adapterName(report.target.adapter) : null,
        software: report.target.software,
        complete: report.complete,
        composite: report.composite.value,
        compositeUnit: report.composite.unit,
        values: Object.fromEntries(report.workloads.map((w) => [w.id, w.value])),
        warnings: report.warnings.length,
        signer: signature.signer,
        digest: signature.digest,
      };
    }
    historyCache.set(file, { stamp, entry });
    return entry;
  }

  /**
   * Signs a saved report again with today's signer when another key signed it: the setup runs the
   * benchmark before the wallet exists, so its report carries the local key's signature while the
   * market knows the provider by the wallet's. The contents (and so the digest the market
   * registers) stay as they are; only the signature changes. A report that does not verify is left
   * alone.
   */
  async function adoptSigner(id: string): Promise<SignedReport> {
    const signed = await get(id);
    const signer = await getSigner();
    if (signed.signature.signer.toLowerCase() === signer.address.toLowerCase()) return signed;
    const verdict = verifyReport(signed, { suites });
    if (!verdict.ok) {
      throw new BenchError('REPORT_INVALID', `Report ${id} does not verify: ${verdict.message}`);
    }
    const resigned = await signReport(signed.report, signer);
    const file = join(reportsDir, `${id}.json`);
    await writeFileAtomic(file, `${JSON.stringify(resigned, null, 2)}\n`, 0o644);
    log.info(
      `report ${id} signed again by ${resigned.signature.signer} (was ${signed.signature.signer}); its contents and digest ${resigned.signature.digest} are unchanged`,
    );
    return resigned;
  }

  async function history({ limit }: { limit?: number } = {}): Promise<BenchHistoryEntry[]> {
    const names = await readdir(reportsDir).catch(() => [] as string[]);
    const entries: BenchHistoryEntry[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const file = join(reportsDir, name);
      try {
        const entry = await historyEntry(file);
        if (entry) entries.push(entry);
      } catch (error) {
        log.warn(`skipping ${file}: ${(error as Error).message}`);
      }
    }
    entries.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    return limit === undefined ? entries : entries.slice(0, limit);
  }

  async function exportReport(exportOptions: BenchExportOptions): Promise<BenchExportResult> {
    let signed: SignedReport;
    if (exportOptions.id !== undefined) signed = await get(exportOptions.id);
    else if (exportOptions.file !== undefined) signed = await readReportFile(exportOptions.file);
    else throw new BenchError('REPORT_NOT_FOUND', 'Give a report id or a report file.');
    const verdict = verifyReport(signed, { suites });
    let bytes: Uint8Array;
    if (exportOptions.format === 'json') {
      bytes = new TextEncoder().encode(`${JSON.stringify(signed, null, 2)}\n`);
    } else {
      // The exporting version goes into the page: verify renders it again to compare.
      const html = renderReportHtml(signed, verdict, { exportedBy: ROOST_VERSION });
      if (exportOptions.format === 'html') bytes = new TextEncoder().encode(html);
      else {
        try {
          bytes = options.renderPdf
            ? await options.renderPdf(html)
            : await renderPdfWithChromium(html, {
                ...(options.chromiumPath ? { chromiumPath: options.chromiumPath } : {}),
                env: options.env ?? process.env,
              });
        } catch (error) {
          if (error instanceof PdfError) throw new BenchError(error.code, error.message);
          throw error;
        }
      }
    }
    if (exportOptions.out) {
      await writeFile(exportOptions.out, bytes, { mode: 0o644 });
      log.info(
        `exported report ${signed.report.id} as ${exportOptions.format} to ${exportOptions.out}`,
      );
      return {
        format: exportOptions.format,
        file: exportOptions.out,
        bytes: bytes.byteLength,
        verify: verdict,
      };
    }
    return {
      format: exportOptions.format,
      file: null,
      bytes: bytes.byteLength,
      content:
        exportOptions.format === 'pdf'
          ? Buffer.from(bytes).toString('base64')
          : new TextDecoder().decode(bytes),
      verify: verdict,
    };
  }

  async function verify(
    input: { file: string } | { text: string } | { value: unknown },
  ): Promise<VerifyResult> {
    if ('value' in input) return verifyReport(input.value, { suites });
    if ('text' in input) return verifyReportFile(input.text, { suites });
    // Bytes, not UTF-8 text: a PDF or a binary is told apart, never echoed.
    return verifyReportFile(await readBytes(input.file), {
      suites,
      name: basename(input.file),
    });
  }

  return {
    targets: async () => benchTargets(await options.hardware.probe()),
    run,
    history,
    get,
    adoptSigner,
    export: exportReport,
    verify,
    reportsDir,
    isRunning: () => running,
    async close() {
      closed = true;
      shutdown.abort();
      await current;
    },
  };
}
