/**
 * The `yield.*` methods: the net yield estimate, payouts as CSV, predicted versus actual earnings
 * (recorded work periods × the rate; paid leases) and the suggested price from recent jobs.
 */
import type { Handlers } from '../router.ts';
import type { BenchService } from '../../bench/index.ts';
import type { HardwareService } from '../../hardware/index.ts';
import type { MarketService } from '../../market/service.ts';
import { payoutsCsv } from '../../schedule/csv.ts';
import { chartSpans, earningsChart } from '../../schedule/earnings.ts';
import { payoutsFromLeases, quotesFromLeases } from '../../schedule/lease-money.ts';
import type {
  ChartRange,
  EarningsChart,
  EarningsTotals,
  PayoutRecord,
  WorkPeriod,
} from '../../schedule/schema.ts';
import { dec, toPlain } from '../../schedule/decimal.ts';
import { systemTimeZone } from '../../schedule/wall-clock.ts';
import { benchmarkedGpuOf } from '../../schedule/earning-rate.ts';
import type { WorkLog } from '../../schedule/work-log.ts';
import { averagePowerW, estimateYield, suggestPrice } from '../../schedule/yield.ts';
import type { SettingsStore } from '../../store/settings-store.ts';
import type { WalletService } from '../../wallet/index.ts';
import type { WalletNetworkInfo } from '../../wallet/schema.ts';

/** What working earns now: the market score of the latest benchmark, and that × price less the fee. */
export interface EarningRate {
  score: number | null;
  /** Tokens per hour; null without a benchmark. */
  grossPerHour: string | null;
}

export interface YieldDeps {
  bench: () => Promise<BenchService>;
  hardware: HardwareService;
  settings: SettingsStore;
  wallet: WalletService;
  now: () => Date;
  /** The recorded work periods; absent where nothing records them. */
  workLog?: () => WorkLog;
  /** The market's lease rows and token (actual earnings, recent jobs). */
  market?: Pick<MarketService, 'leases' | 'token'>;
  /**
   * The account that posts practice jobs (agent/market/practice.ts), if any: their pay is what
   * practice chose, so they say nothing about the market's prices.
   */
  practiceRequester?: () => string | null;
  rate?: () => Promise<EarningRate>;
  /** The GPUs market leases run on, one each (the benchmarked model); null: one lease. */
  marketGpus?: () => ReadonlySet<string> | null;
  timeZone?: () => string;
  /** Fewer recent jobs than this and no price is suggested; default 3. */
  minJobsForSuggestion?: number;
}

const DAY_MS = 86_400_000;

