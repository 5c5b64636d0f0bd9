/**
 * Puts a suite's generated models and inputs on disk for the benchmark child, after checking
 * that the bytes are exactly the ones the suite definition names (a build whose generator
 * drifted must not publish numbers under the suite's name). Files live in the data folder's
 * cache, one folder per suite hash. When the cached files already hash to the definition's
 * values nothing is generated (the decode model alone is 128 MiB); otherwise they are generated,
 * checked and rewritten.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.ts';
import { z } from 'zod';
import { benchTensorFileSchema } from '../../worker/bench-protocol.ts';
import type { BenchWorkloadPlan } from '../../worker/bench-protocol.ts';
import { generateWorkload, workloadHashes } from './models.ts';
import type { GeneratedWorkload } from './models.ts';
import type { Protocol, SuiteDefinition, WorkloadDefinition } from './schema.ts';

export interface PreparedWorkload {
  definition: WorkloadDefinition;
  /** Present when the files had to be generated (the reference needs the values). */
  generated?: GeneratedWorkload;
  plan: BenchWorkloadPlan;
}

const manifestSchema = z.object({
  modelSha256: z.string(),
  inputsSha256: z.string(),
  inputs: z.array(benchTensorFileSchema),
  outputs: z.array(z.string()),
});

export class SuiteIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SuiteIntegrityError';
  }
}

/** Where a suite's files go: `<cacheDir>/<suite-id>-<first 16 hex of its hash>`. */
export function suiteCacheDir(cacheDir: string, suite: SuiteDefinition, hash: string): string {
  return join(cacheDir, `${suite.id.replace(/[^a-z0-9-]/g, '-')}-${hash.slice(7, 23)}`);
}

/** A suite folder's name as suiteCacheDir makes it. */
const SUITE_FOLDER = /^[a-z0-9-]+-[0-9a-f]{16}$/;

/**
 * Removes the generated files of every suite but `keep` from `cacheRoot` (a suite's models take
 * about 250 MB; those of a suite Roost no longer runs would stay forever). Only folders named
 * as suiteCacheDir names them are touched. Returns what went and how many bytes it held.
 */
export async function pruneOtherSuites(
  cacheRoot: string,
  keep: string,
): Promise<{ removed: string[]; bytes: number }> {
  let entries;
  try {
    entries = await readdir(cacheRoot, { withFileTypes: true });
  } catch {
    return { removed: [], bytes: 0 };
  }
  const removed: string[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === keep || !SUITE_FOLDER.test(entry.name)) continue;
    const folder = join(cacheRoot, entry.name);
    for (const file of await readdir(folder, { recursive: true, withFileTypes: true }))
      if (file.isFile())
        bytes += (await stat(join(file.parentPath, file.name)).catch(() => undefined))?.size ?? 0;
    await rm(folder, { recursive: true, force: true });
    removed.push(entry.name);
  }
  return { removed, bytes };
}

async function fileSha256(file: string): Promise<string | undefined> {
  try {
    await stat(file);
  } catch {
    return undefined;
  }
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', () => resolve(undefined))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function writeIfChanged(file: string, bytes: Uint8Array, sha256: string): Promise<void> {
  if ((await fileSha256(file)) === sha256) return;
  await writeFileAtomic(file, bytes, 0o644);
}

async function filesSha256(files: string[]): Promise<string | undefined> {
  const hash = createHash('sha256');
  for (const file of files) {
    try {
      hash.update(await readFile(file));
    } catch {
      return undefined;
    }
  }
  return hash.digest('hex');
}

/** The cached files of a workload, when they are exactly the suite's bytes. */
async function cachedFiles(
  definition: WorkloadDefinition,
  dir: string,
): Promise<z.infer<typeof manifestSchema> | undefined> {
  let manifest: z.infer<typeof manifestSchema>;
  try {
    const parsed = manifestSchema.safeParse(
      JSON.parse(await readFile(join(dir, `${definition.id}.files.json`), 'utf8')),
    );
    if (!parsed.success) return undefined;
    manifest = parsed.data;
  } catch {
    return undefined;
  }
  if (
    manifest.modelSha256 !== definition.modelSha256 ||
    manifest.inputsSha256 !== definition.inputsSha256 ||
    (await fileSha256(join(dir, `${definition.id}.onnx`))) !== definition.modelSha256 ||
    (await filesSha256(manifest.inputs.map((i) => i.file))) !== definition.inputsSha256
  ) {
    return undefined;
  }
  return manifest;
}

/** Check (or generate, check and write) one workload; the plan says where its files are. */
export async function prepareWorkload(
  suite: SuiteDefinition,
  definition: WorkloadDefinition,
  dir: string,
  protocol: Protocol,
): Promise<PreparedWorkload> {
  const modelFile = join(dir, `${definition.id}.onnx`);
  const plan = (inputs: BenchWorkloadPlan['inputs'], outputs: string[]): BenchWorkloadPlan => ({
    id: definition.id,
    modelFile,
    inputs,
    outputs,
    warmup: protocol.warmup,
    measure: protocol.measure,
  });
  const cached = await cachedFiles(definition, dir);
  if (cached) return { definition, plan: plan(cached.inputs, cached.outputs) };

  const generated = generateWorkload(suite.seed, definition.id, definition.params);
  const hashes = workloadHashes(generated);
  if (hashes.model !== definition.modelSha256 || hashes.inputs !== definition.inputsSha256) {
    throw new SuiteIntegrityError(
      `This build of Roost generates a different ${definition.id} model or inputs than ${suite.id} defines (model ${hashes.model.slice(0, 12)}, expected ${definition.modelSha256.slice(0, 12)}): its numbers would not be comparable. Reinstall Roost.`,
    );
  }
  await writeIfChanged(modelFile, generated.model, hashes.model);
  const inputs = [];
  for (const input of generated.inputs) {
    const file = join(dir, `${definition.id}.${input.name}.bin`);
    const sha = createHash('sha256').update(input.bytes).digest('hex');
    await writeIfChanged(file, input.bytes, sha);
    inputs.push({ name: input.name, dtype: input.dtype, dims: input.dims, file });
  }
  const manifest = {
    modelSha256: hashes.model,
    inputsSha256: hashes.inputs,
    inputs,
    outputs: generated.outputs,
  };
  await writeFileAtomic(join(dir, `${definition.id}.files.json`), JSON.stringify(manifest), 0o644);
  return { definition, generated, plan: plan(inputs, generated.outputs) };
}
