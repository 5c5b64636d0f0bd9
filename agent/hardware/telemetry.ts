/**
 * Telemetry at 1 Hz: utilization, VRAM, temperature, power, clocks and fan for every GPU.
 * NVIDIA: ONE long-lived `nvidia-smi --query-gpu=... --format=csv,noheader,nounits -lms 1000`
 * process for all NVIDIA GPUs (not a spawn per sample), restarted with backoff if it dies or
 * stalls. AMD and Intel: sysfs/hwmon files read on a timer, no process at all. The last hour is
 * kept in a ring buffer per GPU; each sample is also handed to `onSample` (the agent publishes it
 * as the `hardware.telemetry` event). `stop()` ends everything and waits for the child to exit.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hardwarePaths } from './inventory.ts';
import type { HardwareLog } from './log.ts';
import { stderrHardwareLog } from './log.ts';
import { parseTelemetryLine, TELEMETRY_FIELDS } from './nvidia-smi-csv.ts';
import { defaultSpawner, killTree } from './run-tool.ts';
import type { SpawnedProcess, Spawner } from './run-tool.ts';
import type { GpuInventory, TelemetrySample, ToolProblem } from './schema.ts';
import { readHwmonDir, readText, scanSysfs } from './sysfs.ts';
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
    log.info(
      `telemetry started for ${nvidia.length + polled.length} GPU(s) every ${intervalMs} ms` +
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
      poller?.stop();
      await stream?.stop();
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

interface PolledGpu {
  gpuId: string;
  deviceDir: string;
  cardDir?: string;
  hwmonDir?: string;
  source: TelemetrySample['source'];
  lastEnergy?: { joules: number; at: number };
}

class SysfsPoller {
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
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
      const entry: PolledGpu = {
        gpuId: gpu.id,
        deviceDir: found.deviceDir,
        source: gpu.vendor === 'amd' ? 'amdgpu-sysfs' : 'intel-sysfs',
      };
      if (found.drmCard) entry.cardDir = join(root, 'class', 'drm', found.drmCard);
      if (found.hwmon?.dir) entry.hwmonDir = found.hwmon.dir;
      polled.push(entry);
    }
    return new SysfsPoller(polled, intervalMs, publish, now);
  }

  start(): void {
    if (this.#gpus.length === 0) return;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Read every GPU once. Skipped while the previous read is still running (a slow sysfs). */
  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (const gpu of this.#gpus) this.#publish(await this.#read(gpu));
    } finally {
      this.#busy = false;
    }
  }

  async #read(gpu: PolledGpu): Promise<TelemetrySample> {
    const num = async (dir: string | undefined, file: string) =>
      dir ? toNumber(await readText(join(dir, file))) : undefined;
    const hwmon = gpu.hwmonDir ? await readHwmonDir(gpu.hwmonDir) : undefined;
    const at = this.#now();
    let powerW = hwmon?.powerW;
    if (powerW === undefined && hwmon?.energyJ !== undefined) {
      // Intel Arc reports an energy counter: power is its rate of change.
      const last = gpu.lastEnergy;
      if (last && at > last.at && hwmon.energyJ >= last.joules) {
        powerW = (hwmon.energyJ - last.joules) / ((at - last.at) / 1000);
      }
      gpu.lastEnergy = { joules: hwmon.energyJ, at };
    }
    const busy = await num(gpu.deviceDir, 'gpu_busy_percent');
    const used = await num(gpu.deviceDir, 'mem_info_vram_used');
    const total = await num(gpu.deviceDir, 'mem_info_vram_total');
    const clock =
      hwmon?.graphicsClockMHz ??
      (await num(gpu.cardDir, 'gt_act_freq_mhz')) ??
      (await num(join(gpu.deviceDir, 'tile0', 'gt0', 'freq0'), 'act_freq'));
    return {
      gpuId: gpu.gpuId,
      at,
      utilizationPct: busy !== undefined && busy >= 0 && busy <= 100 ? busy : null,
      vramUsedBytes: used !== undefined && used >= 0 ? used : null,
      vramTotalBytes: total !== undefined && total >= 0 ? total : null,
      temperatureC: hwmon?.temperatureC ?? hwmon?.junctionC ?? null,
      powerW: powerW !== undefined && powerW >= 0 ? powerW : null,
      graphicsClockMHz: clock !== undefined && clock >= 0 ? clock : null,
      memoryClockMHz: hwmon?.memoryClockMHz ?? null,
      fanPct: hwmon?.fanPct ?? null,
      source: gpu.source,
    };
  }
}
