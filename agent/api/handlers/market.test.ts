import { describe, expect, it } from 'vitest';
import type { JobService } from '../../jobs/service.ts';
import type { MarketService } from '../../market/service.ts';
import { leaseRecord } from '../../market/testing/lease-record.ts';
import { marketHandlers } from './market.ts';

const NOW = Date.UTC(2026, 0, 1);

/** A market that knows one lease, and a job service that knows the jobs in `local`. */
function handlersWith(localJobId: string | null, local: string[], jobsFail = false) {
  const market = {
    lease: (jobId: string) =>
      jobId === '7'
        ? {
            ...leaseRecord(NOW, { jobId: '7', slot: 0, state: 'paid', localJobId }),
            history: [],
          }
        : undefined,
    token: () => ({ symbol: 'rUSD', decimals: 6 }),
  } as unknown as MarketService;
  const show: JobService['show'] = (id) =>
    local.includes(id)
      ? ({ ok: true, value: { id } } as unknown as ReturnType<JobService['show']>)
      : { ok: false, error: { code: 'not-found', message: `No job ${id}.` } };
  return marketHandlers(market, () =>
    jobsFail
      ? Promise.reject(new Error('the job runner did not start'))
      : Promise.resolve({ show }),
  );
}

describe('market.job', () => {
  it('says when the local job that ran the lease was removed, and keeps the lease', async () => {
    const kept = await handlersWith('job-a', ['job-a'])['market.job']({ jobId: '7' });
    expect(kept).toMatchObject({ jobId: '7', localJobId: 'job-a', localJobRemoved: false });
    const removed = await handlersWith('job-a', [])['market.job']({ jobId: '7' });
    expect(removed).toMatchObject({
      jobId: '7',
      state: 'paid',
      localJobId: 'job-a',
      localJobRemoved: true,
      token: { symbol: 'rUSD', decimals: 6 },
    });
  });

  it('says nothing was removed when there is no local job, or the job runner cannot tell', async () => {
    const none = await handlersWith(null, [])['market.job']({ jobId: '7' });
    expect(none).toMatchObject({ localJobId: null, localJobRemoved: false });
    const unknown = await handlersWith('job-a', [], true)['market.job']({ jobId: '7' });
    expect(unknown).toMatchObject({ localJobId: 'job-a', localJobRemoved: false });
  });
});
