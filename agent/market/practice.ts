/**
 * Practice mode: on the local devnet, a requester inside the agent posts a small sample job now
 * and then (a matrix-multiply chain generated in code, paid twice this provider's ask in test
 * dollars), waits for the provider to run it, checks the result and accepts it, so a new
 * user watches Roost claim, run, submit and get paid without anyone else on the chain. It pays
 * from one of the devnet's unlocked test accounts; on any other network it does nothing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonRpcProvider, formatUnits } from 'ethers';
import { connectJobMarket } from '../../contracts/bindings/job-market.ts';
import { generateWorkload } from '../bench/models.ts';
import { encodeNpy } from '../../worker/npy.ts';
import type { NetworkSource } from '../wallet/network.ts';
import { askFor } from './decide.ts';
import { createRequester, type Requester } from './requester.ts';

export interface PracticeOptions {
  dataDir: string;
  network: NetworkSource;
  /** Whether practice is on (Settings → Market). */
  enabled: () => boolean;
  /** The provider's address (the wallet), or null without one. */
  provider: () => Promise<string | null>;
  log: { info(m: string): void; warn(m: string): void };
  /** Between sample jobs (default 60 s). */
  intervalMs?: number;
  /** Which unlocked devnet account pays (default 5). */
  account?: number;
  onPosted?: (count: number) => void;
}

export interface Practice {
  start(): void;
  /** Sample jobs posted since start. */
  posted(): number;
  /**
   * The devnet account that posts the sample jobs, once one was posted (null before, and on any
   * other network): its jobs pay what practice chose, not what the market pays.
   */
  requester(): string | null;
  /** Post one sample job now (when practice applies); resolves with its id. */
  postOne(): Promise<bigint | null>;
  close(): Promise<void>;
}

const SAMPLE = { kind: 'gemm', dtype: 'float32', n: 128, chain: 4 } as const;

/** A sample job's files in `dir`: a matrix-multiply chain generated in code, and its inputs. */
export async function writeSampleJob(
  dir: string,
  seed: number,
  params: { n: number; chain: number } = SAMPLE,
): Promise<{ model: string; inputs: Record<string, string> }> {
  await mkdir(dir, { recursive: true });
  const w = generateWorkload(seed, 'practice-gemm', { ...SAMPLE, ...params });
  const model = join(dir, 'model.onnx');
  await writeFile(model, w.model);
  const inputs: Record<string, string> = {};
  for (const input of w.inputs) {
    const file = join(dir, `${input.name.replace(/[^A-Za-z0-9._-]/g, '_')}.npy`);
    await writeFile(file, encodeNpy('float32', input.dims, input.values));
    inputs[input.name] = file;
  }
  return { model, inputs };
}

export function createPractice(options: PracticeOptions): Practice {
  let requester: { key: string; requester: Requester; from: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let count = 0;
  let pending = 0;
  let closed = false;

  async function requesterFor(): Promise<Requester | null> {
    const net = await options.network();
    if (net.name !== 'local' || !(net.provider instanceof JsonRpcProvider)) return null;
    const key = `${net.chainId}:${net.marketAddress}:${net.rpcUrl ?? ''}`;
    if (requester?.key === key) return requester.requester;
    await requester?.requester.close();
    const accounts = (await net.provider.send('eth_accounts', [])) as string[];
    const from = accounts[options.account ?? 5];
    if (from === undefined)
      throw new Error('the devnet has no unlocked account to pay practice jobs');
    const made = createRequester({
      signer: await net.provider.getSigner(from),
      marketAddress: net.marketAddress,
      tokenAddress: net.tokenAddress,
      workDir: join(options.dataDir, 'market', 'practice'),
      pollMs: 500,
    });
    requester = { key, requester: made, from };
    return made;
  }

  async function postOne(): Promise<bigint | null> {
    if (!options.enabled() || closed) return null;
    const provider = await options.provider();
    if (provider === null) return null;
    const r = await requesterFor();
    if (!r) return null;
    const net = await options.network();
    const p = await connectJobMarket(net.marketAddress, net.provider).getProvider(provider);
    const leaseSeconds = 300;
    // Twice the provider's ask, so the sample is always worth taking, and what it pays follows
    // the owner's price: a fixed test dollar made a 5-minute sample pay hundreds of times what the
    // Earnings card predicted at a low price. At least a cent, for a price of 0.
    const reward = [2n * askFor(p.pricePerUnitHour, p.score, leaseSeconds), 10_000n].reduce(
      (a, b) => (a > b ? a : b),
    );
    const files = await writeSampleJob(
      join(options.dataDir, 'market', 'practice', 'samples', String(count + 1)),
      count + 1,
    );
    const posted = await r.post({
      ...files,
      reward,
      leaseSeconds,
      deadlineSeconds: 3600,
      name: `practice job ${count + 1}`,
    });
    count += 1;
    pending += 1;
    options.onPosted?.(count);
    options.log.info(
      `practice: posted sample job ${posted.jobId} paying ${formatUnits(reward, 6)} test dollars`,
    );
    void r
      .await(posted.jobId, { timeoutMs: 30 * 60_000 })
      .then((outcomes) => {
        for (const o of outcomes)
          options.log.info(
            `practice: job ${posted.jobId} ${o.verdict}${o.reason ? ` (${o.reason})` : ''}`,
          );
      })
      .catch((error: unknown) =>
        options.log.warn(`practice: job ${posted.jobId}: ${(error as Error).message}`),
      )
      .finally(() => {
        pending -= 1;
      });
    return posted.jobId;
  }

  return {
    start() {
      if (timer || closed) return;
      let first = true;
      const loop = (): void => {
        // The first sample comes soon after practice is on; the next ones at the interval.
        const wait = first
          ? Math.min(10_000, options.intervalMs ?? 60_000)
          : (options.intervalMs ?? 60_000);
        first = false;
        timer = setTimeout(() => {
          // One sample job at a time: the next waits until the last is settled.
          const step = pending > 0 ? Promise.resolve(null) : postOne();
          void step
            .catch((error: unknown) =>
              options.log.warn(
                `practice: could not post a sample job: ${(error as Error).message}`,
              ),
            )
            .finally(() => {
              if (!closed) loop();
            });
        }, wait);
      };
      loop();
    },
    posted: () => count,
    requester: () => requester?.from ?? null,
    postOne,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await requester?.requester.close();
    },
  };
}
