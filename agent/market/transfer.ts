/**
 * The provider's two transfers with a requester: fetching the `roost.market-job/1` document a
 * job's specURI points at (size-capped, hash-checked against the on-chain specHash, zod-parsed),
 * and uploading a finished lease's outputs and signed `result.json` to the document's upload URL.
 * The on-chain result hash is `0x` + sha256 of the exact `result.json` bytes uploaded.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { signedReceiptSchema, type SignedReceipt } from '../jobs/schema.ts';
import {
  MAX_MARKET_JOB_BYTES,
  marketJobSchema,
  resultFileUrl,
  uploadNameFor,
  type MarketJob,
} from './schema.ts';

export type FetchLike = typeof fetch;

export class TransferError extends Error {
  /** The requester's side failed (down, slow): worth another try. */
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

async function readCapped(response: Response, cap: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > cap)
    throw new TransferError(`${what} is ${declared} bytes, more than ${cap}`, false);
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body === null) return Buffer.alloc(0);
  for await (const chunk of response.body) {
    total += (chunk as Uint8Array).byteLength;
    if (total > cap) throw new TransferError(`${what} is more than ${cap} bytes`, false);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Fetches and checks a market job document. */
export async function fetchMarketJob(
  uri: string,
  specHash: string,
  options: { fetch?: FetchLike; timeoutMs?: number } = {},
): Promise<MarketJob> {
  if (!/^https?:\/\//i.test(uri))
    throw new TransferError(`the job's spec URI ${uri} is not http(s)`, false);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(uri, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      redirect: 'error',
    });
  } catch (error) {
    throw new TransferError(
      `the requester's server did not answer for ${uri}: ${(error as Error).message}`,
      true,
    );
  }
  if (!response.ok)
    throw new TransferError(
      `the requester's server answered ${response.status} for ${uri}`,
      response.status >= 500,
    );
  const bytes = await readCapped(response, MAX_MARKET_JOB_BYTES, 'the job document');
  const actual = `0x${sha256Hex(bytes)}`;
  if (actual.toLowerCase() !== specHash.toLowerCase())
    throw new TransferError(
      `the job document at ${uri} does not match the hash posted on chain (its sha256 ${actual}, the spec hash ${specHash})`,
      false,
    );
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new TransferError(`the job document at ${uri} is not JSON`, false);
  }
  const parsed = marketJobSchema.safeParse(json);
  if (!parsed.success)
    throw new TransferError(
      `the job document at ${uri} is not a roost.market-job/1: ${z.prettifyError(parsed.error).split('\n')[0] ?? ''}`,
      false,
    );
  return parsed.data;
}

export interface UploadedResult {
  resultHash: string;
  resultUri: string;
  receipt: SignedReceipt;
}

/** PUTs every output file, then result.json, for one lease. */
export async function uploadResult(options: {
  document: MarketJob;
  slot: number;
  provider: string;
  /** The local job's folder: out/ and result.json. */
  jobDir: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}): Promise<UploadedResult> {
  const resultBytes = await readFile(join(options.jobDir, 'result.json'));
  const receipt = signedReceiptSchema.parse(JSON.parse(resultBytes.toString('utf8')));
  const base = options.document.upload.url;
  const put = async (file: string, body: Buffer): Promise<string> => {
    const url = resultFileUrl(base, options.slot, options.provider, file);
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(url, {
        method: 'PUT',
        body,
        headers: {
          'content-type': 'application/octet-stream',
          'x-roost-sha256': sha256Hex(body),
        },
        signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
        redirect: 'error',
      });
    } catch (error) {
      throw new TransferError(
        `could not upload ${file} to the requester (${url}): ${(error as Error).message}`,
        true,
      );
    }
    await response.body?.cancel();
    if (!response.ok)
      throw new TransferError(
        `the requester refused the upload of ${file} (${response.status} at ${url})`,
        response.status >= 500 || response.status === 429,
      );
    return url;
  };
  for (const output of receipt.receipt.outputs) {
    await put(uploadNameFor(output.file), await readFile(join(options.jobDir, 'out', output.file)));
  }
  const resultUri = await put('result.json', resultBytes);
  return { resultHash: `0x${sha256Hex(resultBytes)}`, resultUri, receipt };
}
