/**
 * Shared pieces of the job integration tests: a real job service (real sandboxed workers) in a
 * temp data folder, files for specs, and onnxruntime run in this process as the reference.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as OrtModule from 'onnxruntime-node';
import { Wallet } from 'ethers';
import { createJobService } from '../../../agent/jobs/service.ts';
import type { JobService, JobServiceOptions } from '../../../agent/jobs/service.ts';
import type { Artifact } from '../../../agent/jobs/schema.ts';
import type { JobLog } from '../../../agent/jobs/util.ts';
import type { ProviderSigner } from '../../../agent/wallet/signer.ts';
import { decodeNpy } from '../../../worker/npy.ts';
import type { NpyArray } from '../../../worker/npy.ts';
import { tempDir } from '../../support/temp-dir.ts';

type Ort = typeof OrtModule;

export const testWallet = new Wallet('0x' + '5a'.repeat(32));
export const testSigner: ProviderSigner = {
  address: testWallet.address,
  signMessage: (m) => testWallet.signMessage(m),
};

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface JobsLab {
  root: string;
  dataDir: string;
  /** Writes a file and returns it as a `file:` artifact (fileURLToPath(uri) is its path). */
  file(name: string, bytes: Uint8Array): Promise<Artifact>;
  service(extra?: Partial<JobServiceOptions>): Promise<JobService>;
  cleanup(): Promise<void>;
}

let counter = 0;

export async function jobsLab(): Promise<JobsLab> {
  const dir = await tempDir('roost-jobs-it-');
  const services: JobService[] = [];
  const dataDir = join(dir.path, 'data');
  return {
    root: dir.path,
    dataDir,
    async file(name, bytes) {
      await mkdir(join(dir.path, 'files'), { recursive: true });
      const path = join(dir.path, 'files', `${counter++}-${name}`);
      await writeFile(path, bytes);
      return { uri: pathToFileURL(path).href, sha256: sha256(bytes), bytes: bytes.length };
    },
    async service(extra = {}) {
      const service = await createJobService({
        dataDir,
        signer: testSigner,
        retryDelayMs: () => 50,
        ...extra,
      });
      services.push(service);
      return service;
    },
    async cleanup() {
      for (const s of services) await s.close();
      await dir.remove();
    },
  };
}

/** A job log that keeps every line, for tests that look for one (which path a batch took). */
export function recordingJobLog(): { log: JobLog; logged: string[] } {
  const logged: string[] = [];
  const log: JobLog = {
    debug: (m) => void logged.push(m),
    info: (m) => void logged.push(m),
    warn: (m) => void logged.push(m),
    error: (m) => void logged.push(m),
    child: () => log,
  };
  return { log, logged };
}

export async function loadOrt(): Promise<Ort> {
  const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  return mod.default ?? mod;
}

/** Runs a model in this process, the reference the worker's outputs are compared with. */
export async function runInProcess(
  model: Uint8Array,
  feeds: Record<string, NpyArray>,
  ep: 'cpu' | 'webgpu' = 'cpu',
): Promise<
  Record<string, { dims: readonly number[]; data: ArrayLike<number | bigint | boolean> }>
> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(model, { executionProviders: [ep] });
  try {
    const tensors: Record<string, OrtModule.Tensor> = {};
    for (const [name, a] of Object.entries(feeds)) {
      tensors[name] = new ort.Tensor(a.dtype as never, a.data as never, a.shape);
    }
    const out = await session.run(tensors);
    const result: Record<
      string,
      { dims: readonly number[]; data: ArrayLike<number | bigint | boolean> }
    > = {};
    for (const [name, t] of Object.entries(out))
      result[name] = { dims: t.dims, data: t.data as ArrayLike<number> };
    return result;
  } finally {
    await session.release();
  }
}

export function readNpyFile(path: string): NpyArray {
  const result = decodeNpy(new Uint8Array(readFileSync(path)));
  if (!result.ok) throw new Error(`${path}: ${result.error}`);
  return result.value;
}

/** Largest absolute difference, scaled by the reference's magnitude. */
export function maxRelativeError(
  got: ArrayLike<number | bigint | boolean>,
  want: ArrayLike<number | bigint | boolean>,
): number {
  if (got.length !== want.length) return Infinity;
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(Number(want[i])));
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    worst = Math.max(worst, Math.abs(Number(got[i]) - Number(want[i])));
  return worst / scale;
}

/** Processes whose command line mentions `needle` (a job folder): what a test leaves behind. */
export function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) found.push({ pid: Number(entry), cmd });
    } catch {
      // Gone already.
    }
  }
  return found;
}

/** Waits until `predicate` holds (polling), or fails after `timeoutMs`. */
export async function until(
  predicate: () => boolean,
  timeoutMs = 30_000,
  what = 'a condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