/** Hours covered by at least one period within [start, end) (GPUs working side by side count once). */
export function hoursWorked(periods: readonly WorkPeriod[], start: number, end: number): number {
  const spans = periods
    .map((p) => [Math.max(Date.parse(p.start), start), Math.min(Date.parse(p.end), end)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let cursor = -Infinity;
  for (const [a, b] of spans) {
    const from = Math.max(a, cursor);
    if (b > from) total += b - from;
    cursor = Math.max(cursor, b);
  }
  return Math.round((total / 3_600_000) * 1000) / 1000;
}

/** The provider's money movements from the wallet's chain history, as payout records. */
async function payouts(wallet: WalletService): Promise<PayoutRecord[]> {
  const status = await wallet.status();
  if (!status.address) return [];
  const history = await wallet.history({ limit: 10_000 });
  const records: PayoutRecord[] = [];
  for (const e of history.entries) {
    const kind =
      e.kind === 'withdrawn'
        ? 'withdrawn'
        : e.kind === 'credited' && e.reason === 'Payout'
          ? 'earned'
          : undefined;
    if (!kind || !e.at) continue;
    records.push({
      id: `${e.txHash}:${e.logIndex}`,
      at: e.at,
      kind,
      amount: e.amount.amount,
      token: e.amount.symbol,
      jobId: e.jobId,
      gpuId: null,
      txHash: e.txHash,
      blockNumber: e.blockNumber,
    });
  }
  return records;
}

/**
 * Why the market is not connected, as what the user can do about it: with no wallet there is
 * nothing to unlock, a new one waits for its recovery phrase check (being set up, nothing is
 * wrong), and a locked wallet is the reason, not the network. Undefined when the wallet is not
 * the reason.
 */
async function walletBlocker(
  wallet: WalletService,
): Promise<'none' | 'pending' | 'locked' | undefined> {
  const state = await wallet.status().then(
    (s) => s.state,
    () => undefined,
  );
  if (state === 'none' || state === 'pending' || state === 'locked') return state;
  return undefined;
}

/** While a new wallet waits for its recovery phrase check: no history yet, and no error. */
const WALLET_BEING_SET_UP = 'Actual earnings show once your wallet is set up.';

export function yieldHandlers(
  deps: YieldDeps,
): Pick<Handlers, 'yield.estimate' | 'yield.payoutsCsv' | 'yield.earnings' | 'yield.suggestPrice'> {
  /** Actual earnings: the market's lease rows while connected, else the wallet's chain history. */
  async function actual(notes: string[]): Promise<{ records: PayoutRecord[]; token: string }> {
    const token = deps.market?.token();
    if (deps.market && token) {
      const leases = deps.market.leases({ states: ['paid', 'expired'], limit: 1000 });
      return { records: payoutsFromLeases(leases, token), token: token.symbol };
    }
    // A new wallet has no chain history before its recovery phrase check (asking throws).
    if ((await walletBlocker(deps.wallet)) === 'pending') {
      notes.push(WALLET_BEING_SET_UP);
      return { records: [], token: 'tokens' };
    }
    try {
      const records = await payouts(deps.wallet);
      if (records.length === 0) {
        const blocker = await walletBlocker(deps.wallet);
        notes.push(
          blocker === 'none'
            ? 'No wallet yet: create a wallet (Wallet page) to be paid; actual earnings show here then.'
            : blocker === 'locked'
              ? 'The wallet is locked: unlock the wallet to take jobs; actual earnings show here then.'
              : 'Not connected to the market: actual earnings show once it is.',
        );
      }
      return { records, token: records[0]?.token ?? 'tokens' };
    } catch (error) {
      notes.push(
        `Actual earnings could not be read from the chain (${error instanceof Error ? error.message : String(error)}).`,
      );
      return { records: [], token: 'tokens' };
    }
  }

  /**
   * The network the money is on, named for the CSV, whether its tokens are test money (then
   * never converted to a currency, and electricity not taken from them), and what the user should
   * know about that; from the settings when the chain can't say.
   */
  async function network(): Promise<{ label: string; test: boolean; note: string | null }> {
    let n: WalletNetworkInfo;
    try {
      n = await deps.wallet.network();
    } catch {
      const { name, tokens } = deps.settings.get().network;
      return { label: name, test: name === 'local' || tokens === 'test', note: null };
    }
    const unknown = n.tokensDecidedBy === 'default';
    const { tokenValueInCurrency: value, currency } = deps.settings.get().pricing;
    return {
      label:
        n.name === 'local'
          ? 'local'
          : `${n.name} (chain ${n.chainId}${unknown ? ', not a known network: tokens valued at your token value' : ''})`,
      test: n.test,
      note: unknown
        ? `Chain ${n.chainId} is not a network Roost knows, so its tokens are counted as money at your token value (${value} ${currency} each) and electricity is taken from them. If they have no value, say so in Settings → Network (Tokens on this network), or with roost settings set network.tokens test.`
        : null,
    };
  }

  return {
    'yield.earnings': async ({ range, gpuId }) => {
      const notes: string[] = [];
      const now = deps.now().getTime();
      const zone = deps.timeZone?.() ?? systemTimeZone();
      const settings = deps.settings.get();
      const rate = (await deps.rate?.()) ?? { score: null, grossPerHour: null };
      if (rate.grossPerHour === null)
        notes.push('No benchmark yet: nothing is predicted until you run one (Benchmark page).');
      const periods =
        deps
          .workLog?.()
          .periods({ sinceMs: now - 32 * DAY_MS, untilMs: now, gpuId: gpuId ?? null }) ?? [];
      if (periods.length === 0)
        notes.push(
          'No work recorded yet: Roost records the hours each GPU may work while the app or `roost serve` runs.',
        );
      const [{ records, token }, net] = await Promise.all([actual(notes), network()]);
      if (net.note) notes.push(net.note);
      const chartOf = (r: ChartRange): EarningsChart =>
        earningsChart({
          range: r,
          now,
          timeZone: zone,
          payouts: records,
          periods,
          electricityPricePerKwh: settings.pricing.electricityPricePerKwh,
          currency: settings.pricing.currency,
          tokenValueInCurrency: settings.pricing.tokenValueInCurrency,
          testNetwork: net.test,
          token,
          gpuId: gpuId ?? null,
        });
      const week = chartOf('7d');
      const month = chartOf('30d');
      const chart = range === '7d' ? week : range === '30d' ? month : chartOf('24h');
      const spanOf = (r: ChartRange) => chartSpans(r, now, zone);
      const totals = (t: EarningsChart['totals'], start: number, end: number): EarningsTotals => ({
        ...t,
        hoursWorked: hoursWorked(periods, start, end),
      });
      const today = week.buckets.at(-1);
      const todaySpan = spanOf('7d').at(-1);
      return {
        chart,
        today: totals(
          today
            ? {
                predicted: today.predicted,
                actual: today.actual,
                electricity: today.electricity,
                net: today.net,
              }
            : week.totals,
          todaySpan?.start ?? now,
          now,
        ),
        last7d: totals(week.totals, spanOf('7d')[0]?.start ?? now, now),
        last30d: totals(month.totals, spanOf('30d')[0]?.start ?? now, now),
        grossPerHour: rate.grossPerHour,
        notes,
      };
    },
    'yield.suggestPrice': async () => {
      const settings = deps.settings.get();
      const rate = (await deps.rate?.()) ?? { score: null, grossPerHour: null };
      const token = deps.market?.token();
      const practice = deps.practiceRequester?.()?.toLowerCase();
      const leases = (token ? (deps.market?.leases({ limit: 1000 }) ?? []) : []).filter(
        (l) => l.requester.toLowerCase() !== practice,
      );
      const score = rate.score;
      const suggestion = suggestPrice({
        jobs: score !== null && token ? quotesFromLeases(leases, score, token.decimals) : [],
        now: deps.now().getTime(),
        currentPrice: settings.pricing.pricePerUnitHour,
        compositeScore: score,
        token: token?.symbol ?? 'tokens',
        basis: 'posted',
        minJobs: deps.minJobsForSuggestion ?? 3,
      });
      const blocker = !token ? await walletBlocker(deps.wallet) : undefined;
      const why =
        score === null
          ? 'No benchmark yet: what jobs pay per unit-hour depends on your score, so run one first.'
          : !token
            ? blocker === 'none'
              ? 'No wallet yet: create a wallet (Wallet page) so Roost joins the market and sees what jobs pay.'
              : blocker === 'pending'
                ? 'Roost joins the market and sees what jobs pay once your wallet is set up.'
                : blocker === 'locked'
                  ? 'The wallet is locked: unlock the wallet to take jobs and see what they pay.'
                  : 'Not connected to the market yet, so no jobs have been seen.'
            : null;
      return {
        ...suggestion,
        ...(why ? { reason: why } : {}),
        currentPrice: toPlain(dec(settings.pricing.pricePerUnitHour)),
        token: token?.symbol ?? 'tokens',
        score,
      };
    },
    'yield.estimate': async () => {
      const history = await (await deps.bench()).history({ limit: 50 });
      const latest = history.find((h) => h.complete && h.composite !== null);
      if (!latest || latest.composite === null) {
        const net = await network();
        return {
          estimates: [],
          missing:
            'No benchmark yet: run one (Benchmark page, or `roost bench`) so Roost knows what this computer earns.',
          notes: net.note ? [net.note] : [],
        };
      }
      // The history entry names its file (a report copied in by hand need not be named by its id).
      const gpuId =
        (await benchmarkedGpuOf(latest.file)) ?? (latest.ep === 'cpu' ? 'cpu' : latest.ep);
      const settings = deps.settings.get();
      const now = deps.now().getTime();
      const net = await network();
      const compositeScore = latest.composite;
      // Every card of the benchmarked model holds a lease of its own: each earns, at its own draw.
      const market = deps.marketGpus?.() ?? null;
      const gpuIds = market?.has(gpuId) ? [...market] : [gpuId];
      const estimates = gpuIds.map((id) => {
        const samples =
          id === 'cpu' ? [] : deps.hardware.telemetry({ gpuId: id, sinceMs: now - 3_600_000 });
        const powerW = samples.length > 0 ? averagePowerW(samples, now - 3_600_000, now) : null;
        return estimateYield({
          gpuId: id,
          compositeScore,
          pricePerUnitHour: settings.pricing.pricePerUnitHour,
          powerW,
          electricityPricePerKwh: settings.pricing.electricityPricePerKwh,
          currency: settings.pricing.currency,
          tokenValueInCurrency: settings.pricing.tokenValueInCurrency,
          token: deps.market?.token()?.symbol ?? 'tokens',
          testNetwork: net.test,
        });
      });
      return { estimates, missing: null, notes: net.note ? [net.note] : [] };
    },
    'yield.payoutsCsv': async () => {
      const settings = deps.settings.get();
      const records = await payouts(deps.wallet);
      const net = await network();
      return {
        csv: payoutsCsv(records, {
          currency: settings.pricing.currency,
          tokenValueInCurrency: settings.pricing.tokenValueInCurrency,
          network: net.label,
          testNetwork: net.test,
        }),
        rows: records.length,
      };
    },
  };
}
