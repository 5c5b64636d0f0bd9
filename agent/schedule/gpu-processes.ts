/**
 * Game mode's "any other program using the GPU" on NVIDIA: the `gpuProcesses` source of the work
 * policy, from `nvidia-smi --query-compute-apps` (programs computing on a GPU, with the memory
 * they hold) and `nvidia-smi pmon -c 1` (which also lists graphics processes, i.e. games). Each
 * row is checked with zod; the program runner, the GPU list and the process tree are injected.
 *
 * Roost's own workers compute on the GPU too: processes descended from the agent (read from
 * /proc on Linux) are never "another program", or every job would pause its own GPU.
 */
import { access, constants, readdir, readFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import type { GpuProcess } from './policy.ts';
import { normalizeBusId, type CommandRunner, defaultCommandRunner } from './processes.ts';

/** Fields asked of `--query-compute-apps`; the name goes last because it may hold commas. */
export const COMPUTE_APPS_FIELDS = [
  'gpu_bus_id',
  'gpu_uuid',
  'pid',
  'used_memory',
  'process_name',
] as const;

export const COMPUTE_APPS_ARGS = [
  `--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`,
  '--format=csv,noheader',
] as const;

export const PMON_ARGS = ['pmon', '-c', '1', '-s', 'u'] as const;

/** One program on a GPU as nvidia-smi reports it. */
export const nvidiaGpuAppSchema = z.object({
  busId: z
    .string()
    .transform((s) => normalizeBusId(s))
    .pipe(z.string().regex(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/))
    .nullable(),
  uuid: z
    .string()
    .regex(/^GPU-[0-9a-fA-F-]+$/)
    .nullable(),
  pid: z.coerce.number().int().positive(),
  /** MiB; null where the driver can't say (`[N/A]` under Windows WDDM). */
  usedMemoryMiB: z.number().nonnegative().nullable(),
  name: z.string().trim().min(1).max(4096),
});
export type NvidiaGpuApp = z.infer<typeof nvidiaGpuAppSchema>;

/** Header names (as `--format=csv` prints them) mapped to the query fields. */
const headerField: Record<string, (typeof COMPUTE_APPS_FIELDS)[number]> = {
  gpu_bus_id: 'gpu_bus_id',
  gpu_uuid: 'gpu_uuid',
  pid: 'pid',
  process_name: 'process_name',
  used_memory: 'used_memory',
  used_gpu_memory: 'used_memory',
};

function memoryMiB(cell: string | undefined): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(MiB)?$/i.exec(cell?.trim() ?? '');
  return m ? Number(m[1]) : null;
}

function naToNull(cell: string | undefined): string | null {
  const t = cell?.trim() ?? '';
  return t === '' || /^\[?(N\/A|Not Supported|Insufficient Permissions)\]?$/i.test(t) ? null : t;
}

/**
 * `nvidia-smi --query-compute-apps=... --format=csv[,noheader][,nounits]`. With a header (the
 * documented `--format=csv`) the columns are read by name, in any order and with extra ones such
 * as `timestamp`; without, they are `COMPUTE_APPS_FIELDS` in order. `No running processes found`
 * and blank output mean none. Rows that don't check out are returned as `skipped`, with why.
 */
