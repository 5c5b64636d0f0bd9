/**
 * Telemetry at 1 Hz: utilization, VRAM, temperature, power, clocks and fan for every GPU.
 * NVIDIA: ONE long-lived `nvidia-smi --query-gpu=... --format=csv,noheader,nounits -lms 1000`
 * process for all NVIDIA GPUs (not a spawn per sample), restarted with backoff if it dies or
 * stalls. AMD and Intel: sysfs/hwmon files read on a timer, no process at all. The last hour is
 * kept in a ring buffer per GPU; each sample is also handed to `onSample` (the agent publishes it
 * as the `hardware.telemetry` event). `stop()` ends everything and waits for the child to exit.
 */
import { open, readdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hardwarePaths } from './inventory.ts';
import type { HardwareLog } from './log.ts';
import { stderrHardwareLog } from './log.ts';
import { parseTelemetryLine, TELEMETRY_FIELDS } from './nvidia-smi-csv.ts';
import { defaultSpawner, killTree } from './run-tool.ts';
import type { SpawnedProcess, Spawner } from './run-tool.ts';
import type { GpuInventory, TelemetrySample, ToolProblem } from './schema.ts';
import { readText, scanSysfs } from './sysfs.ts';
import { classifyNvidiaSmiText } from './tool-errors.ts';
import { toNumber } from './tool-values.ts';

/** A fixed-size ring of samples for one GPU. */
export class TelemetryRing {
  readonly #items: (TelemetrySample | undefined)[];
  #next = 0;
  #size = 0;

  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#items = new Array<TelemetrySample | undefined>(capacity);
  }

  push(sample: TelemetrySample): void {
    this.#items[this.#next] = sample;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** Oldest first; only samples taken at or after `sinceMs`. */
  toArray(sinceMs = -Infinity): TelemetrySample[] {
    const out: TelemetrySample[] = [];
    for (let i = 0; i < this.#size; i++) {
      const item = this.#items[(this.#next - this.#size + i + this.capacity) % this.capacity];
      if (item && item.at >= sinceMs) out.push(item);
    }
    return out;
  }

  latest(): TelemetrySample | undefined {
    return this.#size === 0
      ? undefined
      : this.#items[(this.#next - 1 + this.capacity) % this.capacity];
  }

  get size(): number {
    return this.#size;
  }
}

export interface TelemetryOptions {
  /** The GPUs to watch (from listGpus()). */
  inventory: GpuInventory;
  spawner?: Spawner;
  /** Read for ROOST_NVIDIA_SMI / ROOST_SYSFS_ROOT; passed to nvidia-smi. */
  env?: NodeJS.ProcessEnv;
  /** Epoch milliseconds. */
  now?: () => number;
  log?: HardwareLog;
  /** Default 1000 (1 Hz). */
  intervalMs?: number;
  /** How much history to keep; default one hour. */
  historyMs?: number;
  onSample?: (sample: TelemetrySample) => void;
  /** A sampler that fails (nvidia-smi died, printed garbage, stalled). */
  onProblem?: (problem: ToolProblem) => void;
  /** Restart delays for a dying nvidia-smi: first and longest. Default 1 s and 60 s. */
  restartDelayMs?: { first: number; max: number };
  /** Restart nvidia-smi when it has printed nothing for this long. Default max(10 intervals, 10 s). */
  stallMs?: number;
}

export interface TelemetrySampler {
  /** Samples of one GPU, oldest first, within the kept history (or since `sinceMs`). */
  history(gpuId: string, sinceMs?: number): TelemetrySample[];
  latest(gpuId: string): TelemetrySample | undefined;
  /** GPU ids being sampled. */
  readonly gpuIds: readonly string[];
  /** How many nvidia-smi processes were started (1 unless it had to be restarted). */
  readonly nvidiaSmiStarts: number;
  stop(): Promise<void>;
}

