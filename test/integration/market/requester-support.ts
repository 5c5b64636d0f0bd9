// The provider side for the requester's tests, played by the test itself the way the agent does
// it: read the JobPosted event, fetch the document (agent/market/transfer.ts) and the artifacts
// from the requester's server by the URLs in it, run the model, sign a receipt over its canonical
// JSON, upload by the upload convention and submit the result hash on chain.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Wallet, id, parseEther, toBeHex, zeroPadValue } from 'ethers';
import type { JsonRpcProvider } from 'ethers';
import { TEST_DOLLAR } from '../../../contracts/devnet.ts';
import type { Devnet } from '../../../contracts/devnet.ts';
import {
  connectJobMarket,
  jobMarketInterface,
  parseJobMarketLog,
} from '../../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../../contracts/bindings/roost-test-token.ts';
import { resultFileUrl } from '../../../agent/market/schema.ts';
import { fetchMarketJob, uploadResult } from '../../../agent/market/transfer.ts';
import { RESULT_FORMAT } from '../../../agent/jobs/schema.ts';
import type { Receipt } from '../../../agent/jobs/schema.ts';
import { canonicalJson } from '../../../agent/jobs/util.ts';
import { decodeNpy, encodeNpy } from '../../../worker/npy.ts';
import type { NpyArray } from '../../../worker/npy.ts';
import { matmulModel, randomFloats } from '../../fixtures/jobs/models.ts';
import { runInProcess } from '../jobs/support.ts';

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** A registered provider with ETH for gas, 100 test dollars and a stake of 50. */
export async function newProvider(devnet: Devnet, rpc: JsonRpcProvider): Promise<Wallet> {
  const wallet = Wallet.createRandom().connect(rpc) as unknown as Wallet;
  const funder = await rpc.getSigner(devnet.accounts[5]);
  await (await funder.sendTransaction({ to: wallet.address, value: parseEther('10') })).wait();
  const token = connectRoostTestToken(devnet.tokenAddress, funder);
  await (await token.transfer(wallet.address, 100n * TEST_DOLLAR)).wait();
  const own = connectRoostTestToken(devnet.tokenAddress, wallet);
  await (await own.approve(devnet.marketAddress, 50n * TEST_DOLLAR)).wait();
  const market = connectJobMarket(devnet.marketAddress, wallet);
  await (await market.registerProvider(id('benchmark report'), 100, 1, 50n * TEST_DOLLAR)).wait();
  return wallet;
}

/**
 * The job both requester tests post: a 4×8 by 8×3 matmul model and its two inputs (fixed seeds,
 * so every run posts the same bytes), written to `<dir>/files`.
 */
export async function writeMatmulFiles(
  dir: string,
): Promise<{ modelPath: string; aPath: string; bPath: string }> {
  const files = join(dir, 'files');
  await mkdir(files, { recursive: true });
  const modelPath = join(files, 'matmul.onnx');
  const aPath = join(files, 'a.npy');
  const bPath = join(files, 'b.npy');
  await writeFile(modelPath, matmulModel(4, 8, 3));
  await writeFile(aPath, encodeNpy('float32', [4, 8], randomFloats(32, 7)));
  await writeFile(bPath, encodeNpy('float32', [8, 3], randomFloats(24, 8)));
  return { modelPath, aPath, bPath };
}

export type Tamper = 'none' | 'values' | 'bytes' | 'signer' | 'no-upload';

/**
 * The test as a provider: claim, fetch, run, sign, upload, submit. Returns the slot.
 * `workDir` holds the provider's files.
 */
