/**
 * Files of the market tests: a provider's and a lab's data folders on one devnet, a signed
 * benchmark report where `roost serve` finds it, the files of a job for a requester to post, and a
 * lab posting them with the real `roost market post-job`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signReport } from '../../agent/bench/sign.ts';
import { writeLocalNetwork } from '../../agent/market/local-network.ts';
import { devnetDeployment, type Devnet } from '../../contracts/devnet.ts';
import { sampleReport, testSigner } from '../../agent/bench/testing/fixtures.ts';
import { encodeNpy } from '../../worker/npy.ts';
import { matmulModel, randomFloats, slowModel } from '../fixtures/jobs/models.ts';
import { runRoost } from './roost-cli.ts';

/**
 * `<root>/provider` and `<root>/lab`, each knowing the devnet as its local network; the provider
 * with a signed benchmark report (composite 114.9, score 115), so it registers when served.
 */
export async function providerAndLab(
  root: string,
  devnet: Devnet,
): Promise<{ providerDir: string; labDir: string }> {
  const providerDir = join(root, 'provider');
  const labDir = join(root, 'lab');
  for (const d of [providerDir, labDir]) {
    // Owner-only, as Roost makes its data folder (a folder others can open gets a warning).
    await mkdir(d, { recursive: true, mode: 0o700 });
    await writeLocalNetwork(d, devnetDeployment(devnet));
  }
  await writeSignedReport(providerDir);
  return { providerDir, labDir };
}

/**
 * A signed benchmark report where `roost serve` looks for its latest one, so a provider run as a
 * child process registers without running the benchmark. Returns the hash it registers with.
 */
export async function writeSignedReport(dataDir: string): Promise<string> {
  const report = sampleReport();
  const signed = await signReport(report, testSigner());
  const dir = join(dataDir, 'bench', 'reports');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${report.id}.json`), `${JSON.stringify(signed, null, 2)}\n`);
  return `0x${signed.signature.digest.replace(/^sha256:/, '')}`;
}

export interface JobFiles {
  model: string;
  inputs: Record<string, string>;
}

/**
 * Files of a job for the requester to post. `quick`: a tiny MatMul that runs in milliseconds;
 * `slow`: MatMuls on [n, n] that keep the worker busy for a few seconds.
 */
export async function writeJobFiles(dir: string, kind: 'quick' | 'slow'): Promise<JobFiles> {
  await mkdir(dir, { recursive: true });
  if (kind === 'quick') {
    await writeFile(join(dir, 'm.onnx'), matmulModel(4, 8, 3));
    await writeFile(join(dir, 'a.npy'), encodeNpy('float32', [4, 8], randomFloats(32, 7)));
    await writeFile(join(dir, 'b.npy'), encodeNpy('float32', [8, 3], randomFloats(24, 8)));
    return { model: join(dir, 'm.onnx'), inputs: { a: join(dir, 'a.npy'), b: join(dir, 'b.npy') } };
  }
  const n = 768;
  await writeFile(join(dir, 'slow.onnx'), slowModel(n, 48));
  await writeFile(join(dir, 'x.npy'), encodeNpy('float32', [n, n], randomFloats(n * n, 3)));
  return { model: join(dir, 'slow.onnx'), inputs: { x: join(dir, 'x.npy') } };
}

/** A lab posts a job with the real CLI, paying `price` from the devnet's account 3, and waits. */
export function labPostsJob(labDataDir: string, files: JobFiles, price: string) {
  return runRoost([
    'market',
    'post-job',
    '--data-dir',
    labDataDir,
    '--model',
    files.model,
    ...Object.entries(files.inputs).flatMap(([name, file]) => ['--input', `${name}=${file}`]),
    '--price',
    price,
    '--account',
    '3',
    '--json',
  ]);
}