export function parseComputeApps(
  text: string,
  fields: readonly string[] = COMPUTE_APPS_FIELDS,
): { apps: NvidiaGpuApp[]; skipped: string[] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const apps: NvidiaGpuApp[] = [];
  const skipped: string[] = [];
  let columns: (string | undefined)[] = [...fields];
  const first = lines[0]?.split(',').map((c) => c.trim().replace(/\s*\[.*\]$/, ''));
  if (first?.includes('pid') && first.includes('process_name')) {
    columns = first.map((c) => headerField[c]);
    lines.shift();
  }
  const nameAt = columns.indexOf('process_name');
  for (const line of lines) {
    if (/^no running (compute )?processes found/i.test(line.trim())) continue;
    let cells = line.split(',').map((c) => c.trim());
    // Commas inside the program's name: the surplus cells belong to it.
    const extra = cells.length - columns.length;
    if (extra > 0 && nameAt >= 0) {
      cells = [
        ...cells.slice(0, nameAt),
        cells.slice(nameAt, nameAt + extra + 1).join(', '),
        ...cells.slice(nameAt + extra + 1),
      ];
    }
    const cell = (field: string) => {
      const i = columns.indexOf(field);
      return i < 0 ? undefined : cells[i];
    };
    const parsed = nvidiaGpuAppSchema.safeParse({
      busId: naToNull(cell('gpu_bus_id')),
      uuid: naToNull(cell('gpu_uuid')),
      pid: cell('pid'),
      usedMemoryMiB: memoryMiB(cell('used_memory')),
      name: cell('process_name'),
    });
    if (parsed.success) apps.push(parsed.data);
    else skipped.push(`${line.trim()}: ${parsed.error.issues[0]?.message ?? 'not a process row'}`);
  }
  return { apps, skipped };
}

/** One row of `nvidia-smi pmon -s u`. */
export const pmonRowSchema = z.object({
  gpuIndex: z.coerce.number().int().nonnegative(),
  pid: z.coerce.number().int().positive(),
  type: z.enum(['C', 'G', 'C+G', 'M', 'M+C', 'M+G', 'M+C+G']),
  /** Streaming-multiprocessor use in %; null when the sample had none (`-`). */
  smPct: z.number().min(0).max(100).nullable(),
  name: z.string().min(1),
});
export type PmonRow = z.infer<typeof pmonRowSchema>;

/**
 * `nvidia-smi pmon -c 1 -s u`: `# gpu pid type sm mem enc dec [jpg ofa] command` and the
 * `# Idx # C/G % ...` units line, then one line per process; `-` for no value and for a GPU with
 * no process. The command is the last column.
 */
export function parsePmon(text: string): PmonRow[] {
  const rows: PmonRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trimStart().startsWith('#') || line.trim() === '') continue;
    const cols = line.trim().split(/\s+/);
    const sm = cols[3];
    const parsed = pmonRowSchema.safeParse({
      gpuIndex: cols[0],
      pid: cols[1] === '-' ? undefined : cols[1],
      type: cols[2],
      smPct: sm === undefined || sm === '-' ? null : Number(sm),
      name: cols.length >= 5 ? cols[cols.length - 1] : undefined,
    });
    if (parsed.success) rows.push(parsed.data);
  }
  return rows;
}

/** `ppid` of each process from /proc/<pid>/stat; the agent's descendants are its workers. */
export async function descendantPids(root: number, procRoot = '/proc'): Promise<Set<number>> {
  const parents = new Map<number, number>();
  const entries = await readdir(procRoot).catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        const stat = await readFile(join(procRoot, pid, 'stat'), 'utf8').catch(() => '');
        // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so split after the last ')'.
        const after = stat
          .slice(stat.lastIndexOf(')') + 1)
          .trim()
          .split(/\s+/);
        const ppid = Number(after[1]);
        if (Number.isInteger(ppid)) parents.set(Number(pid), ppid);
      }),
  );
  const out = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!out.has(pid) && out.has(ppid)) {
        out.add(pid);
        grew = true;
      }
    }
  }
  return out;
}

export interface NvidiaGpu {
  id: string;
  busId?: string | undefined;
  uuid?: string | undefined;
  vendor: string;
}

export interface NvidiaProcessSourceOptions {
  /** The nvidia-smi to run (ROOST_NVIDIA_SMI or `nvidia-smi`). */
  nvidiaSmi: string;
  /** The inventory's GPUs; nvidia-smi is asked only when one is NVIDIA. */
  gpus: () => Promise<readonly NvidiaGpu[]>;
  run?: CommandRunner;
  /** The agent and its workers; default: this process and its descendants from /proc (Linux). */
  ownPids?: () => Promise<ReadonlySet<number>>;
  /** Answers are reused this long, so a 5 s policy tick spawns nvidia-smi at most this often. */
  minIntervalMs?: number;
  /** A graphics process counts only at this much GPU use (%), so a browser or a desktop widget
   * drawing a frame now and then does not pause work; a game uses far more. Default 5. */
  graphicsMinSmPct?: number;
  now?: () => number;
  /** Told once when pmon is not supported on this GPU (then compute apps alone are read). */
  onPmonUnsupported?: (why: string) => void;
}

