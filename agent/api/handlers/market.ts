import type { Handlers } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import type { MarketService } from '../../market/service.ts';

type MarketMethod =
  | 'market.status'
  | 'market.jobs'
  | 'market.job'
  | 'market.register'
  | 'market.unstake'
  | 'market.completeUnstake'
  | 'market.cancelUnstake';

export function marketHandlers(market: MarketService): Pick<Handlers, MarketMethod> {
  return {
    'market.status': () => market.status(),
    'market.jobs': (filter) =>
      Promise.resolve({ leases: market.leases(filter), token: market.token() }),
    'market.job': ({ jobId }) => {
      const lease = market.lease(jobId);
      if (!lease)
        throw new ApiFailure(
          'NOT_FOUND',
          `This provider has not seen market job ${jobId} on the current network. \`roost market jobs\` lists the ones it has.`,
        );
      return Promise.resolve({ ...lease, token: market.token() });
    },
    'market.register': () => market.register(),
    // An UnstakeError carries its API code (WALLET_LOCKED, INVALID_PARAMS, ...): the router
    // answers with it as data.
    'market.unstake': (params) => market.unstake(params),
    'market.completeUnstake': () => market.completeUnstake(),
    'market.cancelUnstake': () => market.cancelUnstake(),
  };
}
