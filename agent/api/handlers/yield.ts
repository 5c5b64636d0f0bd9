import type { Handlers } from '../router.ts';
import type { BenchService } from '../../bench/index.ts';
import type { HardwareService } from '../../hardware/index.ts';
import { payoutsCsv } from '../../schedule/csv.ts';
import type { PayoutRecord } from '../../schedule/schema.ts';
import { averagePowerW, estimateYield } from '../../schedule/yield.ts';
import type { SettingsStore } from '../../store/settings-store.ts';
import type { WalletService } from '../../wallet/index.ts';

export interface YieldDeps {
  bench: () => Promise<BenchService>;
  hardware: HardwareService;
  settings: SettingsStore;
  wallet: WalletService;
  now: () => Date;
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

export function yieldHandlers(
  deps: YieldDeps,
): Pick<Handlers, 'yield.estimate' | 'yield.payoutsCsv'> {
  return {
    'yield.estimate': async () => {
      const history = await (await deps.bench()).history({ limit: 50 });
      const latest = history.find((h) => h.complete && h.composite !== null);
      if (!latest || latest.composite === null) {
        return {
          estimates: [],
          missing:
            'No benchmark yet: run one (Benchmark page, or roost bench) so Roost knows what your GPU earns.',
        };
      }
      const report = (await (await deps.bench()).get(latest.id)).report;
      const gpuId =
        report.target.adapter?.gpuId ?? (report.target.ep === 'cpu' ? 'cpu' : report.target.ep);
      const settings = deps.settings.get();
      const now = deps.now().getTime();
      const samples =
        gpuId === 'cpu' ? [] : deps.hardware.telemetry({ gpuId, sinceMs: now - 3_600_000 });
      const powerW = samples.length > 0 ? averagePowerW(samples, now - 3_600_000, now) : null;
      const estimate = estimateYield({
        gpuId,
        compositeScore: latest.composite,
        pricePerUnitHour: settings.pricing.pricePerUnitHour,
        powerW,
        electricityPricePerKwh: settings.pricing.electricityPricePerKwh,
        currency: settings.pricing.currency,
        tokenValueInCurrency: settings.pricing.tokenValueInCurrency,
      });
      return { estimates: [estimate], missing: null };
    },
    'yield.payoutsCsv': async () => {
      const settings = deps.settings.get();
      const records = await payouts(deps.wallet);
      return {
        csv: payoutsCsv(records, {
          currency: settings.pricing.currency,
          tokenValueInCurrency: settings.pricing.tokenValueInCurrency,
        }),
        rows: records.length,
      };
    },
  };
}