export async function provide(
  devnet: Devnet,
  rpc: JsonRpcProvider,
  workDir: string,
  wallet: Wallet,
  jobId: bigint,
  tamper: Tamper = 'none',
): Promise<number> {
  const market = connectJobMarket(devnet.marketAddress, wallet);
  const posted = (
    await rpc.getLogs({
      address: devnet.marketAddress,
      topics: [
        jobMarketInterface.getEvent('JobPosted')!.topicHash,
        zeroPadValue(toBeHex(jobId), 32),
      ],
      fromBlock: 0,
    })
  )
    .map((log) => parseJobMarketLog(log))
    .find((e) => e?.name === 'JobPosted');
  if (posted?.name !== 'JobPosted') throw new Error(`no JobPosted for job ${jobId}`);
  const document = await fetchMarketJob(posted.args.specURI, posted.args.specHash);
  const job = document.job;

  const claim = await (await market.claimJob(jobId)).wait();
  const claimed = claim?.logs
    .map((l) => parseJobMarketLog(l))
    .find((e) => e?.name === 'LeaseClaimed');
  if (claimed?.name !== 'LeaseClaimed') throw new Error('no LeaseClaimed');
  const slot = Number(claimed.args.slot);

  // Fetch what the job names, over HTTP, and check it as a provider must.
  const fetched = async (artifact: { uri: string; sha256: string }) => {
    const bytes = new Uint8Array(await (await fetch(artifact.uri)).arrayBuffer());
    expect(sha256(bytes)).toBe(artifact.sha256);
    return bytes;
  };
  const model = await fetched(job.model);
  const set = Array.isArray(job.inputs) ? job.inputs[0]! : job.inputs;
  const feeds: Record<string, NpyArray> = {};
  const inputs: Receipt['inputs'] = [];
  for (const name of Object.keys(set).sort()) {
    const decoded = decodeNpy(await fetched(set[name]!));
    if (!decoded.ok) throw new Error(decoded.error);
    feeds[name] = decoded.value;
    inputs.push({ set: 0, name, sha256: set[name]!.sha256 });
  }
  const out = await runInProcess(model, feeds);
  const c = Float32Array.from(out.c!.data as Float32Array);
  if (tamper === 'values') c[5] = (c[5] as number) + 0.25;
  const cBytes = encodeNpy('float32', [...out.c!.dims], c);

  const jobDir = join(workDir, 'provider', `${wallet.address}-${jobId}`);
  await mkdir(join(jobDir, 'out'), { recursive: true });
  await writeFile(join(jobDir, 'out', 'c.npy'), cBytes);
  // 'signer': a receipt that is sound in itself, but signed by a key that does not hold the lease.
  const key = tamper === 'signer' ? Wallet.createRandom() : wallet;
  const receipt: Receipt = {
    format: RESULT_FORMAT,
    jobId: `local-${jobId}`,
    specSha256: sha256(canonicalJson(job)),
    modelSha256: job.model.sha256,
    inputs,
    outputs: [
      {
        set: 0,
        name: 'c',
        file: 'c.npy',
        dtype: 'float32',
        shape: [...out.c!.dims],
        bytes: cBytes.length,
        sha256: sha256(cBytes),
      },
    ],
    executionProvider: 'cpu',
    fallbacks: [],
    timings: { fetchMs: 1, sessionMs: 1, runMs: 1, totalMs: 3 },
    sandbox: { scrubbedEnv: true, permissionModel: true, bwrap: false },
    roostVersion: 'test',
    onnxruntimeVersion: 'test',
    provider: key.address,
    finishedAt: new Date().toISOString(),
  };
  const signed = {
    receipt,
    signature: {
      scheme: 'eip191-canonical-json' as const,
      signer: key.address,
      value: await key.signMessage(canonicalJson(receipt)),
    },
  };
  await writeFile(join(jobDir, 'result.json'), JSON.stringify(signed, null, 2) + '\n');
  if (tamper === 'bytes') {
    // Signed for the true output, then a different file goes up.
    const other = Float32Array.from(c);
    other[0] = (other[0] as number) + 1;
    await writeFile(join(jobDir, 'out', 'c.npy'), encodeNpy('float32', [...out.c!.dims], other));
  }
  const expectedUri = resultFileUrl(document.upload.url, slot, wallet.address, 'result.json');
  const uploaded =
    tamper === 'no-upload'
      ? {
          resultUri: expectedUri,
          resultHash: `0x${sha256(await readFile(join(jobDir, 'result.json')))}`,
        }
      : await uploadResult({ document, slot, provider: wallet.address, jobDir });
  expect(uploaded.resultUri).toBe(expectedUri);
  await (await market.submitResult(jobId, slot, uploaded.resultHash, uploaded.resultUri)).wait();
  return slot;
}