/** Start sampling. Never throws; a GPU that cannot be read just gets no samples. */
export async function startTelemetry(options: TelemetryOptions): Promise<TelemetrySampler> {
  const log = options.log ?? stderrHardwareLog;
  const now = options.now ?? (() => Date.now());
  const intervalMs = options.intervalMs ?? 1000;
  const historyMs = options.historyMs ?? 3_600_000;
  const capacity = Math.ceil(historyMs / intervalMs) + 10;
  const rings = new Map<string, TelemetryRing>();
  const publish = (sample: TelemetrySample) => {
    let ring = rings.get(sample.gpuId);
    if (!ring) {
      ring = new TelemetryRing(capacity);
      rings.set(sample.gpuId, ring);
    }
    ring.push(sample);
    try {
      options.onSample?.(sample);
    } catch (error) {
      log.warn(`a telemetry subscriber failed: ${(error as Error).message}`);
    }
  };
  const problem = (p: ToolProblem) => {
    log.warn(`telemetry: ${p.tool}: ${p.message}`);
    try {
      options.onProblem?.(p);
    } catch {
      // A broken listener must not stop the sampler.
    }
  };

  const ok = options.inventory.gpus.filter((g) => g.status === 'ok');
  const nvidia = ok.filter(
    (g) => g.vendor === 'nvidia' && g.fieldSources.vramBytes === 'nvidia-smi',
  );
  const polled = ok.filter((g) => (g.vendor === 'amd' || g.vendor === 'intel') && g.busId);

  const stream =
    nvidia.length > 0
      ? new NvidiaSmiStream(options, intervalMs, publish, problem, log, now)
      : undefined;
  const poller =
    polled.length > 0
      ? await SysfsPoller.create(options, polled, intervalMs, publish, now)
      : undefined;
  stream?.start();
  poller?.start();
  if (stream || poller) {
    const count = nvidia.length + polled.length;
    const every = intervalMs === 1000 ? 'every second' : `every ${intervalMs} ms`;
    log.info(
      `reading temperature, power and load of ${count} GPU${count === 1 ? '' : 's'} ${every}` +
        (stream ? ' (one nvidia-smi process)' : ''),
    );
  }

  return {
    gpuIds: [...nvidia, ...polled].map((g) => g.id),
    get nvidiaSmiStarts() {
      return stream?.starts ?? 0;
    },
    history(gpuId, sinceMs) {
      return rings.get(gpuId)?.toArray(Math.max(sinceMs ?? -Infinity, now() - historyMs)) ?? [];
    },
    latest(gpuId) {
      return rings.get(gpuId)?.latest();
    },
    async stop() {
      await Promise.all([poller?.stop(), stream?.stop()]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// NVIDIA: one nvidia-smi -lms process

class NvidiaSmiStream {
  starts = 0;
  #child: SpawnedProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stopping = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #delay: number;
  #lastLineAt = 0;
  #badLines = 0;
  #lastBadReport = -Infinity;
  #stderrTail = '';
  readonly #options: TelemetryOptions;
  readonly #intervalMs: number;
  readonly #publish: (s: TelemetrySample) => void;
  readonly #problem: (p: ToolProblem) => void;
  readonly #log: HardwareLog;
  readonly #now: () => number;

  constructor(
    options: TelemetryOptions,
    intervalMs: number,
    publish: (s: TelemetrySample) => void,
    problem: (p: ToolProblem) => void,
    log: HardwareLog,
    now: () => number,
  ) {
    this.#options = options;
    this.#intervalMs = intervalMs;
    this.#publish = publish;
    this.#problem = problem;
    this.#log = log;
    this.#now = now;
    this.#delay = options.restartDelayMs?.first ?? 1000;
  }

  start(): void {
    if (this.#stopping) return;
    const env = this.#options.env ?? process.env;
    const command = hardwarePaths(env).nvidiaSmi;
    const args = [
      `--query-gpu=${TELEMETRY_FIELDS.join(',')}`,
      '--format=csv,noheader,nounits',
      '-lms',
      String(this.#intervalMs),
    ];
    this.starts++;
    this.#stderrTail = '';
    this.#lastLineAt = Date.now();
    let child: SpawnedProcess;
    try {
      child = (this.#options.spawner ?? defaultSpawner)(command, args, {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        detached: process.platform !== 'win32',
      });
    } catch (error) {
      this.#failed(`could not start: ${(error as Error).message}`, 'failed');
      return;
    }
    this.#child = child;
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        this.#onExit(child, code, signal);
      });
      child.once('error', (error: Error & { code?: string }) => {
        resolve();
        if (this.#child !== child) return;
        this.#child = undefined;
        this.#failed(
          error.code === 'ENOENT' ? 'nvidia-smi is not installed.' : error.message,
          error.code === 'ENOENT' ? 'not-installed' : 'failed',
        );
      });
    });
    child.stdout?.on('error', () => undefined);
    child.stderr?.on('error', () => undefined);
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    if (child.stdout) {
      const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on('line', (line) => this.#onLine(line));
    }
    clearInterval(this.#watchdog);
    const stallMs = this.#options.stallMs ?? Math.max(10 * this.#intervalMs, 10_000);
    this.#watchdog = setInterval(
      () => {
        if (this.#child === child && Date.now() - this.#lastLineAt > stallMs) {
          this.#problem({
            tool: 'nvidia-smi',
            code: 'timeout',
            message: `printed nothing for ${Math.round(stallMs / 1000)} s; restarting it.`,
          });
          killTree(child);
        }
      },
      Math.min(stallMs, 1000),
    );
  }

  #onLine(raw: string): void {
    const line = raw.trim();
    if (line === '') return;
    this.#lastLineAt = Date.now();
    const parsed = parseTelemetryLine(line);
    if (!parsed.ok) {
      this.#badLines++;
      const known = classifyNvidiaSmiText(line);
      const at = this.#now();
      if (known || at - this.#lastBadReport > 60_000) {
        this.#lastBadReport = at;
        this.#problem(
          known ?? {
            tool: 'nvidia-smi',
            code: 'garbage',
            message: `unreadable telemetry line (${parsed.reason}); ${this.#badLines} so far.`,
          },
        );
      }
      return;
    }
    this.#delay = this.#options.restartDelayMs?.first ?? 1000;
    const r = parsed.reading;
    this.#publish({
      gpuId: `pci-${r.busId}`,
      at: this.#now(),
      utilizationPct: r.utilizationPct,
      vramUsedBytes: r.vramUsedBytes,
      vramTotalBytes: r.vramTotalBytes,
      temperatureC: r.temperatureC,
      powerW: r.powerW,
      graphicsClockMHz: r.graphicsClockMHz,
      memoryClockMHz: r.memoryClockMHz,
      fanPct: r.fanPct,
      source: 'nvidia-smi',
    });
  }

  #onExit(child: SpawnedProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    if (this.#stopping) return;
    const known = classifyNvidiaSmiText(this.#stderrTail);
    this.#failed(
      known?.message ?? `exited (${signal ?? `code ${code}`}).`,
      known?.code ?? 'failed',
      known?.fix,
    );
  }

  #failed(message: string, code: ToolProblem['code'], fix?: string): void {
    clearInterval(this.#watchdog);
    if (this.#stopping) return;
    const delay = this.#delay;
    this.#problem({
      tool: 'nvidia-smi',
      code,
      message: `${message} Restarting telemetry in ${Math.round(delay / 100) / 10} s.`,
      ...(fix ? { fix } : {}),
    });
    this.#delay = Math.min(delay * 2, this.#options.restartDelayMs?.max ?? 60_000);
    this.#restartTimer = setTimeout(() => this.start(), delay);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    clearInterval(this.#watchdog);
    const child = this.#child;
    if (!child) return;
    // SIGTERM first; nvidia-smi exits at once. SIGKILL the group if it does not.
    try {
      if (child.pid !== undefined && process.platform !== 'win32')
        process.kill(-child.pid, 'SIGTERM');
      else child.kill('SIGTERM');
    } catch {
      killTree(child);
    }
    const killer = setTimeout(() => killTree(child), 2000);
    await this.#exited;
    clearTimeout(killer);
    this.#child = undefined;
    this.#log.debug('telemetry: nvidia-smi stopped');
  }
}

