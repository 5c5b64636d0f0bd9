/**
 * The market's wire formats (zod only, shared by the provider, the requester and the API):
 *
 * - `roost.market-job/1`: the document a job's `specURI` points at. Its exact bytes hash (sha256)
 *   to the job's on-chain `specHash`. It wraps a roost.job/1 spec whose artifacts are http(s)
 *   URIs, says where the provider uploads the outputs, and what the job needs of a machine.
 * - the upload convention: the provider PUTs each output file and its signed `result.json` to
 *   `<upload.url>/<slot>/<provider address, lower case>/<file>`; the on-chain `resultURI` is the
 *   URL of that `result.json`, and the on-chain `resultHash` is `0x` + sha256 of its bytes.
 */
import { z } from 'zod';
import { jobSpecSchema } from '../jobs/schema.ts';

export const MARKET_JOB_FORMAT = 'roost.market-job/1';
/** Largest market job document a provider fetches. */
export const MAX_MARKET_JOB_BYTES = 1024 * 1024;

export const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex value');
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

export const marketJobSchema = z
  .strictObject({
    format: z.literal(MARKET_JOB_FORMAT),
    job: jobSpecSchema.refine(
      (spec) => !JSON.stringify(spec).includes('"file:'),
      'a market job must not name file: URIs; serve its artifacts over http(s)',
    ),
    upload: z.strictObject({
      /** Base URL the outputs go to (http on 127.0.0.1 for tests and labs, https elsewhere). */
      url: z.url({ protocol: /^https?$/ }).max(2000),
    }),
    requirements: z
      .strictObject({
        /** Memory the job needs on the GPU, in MiB; 0 or absent: runs on CPU too. */
        minVramMiB: z.int().min(0).max(10_000_000).optional(),
      })
      .optional(),
  })
  .describe('A job on the Roost market, format roost.market-job/1');
export type MarketJob = z.infer<typeof marketJobSchema>;

/** Where a provider uploads one file of one lease's result. */
export function resultFileUrl(base: string, slot: number, provider: string, file: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(file) || file.startsWith('.'))
    throw new Error(`not an upload file name: ${file}`);
  return `${base.replace(/\/+$/, '')}/${slot}/${provider.toLowerCase()}/${file}`;
}
