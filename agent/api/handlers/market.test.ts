import { describe, expect, it } from 'vitest';
import type { JobService } from '../../jobs/service.ts';
import type { PostedJobs } from '../../market/posted-jobs.ts';
import type { MarketService } from '../../market/service.ts';
import { leaseRecord } from '../../market/testing/lease-record.ts';
import { DeployError } from '../../market/deploy.ts';
import type { MarketDeployResult } from '../../market/schema.ts';
import { createLogger } from '../../log.ts';
import { EventBus } from '../../events.ts';
import { createRouter, type Handlers } from '../router.ts';
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
  return marketHandlers(
    market,
    () =>
      jobsFail
        ? Promise.reject(new Error('the job runner did not start'))
        : Promise.resolve({ show }),
    () => Promise.reject(new Error('no deploy here')),
    {} as PostedJobs,
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

describe('market.deploy', () => {
  const deployed: MarketDeployResult = {
    chainId: 4242,
    rpcUrl: 'http://10.0.0.5:8545',
    marketAddress: `0x${'11'.repeat(20)}`,
    tokenAddress: `0x${'22'.repeat(20)}`,
    tokenSymbol: 'rUSD',
    tokenDecimals: 6,
    testToken: true,
    deployer: `0x${'33'.repeat(20)}`,
    blockNumber: 3,
    transactions: [`0x${'44'.repeat(32)}`],
    tokenBalance: '100000000000',
  };

  /** A router whose only working method is market.deploy, as `deploy` answers it. */
  function routerWith(deploy: Parameters<typeof marketHandlers>[2]) {
    const asked: unknown[] = [];
    const handlers = marketHandlers(
      {} as MarketService,
      () => Promise.reject(new Error('no')),
      (p) => {
        asked.push(p);
        return deploy(p);
      },
      {} as PostedJobs,
    );
    const all = new Proxy(handlers, {
      get: (target, key) =>
        (target as Record<string | symbol, unknown>)[key] ??
        (() => Promise.reject(new Error('no'))),
    }) as unknown as Handlers;
    const log = createLogger({ events: new EventBus(), now: () => new Date(NOW) });
    return { router: createRouter(all, log), asked };
  }

  it('passes the checked params to the deployer and answers with what it deployed', async () => {
    const { router, asked } = routerWith(() => Promise.resolve(deployed));
    const r = await router.call('market.deploy', { rpcUrl: 'http://10.0.0.5:8545', feeBps: 25 });
    expect(r).toEqual({ ok: true, value: deployed });
    expect(asked).toEqual([{ rpcUrl: 'http://10.0.0.5:8545', feeBps: 25 }]);
  });

  it('refuses wrong params before the deployer sees them', async () => {
    const { router, asked } = routerWith(() => Promise.resolve(deployed));
    for (const params of [
      {},
      { rpcUrl: 'ftp://10.0.0.5' },
      { rpcUrl: 'http://10.0.0.5:8545', feeBps: 1001 },
      { rpcUrl: 'http://10.0.0.5:8545', token: '0x1234' },
      { rpcUrl: 'http://10.0.0.5:8545', chain: 5 },
    ]) {
      const r = await router.call('market.deploy', params);
      expect(r, JSON.stringify(params)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_PARAMS' },
      });
    }
    expect(asked).toEqual([]);
  });

  it("answers with the deployer's refusal as data, and never quotes the password", async () => {
    const { router } = routerWith(() =>
      Promise.reject(new DeployError('WALLET_LOCKED', 'The wallet is locked: unlock it.')),
    );
    expect(await router.call('market.deploy', { rpcUrl: 'http://10.0.0.5:8545' })).toEqual({
      ok: false,
      error: { code: 'WALLET_LOCKED', message: 'The wallet is locked: unlock it.' },
    });
    const wrong = await router.call('market.deploy', {
      rpcUrl: 'http://10.0.0.5:8545',
      password: 42,
    });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!wrong.ok) expect(wrong.error.message).not.toContain('42');
  });
});