/**
 * The work policy's `gpuProcesses` source on a machine with nvidia-smi: foreign compute processes
 * (every one) and graphics processes (busy ones), each mapped to its GPU by bus id or UUID. Null
 * (unknown) when no NVIDIA GPU is listed. A failing nvidia-smi throws: the policy logs it once and
 * treats the list as unknown.
 */
export function createNvidiaProcessSource(
  options: NvidiaProcessSourceOptions,
): () => Promise<GpuProcess[] | null> {
  const run = options.run ?? defaultCommandRunner;
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? 10_000;
  const graphicsMin = options.graphicsMinSmPct ?? 5;
  const own =
    options.ownPids ??
    (process.platform === 'linux'
      ? () => descendantPids(process.pid)
      : () => Promise.resolve(new Set([process.pid])));
  let pmonSupported = true;
  let cached: { at: number; value: GpuProcess[] | null } | undefined;

  async function read(): Promise<GpuProcess[] | null> {
    const gpus = (await options.gpus()).filter((g) => g.vendor === 'nvidia');
    if (gpus.length === 0) return null;
    const byBus = new Map(gpus.filter((g) => g.busId).map((g) => [g.busId as string, g.id]));
    const byUuid = new Map(gpus.filter((g) => g.uuid).map((g) => [g.uuid as string, g.id]));
    const idOf = (app: NvidiaGpuApp): string | null =>
      (app.busId ? byBus.get(app.busId) : undefined) ??
      (app.uuid ? byUuid.get(app.uuid) : undefined) ??
      null;
    const { apps } = parseComputeApps(await run(options.nvidiaSmi, COMPUTE_APPS_ARGS));
    let pmon: PmonRow[] = [];
    if (pmonSupported) {
      try {
        pmon = parsePmon(await run(options.nvidiaSmi, PMON_ARGS));
      } catch (error) {
        pmonSupported = false;
        options.onPmonUnsupported?.(error instanceof Error ? error.message : String(error));
      }
    }
    const mine = await own();
    const out: GpuProcess[] = [];
    for (const app of apps) {
      if (mine.has(app.pid)) continue;
      out.push({ gpuId: idOf(app), pid: app.pid, name: app.name, kind: 'compute' });
    }
    for (const row of pmon) {
      if (mine.has(row.pid) || !row.type.includes('G')) continue;
      if (out.some((p) => p.pid === row.pid)) continue;
      if ((row.smPct ?? 0) < graphicsMin) continue;
      // pmon numbers GPUs by nvidia-smi's index, which follows the PCI bus order of NVIDIA GPUs.
      const ordered = [...gpus].sort((a, b) => (a.busId ?? '').localeCompare(b.busId ?? ''));
      out.push({
        gpuId: ordered[row.gpuIndex]?.id ?? null,
        pid: row.pid,
        name: row.name,
        kind: 'graphics',
      });
    }
    return out;
  }

  return async () => {
    if (cached && now() - cached.at < minInterval) return cached.value;
    const value = await read();
    cached = { at: now(), value };
    return value;
  };
}

/**
 * Whether a program can be run: a path is checked as it is, a bare name on each PATH folder (with
 * `.exe` on Windows). The work policy asks nvidia-smi about GPU processes only when it exists.
 */
export async function programExists(
  program: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<boolean> {
  const runnable = (path: string) =>
    access(path, platform === 'win32' ? constants.F_OK : constants.X_OK).then(
      () => true,
      () => false,
    );
  if (isAbsolute(program) || program.includes('/') || program.includes('\\'))
    return runnable(program);
  const names =
    platform === 'win32' && !/\.exe$/i.test(program) ? [program, `${program}.exe`] : [program];
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean)) {
    for (const name of names) if (await runnable(join(dir, name))) return true;
  }
  return false;
}