// ---------------------------------------------------------------------------------------------
// AMD and Intel: sysfs files on a timer

/**
 * One sysfs attribute kept open and re-read at offset 0 each tick: one read per value instead
 * of open/stat/read/close, which is most of the poller's cost.
 */
class SysfsValue {
  readonly path: string;
  #handle: FileHandle | undefined;
  #gone = false;
  readonly #buffer = Buffer.alloc(128);

  constructor(path: string) {
    this.path = path;
  }

  async read(): Promise<number | undefined> {
    if (this.#gone) return undefined;
    try {
      this.#handle ??= await open(this.path, 'r');
      const { bytesRead } = await this.#handle.read(this.#buffer, 0, this.#buffer.length, 0);
      return toNumber(this.#buffer.toString('utf8', 0, bytesRead).trim());
    } catch (error) {
      // Gone for good (unplugged, driver unloaded): stop trying. Anything else (a GPU waking
      // up, EBUSY): reopen next time.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.#gone = true;
      await this.close();
      return undefined;
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

interface PolledGpu {
  gpuId: string;
  source: TelemetrySample['source'];
  busy?: SysfsValue;
  vramUsed?: SysfsValue;
  vramTotal?: number;
  /** millidegrees */
  temperature?: SysfsValue;
  /** microwatts */
  power?: SysfsValue;
  /** microjoules, cumulative (Intel Arc) */
  energy?: SysfsValue;
  lastEnergy?: { joules: number; at: number };
  /** Hz (hwmon freqN_input labelled sclk/mclk) or MHz (i915/xe files), see clockScale. */
  graphicsClock?: SysfsValue;
  graphicsClockScale: number;
  memoryClock?: SysfsValue;
  pwm?: SysfsValue;
  pwmMax: number;
}

class SysfsPoller {
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<void> | undefined;
  readonly #gpus: PolledGpu[];
  readonly #intervalMs: number;
  readonly #publish: (s: TelemetrySample) => void;
  readonly #now: () => number;

  private constructor(
    gpus: PolledGpu[],
    intervalMs: number,
    publish: (s: TelemetrySample) => void,
    now: () => number,
  ) {
    this.#gpus = gpus;
    this.#intervalMs = intervalMs;
    this.#publish = publish;
    this.#now = now;
  }

  static async create(
    options: TelemetryOptions,
    gpus: GpuInventory['gpus'],
    intervalMs: number,
    publish: (s: TelemetrySample) => void,
    now: () => number,
  ): Promise<SysfsPoller> {
    const root = hardwarePaths(options.env ?? process.env).sysfsRoot;
    const scan = await scanSysfs(root);
    const polled: PolledGpu[] = [];
    for (const gpu of gpus) {
      const found = scan.gpus.find((s) => s.busId === gpu.busId);
      if (!found) continue;
      polled.push(
        await discover(
          gpu.id,
          gpu.vendor === 'amd' ? 'amdgpu-sysfs' : 'intel-sysfs',
          found.deviceDir,
          found.drmCard ? join(root, 'class', 'drm', found.drmCard) : undefined,
          found.hwmon?.dir,
        ),
      );
    }
    return new SysfsPoller(polled, intervalMs, publish, now);
  }

  start(): void {
    if (this.#gpus.length === 0) return;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#busy;
    for (const gpu of this.#gpus) {
      for (const value of [
        gpu.busy,
        gpu.vramUsed,
        gpu.temperature,
        gpu.power,
        gpu.energy,
        gpu.graphicsClock,
        gpu.memoryClock,
        gpu.pwm,
      ]) {
        await value?.close();
      }
    }
  }

  /** Read every GPU once. Skipped while the previous read is still running (a slow sysfs). */
  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = (async () => {
      for (const gpu of this.#gpus) this.#publish(await this.#read(gpu));
    })().finally(() => {
      this.#busy = undefined;
    });
    return this.#busy;
  }

  async #read(gpu: PolledGpu): Promise<TelemetrySample> {
    const [busy, used, milliC, microW, microJ, clock, memClock, pwm] = await Promise.all([
      gpu.busy?.read(),
      gpu.vramUsed?.read(),
      gpu.temperature?.read(),
      gpu.power?.read(),
      gpu.energy?.read(),
      gpu.graphicsClock?.read(),
      gpu.memoryClock?.read(),
      gpu.pwm?.read(),
    ]);
    const at = this.#now();
    let powerW = microW !== undefined && microW >= 0 ? microW / 1e6 : undefined;
    if (powerW === undefined && microJ !== undefined && microJ >= 0) {
      // Intel Arc reports an energy counter: power is its rate of change.
      const joules = microJ / 1e6;
      const last = gpu.lastEnergy;
      if (last && at > last.at && joules >= last.joules)
        powerW = (joules - last.joules) / ((at - last.at) / 1000);
      gpu.lastEnergy = { joules, at };
    }
    const validTemp = milliC !== undefined && milliC > -273000 && milliC < 200000;
    return {
      gpuId: gpu.gpuId,
      at,
      utilizationPct: busy !== undefined && busy >= 0 && busy <= 100 ? busy : null,
      vramUsedBytes: used !== undefined && used >= 0 ? used : null,
      vramTotalBytes: gpu.vramTotal ?? null,
      temperatureC: validTemp ? milliC / 1000 : null,
      powerW: powerW !== undefined && powerW < 5000 ? powerW : null,
      graphicsClockMHz: clock !== undefined && clock >= 0 ? clock / gpu.graphicsClockScale : null,
      memoryClockMHz: memClock !== undefined && memClock >= 0 ? memClock / 1e6 : null,
      fanPct:
        pwm !== undefined && pwm >= 0 && pwm <= gpu.pwmMax
          ? Math.round((pwm / gpu.pwmMax) * 1000) / 10
          : null,
      source: gpu.source,
    };
  }
}

/** Which files this GPU has, found once; the poller then re-reads only those. */
async function discover(
  gpuId: string,
  source: TelemetrySample['source'],
  deviceDir: string,
  cardDir: string | undefined,
  hwmonDir: string | undefined,
): Promise<PolledGpu> {
  const exists = async (path: string) => (await readText(path)) !== undefined;
  const value = async (path: string) => ((await exists(path)) ? new SysfsValue(path) : undefined);
  const gpu: PolledGpu = { gpuId, source, graphicsClockScale: 1e6, pwmMax: 255 };
  const set = <K extends keyof PolledGpu>(key: K, v: PolledGpu[K] | undefined) => {
    if (v !== undefined) gpu[key] = v;
  };
  set('busy', await value(join(deviceDir, 'gpu_busy_percent')));
  set('vramUsed', await value(join(deviceDir, 'mem_info_vram_used')));
  const total = toNumber(await readText(join(deviceDir, 'mem_info_vram_total')));
  if (total !== undefined && total >= 0) gpu.vramTotal = total;
  if (hwmonDir) {
    const files = new Set(await readdir(hwmonDir).catch(() => [] as string[]));
    const label = async (f: string) =>
      files.has(f) ? (await readText(join(hwmonDir, f)))?.toLowerCase() : undefined;
    const temps = [...files].filter((f) => /^temp\d+_input$/.test(f)).sort();
    let edge: string | undefined;
    for (const f of temps) {
      const what =
        (await label(f.replace('_input', '_label'))) ?? (f === 'temp1_input' ? 'edge' : '');
      if (what === 'edge') edge ??= f;
    }
    const tempFile = edge ?? temps[0];
    if (tempFile) gpu.temperature = new SysfsValue(join(hwmonDir, tempFile));
    const powerFile = ['power1_average', 'power1_input'].find((f) => files.has(f));
    if (powerFile) gpu.power = new SysfsValue(join(hwmonDir, powerFile));
    if (files.has('energy1_input')) gpu.energy = new SysfsValue(join(hwmonDir, 'energy1_input'));
    for (const n of ['1', '2']) {
      if (!files.has(`freq${n}_input`)) continue;
      const what = await label(`freq${n}_label`);
      if (what === 'sclk') gpu.graphicsClock = new SysfsValue(join(hwmonDir, `freq${n}_input`));
      if (what === 'mclk') gpu.memoryClock = new SysfsValue(join(hwmonDir, `freq${n}_input`));
    }
    if (files.has('pwm1')) {
      gpu.pwm = new SysfsValue(join(hwmonDir, 'pwm1'));
      const max = files.has('pwm1_max')
        ? toNumber(await readText(join(hwmonDir, 'pwm1_max')))
        : undefined;
      if (max !== undefined && max > 0) gpu.pwmMax = max;
    }
  }
  if (!gpu.graphicsClock) {
    // Intel: i915 has its GT frequency on the card, xe under the device's tile/gt folder (MHz).
    const mhz =
      (cardDir ? await value(join(cardDir, 'gt_act_freq_mhz')) : undefined) ??
      (await value(join(deviceDir, 'tile0', 'gt0', 'freq0', 'act_freq')));
    if (mhz) {
      gpu.graphicsClock = mhz;
      gpu.graphicsClockScale = 1;
    }
  }
  return gpu;
}
