/**
 * Sources for game mode: the names of running processes (for the watch list) and the processes
 * holding each GPU (for "any other program on the GPU"). Linux reads /proc (no process spawned);
 * Windows and macOS ask `tasklist` / `ps`. GPU processes come from nvidia-smi's compute-apps CSV
 * and `nvidia-smi pmon`, which also lists graphics (G) processes, i.e. games. Parsers are pure;
 * the command runner and the /proc root are injected.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpuProcess } from './policy.ts';

/** Runs a program and resolves with its stdout; rejects on failure or timeout. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<string>;

export const defaultCommandRunner: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: 5000, maxBuffer: 8 * 1024 * 1024, windowsHide: true },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });

/** Process names from /proc: each process's `comm` and the file name of its `cmdline`'s argv[0]. */
export async function listProcessNamesFromProc(procRoot = '/proc'): Promise<string[]> {
  const names = new Set<string>();
  const entries = await readdir(procRoot);
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        // A process may exit between readdir and read: skip it.
        const comm = await readFile(join(procRoot, pid, 'comm'), 'utf8').catch(() => '');
        if (comm.trim()) names.add(comm.trim());
        // comm is cut at 15 characters; argv[0] has the full name (`Cyberpunk2077.exe` under Proton).
        const cmdline = await readFile(join(procRoot, pid, 'cmdline'), 'utf8').catch(() => '');
        const argv0 = cmdline.split('\0')[0]?.trim();
        const base = argv0?.split(/[/\\]/).pop();
        if (base) names.add(base);
      }),
  );
  return [...names];
}

/** `tasklist /fo csv /nh`: `"Image Name","PID","Session Name","Session#","Mem Usage"` rows. */
export function parseTasklistCsv(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^"([^"]+)","\d+"/.exec(line.trim());
    if (match?.[1]) names.add(match[1]);
  }
  return [...names];
}

/** `ps -axo comm=`: one command path per line. */
export function parsePsComm(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const base = line.trim().split('/').pop();
    if (base) names.add(base);
  }
  return [...names];
}

export interface ProcessListerOptions {
  platform?: NodeJS.Platform;
  procRoot?: string;
  run?: CommandRunner;
}

/** A `runningProcesses` source for the work policy on this OS. */
export function createProcessLister(options: ProcessListerOptions = {}): () => Promise<string[]> {
  const platform = options.platform ?? process.platform;
  const run = options.run ?? defaultCommandRunner;
  if (platform === 'linux') return () => listProcessNamesFromProc(options.procRoot);
  if (platform === 'win32') {
    return async () => parseTasklistCsv(await run('tasklist', ['/fo', 'csv', '/nh']));
  }
  return async () => parsePsComm(await run('ps', ['-axo', 'comm=']));
}

/** `0000:01:00.0` from nvidia-smi's `00000000:01:00.0`, lower case. */
export function normalizeBusId(busId: string): string {
  const m = /^(?:[0-9a-f]{4})?([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(
    busId.trim(),
  );
  return m ? `${m[1]}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase() : busId.trim().toLowerCase();
}

/** Arguments for the compute-apps query `parseNvidiaComputeApps` reads. */
export const NVIDIA_COMPUTE_APPS_ARGS = [
  '--query-compute-apps=gpu_bus_id,pid,process_name',
  '--format=csv,noheader',
] as const;

/**
 * `nvidia-smi --query-compute-apps=gpu_bus_id,pid,process_name --format=csv,noheader` lines such as
 * `00000000:01:00.0, 4242, /usr/bin/python3`. `gpuIdForBus` maps a normalized bus id to a GPU id
 * (the inventory's `pci-<busId>` ids by default). Lines that don't parse are skipped.
 */
export function parseNvidiaComputeApps(
  text: string,
  gpuIdForBus: (busId: string) => string | null = (busId) => `pci-${busId}`,
): GpuProcess[] {
  const out: GpuProcess[] = [];
  for (const line of text.split(/\r?\n/)) {
    // The name is last and may itself hold commas.
    const m = /^\s*([^,]+),\s*(\d+)\s*,\s*(.+?)\s*$/.exec(line);
    if (!m?.[1] || !m[3]) continue;
    const pid = Number(m[2]);
    if (pid <= 0) continue;
    out.push({ gpuId: gpuIdForBus(normalizeBusId(m[1])), pid, name: m[3], kind: 'compute' });
  }
  return out;
}

/** Arguments for one sample of `nvidia-smi pmon`, which `parseNvidiaPmon` reads. */
export const NVIDIA_PMON_ARGS = ['pmon', '-c', '1', '-s', 'u'] as const;

/**
 * `nvidia-smi pmon -c 1 -s u`: `gpu pid type sm mem enc dec [jpg ofa] command` per line, `#`
 * headers, `-` for no process. `type` is C (compute), G (graphics) or C+G. `gpuIdForIndex` maps
 * nvidia-smi's GPU index to a GPU id; null counts the process for every GPU.
 */
export function parseNvidiaPmon(
  text: string,
  gpuIdForIndex: (index: number) => string | null,
): GpuProcess[] {
  const out: GpuProcess[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trimStart().startsWith('#')) continue;
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    const index = Number(cols[0]);
    const pid = Number(cols[1]);
    const type = cols[2] ?? '';
    if (!Number.isInteger(index) || !Number.isInteger(pid) || pid <= 0) continue;
    const name = cols[cols.length - 1] ?? '';
    out.push({
      gpuId: gpuIdForIndex(index),
      pid,
      name,
      kind: type.includes('G') ? 'graphics' : type.includes('C') ? 'compute' : 'unknown',
    });
  }
  return out;
}
