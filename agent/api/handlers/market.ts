import type { Handlers } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import type { JobService } from '../../jobs/service.ts';
import type { MarketService } from '../../market/service.ts';
import type { PostedJobs } from '../../market/posted-jobs.ts';
import type { MarketDeployParams, MarketDeployResult } from '../../market/schema.ts';

type MarketMethod =
  | 'market.status'
  | 'market.jobs'
  | 'market.job'
  | 'market.register'
  | 'market.unstake'
  | 'market.completeUnstake'
  | 'market.cancelUnstake'
  | 'market.deploy'
  | 'market.disputes'
  | 'market.resolveDispute'
  | 'market.postedJobs'
  | 'market.postJob'
  | 'market.watchPostedJob'
  | 'market.cancelPostedJob'
  | 'market.postedJobResults'
  | 'market.postedJobOutputPreview';

/**
 * `jobs` is the job service, asked whether a lease's local job is still there: once its lease is
 * done with it, the user may remove it (job.remove), and the lease then names a job that is gone.
 * `deploy` deploys a lab's own market (market/deploy.ts createMarketDeployer). `posted` is the
 * requester side: jobs this data folder posts (market/posted-jobs.ts).
 */
export function marketHandlers(
  market: MarketService,
  jobs: () => Promise<Pick<JobService, 'show'>>,
  deploy: (params: MarketDeployParams) => Promise<MarketDeployResult>,
  posted: PostedJobs,
): Pick<Handlers, MarketMethod> {
  return {
    'market.status': () => market.status(),
    'market.jobs': (filter) =>
      Promise.resolve({ leases: market.leases(filter), token: market.token() }),
    'market.job': async ({ jobId }) => {
      const lease = market.lease(jobId);
      if (!lease)
        throw new ApiFailure(
          'NOT_FOUND',
          `This provider has not seen market job ${jobId} on the current network. \`roost market jobs\` lists the ones it has.`,
        );
      let localJobRemoved = false;
      if (lease.localJobId !== null) {
        const id = lease.localJobId;
        // A job runner that did not start says nothing about the job: the lease still shows.
        const local = await jobs().then(
          (service) => service.show(id),
          () => undefined,
        );
        localJobRemoved = local?.ok === false && local.error.code === 'not-found';
      }
      return { ...lease, localJobRemoved, token: market.token() };
    },
    'market.register': () => market.register(),
    // An UnstakeError carries its API code (WALLET_LOCKED, INVALID_PARAMS, ...): the router
    // answers with it as data.
    'market.unstake': (params) => market.unstake(params),
    'market.completeUnstake': () => market.completeUnstake(),
    'market.cancelUnstake': () => market.cancelUnstake(),
    // A DeployError carries its API code (WALLET_LOCKED, NETWORK_UNAVAILABLE, ...) as well.
    'market.deploy': (params) => deploy(params),
    'market.disputes': (params) => market.disputes(params),
    // An ArbitrationError carries its API code (FORBIDDEN, JOB_STATE, NOT_FOUND, ...).
    'market.resolveDispute': (params) => market.resolveDispute(params),
    // Refusals are ApiFailures (JOB_REFUSED for a file, FORBIDDEN, NOT_FOUND, ...); the wallet's
    // WALLET_LOCKED and WALLET_WRONG_PASSWORD pass through as they are.
    'market.postedJobs': (params) => posted.list(params),
    'market.postJob': (params) => posted.post(params),
    'market.watchPostedJob': (params) => posted.watch(params),
    'market.cancelPostedJob': (params) => posted.cancel(params),
    'market.postedJobResults': (params) => posted.results(params),
    'market.postedJobOutputPreview': (params) => posted.outputPreview(params),
  };
}
