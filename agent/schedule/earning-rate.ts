/**
 * What an hour of work is predicted to earn: the provider's price per composite-unit-hour × the
 * market score of its latest benchmark, less the market's protocol fee. The benchmark lookup
 * (files on disk) and the fee (a chain read) are cached for a while; the price is read each time,
 * so a new price starts a new work period at once.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { dec, div, mul, sub, toPlain } from './decimal.ts';

/** Tokens per hour, exact: price × score × (1 − fee). */
export function grossPerHour(price: number | string, score: number, feeBps: number): string {
  const gross = mul(dec(price), dec(score));
  const fee = div(mul(gross, dec(feeBps)), dec(10_000), 18);
  return toPlain(sub(gross, fee));
}

export interface LatestBenchmark {
  /** The market's integer score (the composite, rounded, at least 1). */
  score: number;
  /** The GPU it measured; null for the CPU or an adapter that is not one of the GPUs. */
  gpuId: string | null;
}

const reportTargetSchema = z.object({
  report: z.object({
    target: z.object({
      adapter: z
        .object({ gpuId: z.string().min(1).optional() })
        .nullable()
        .optional(),
    }),
  }),
});

/**
 * The GPU a saved benchmark report measured (`report.target.adapter.gpuId`); null for the CPU, an
 * adapter that is no listed GPU, or a file that can't be read.
 */
export async function benchmarkedGpuOf(file: string): Promise<string | null> {
  try {
    const parsed = reportTargetSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? (parsed.data.report.target.adapter?.gpuId ?? null) : null;
  } catch {
    return null;
  }
}

export interface EarningRateOptions {
  latest: () => Promise<LatestBenchmark | null>;
  price: () => number;
  /** The market's fee in basis points; null when it can't be read now (counted as 0). */
  feeBps: () => Promise<number | null>;
  /** Epoch ms. */
  now?: () => number;
  /** How long the benchmark and the fee are reused; default 60 s. */
  ttlMs?: number;
}

export interface CurrentRate {
  score: number | null;
  gpuId: string | null;
  /** Null without a benchmark. */
  grossPerHour: string | null;
  feeBps: number | null;
}

/** The current rate (cached for `ttlMs`); `forget()` drops the cache (a benchmark just ended). */
export type EarningRate = (() => Promise<CurrentRate>) & { forget(): void };

export function createEarningRate(options: EarningRateOptions): EarningRate {
  const now = options.now ?? Date.now;
  const ttl = options.ttlMs ?? 60_000;
  let cached: { at: number; latest: LatestBenchmark | null; feeBps: number | null } | undefined;
  const rate = async (): Promise<CurrentRate> => {
    if (!cached || now() - cached.at >= ttl) {
      const [latest, feeBps] = await Promise.all([
        options.latest().catch(() => null),
        options.feeBps().catch(() => null),
      ]);
      cached = { at: now(), latest, feeBps };
    }
    const { latest, feeBps } = cached;
    return {
      score: latest?.score ?? null,
      gpuId: latest?.gpuId ?? null,
      grossPerHour: latest ? grossPerHour(options.price(), latest.score, feeBps ?? 0) : null,
      feeBps,
    };
  };
  return Object.assign(rate, {
    forget: () => {
      cached = undefined;
    },
  });
}
