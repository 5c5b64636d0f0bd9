/** `roost earnings`: what the GPUs earn net of electricity, and the payouts as CSV. */
import { resolve as resolvePath } from 'node:path';
import { UsageError, withClient, print, type Command } from './common.ts';

export const earningsCommand: Command = {
  usage: 'roost earnings [--csv <file.csv>] [--json]',
  summary: 'What your GPU earns per hour and per day, net of electricity; your payouts as CSV',
  options: { csv: { type: 'string' } },
  async run(ctx) {
    if (ctx.positionals.length > 0) throw new UsageError(`Usage: ${earningsCommand.usage}`);
    return withClient(ctx, async (client) => {
      if (typeof ctx.values.csv === 'string') {
        const r = await client.call('yield.payoutsCsv');
        if (!r.ok) return print(ctx, r, () => '');
        const { writeFileAtomic } = await import('../store/atomic-file.ts');
        const out = resolvePath(ctx.values.csv);
        await writeFileAtomic(out, r.value.csv, 0o600);
        return print(
          ctx,
          { ok: true, value: { file: out, rows: r.value.rows } },
          (v) => `Wrote ${v.rows} payouts to ${v.file}.`,
        );
      }
      const r = await client.call('yield.estimate');
      return print(ctx, r, (v) =>
        v.missing
          ? v.missing
          : v.estimates
              .map(
                (e) =>
                  `${e.gpuId}: earns ${e.earnedPerHour} ${e.token}/h (${e.earnedPerHourInCurrency} ${e.currency}); electricity ${e.electricityPerHour} ${e.currency}/h; net ${e.netPerHour} ${e.currency}/h, ${e.netPerDay} ${e.currency}/day${e.profitable ? '' : ' — not profitable at this price'}\n  ${e.explanation}`,
              )
              .join('\n'),
      );
    });
  },
};
