/**
 * The market's events as lease states: a posted job is seen, our claim makes a lease ours, our
 * result is submitted, then paid, rejected, voided or expired; a cancelled job is lost. After a
 * reorganisation, the leases seen in the replaced blocks are read again, and our claims and
 * results mined there are sent again (the same signed bytes, so never twice).
 */
import { leaseStateNames } from '../../contracts/bindings/job-market.ts';
import type { MarketEvent } from './follower.ts';
import { messageOf, tokens } from './format.ts';
import { FINISHED_LEASE_STATES } from './leases.ts';
import type { LeaseState } from './schema.ts';
import type { MarketLog, MarketServiceOptions } from './service-options.ts';
import type { LeaseRecorder, Session } from './session.ts';

export interface LeaseEventsOptions {
  options: Pick<MarketServiceOptions, 'onLease'>;
  log: MarketLog;
  recorder: LeaseRecorder;
  /** Drives a lease the events touched. */
  schedule(s: Session, jobId: string): void;
}

export interface LeaseEvents {
  /** A batch of the follower's events, in chain order. */
  onEvents(s: Session, events: MarketEvent[]): Promise<void>;
  /** The chain replaced the blocks from `fromBlock` on. */
  onReorg(s: Session, fromBlock: number): Promise<void>;
}

export function createLeaseEvents(deps: LeaseEventsOptions): LeaseEvents {
  const { options, log, recorder } = deps;

  async function onEvents(s: Session, events: MarketEvent[]): Promise<void> {
    const me = s.address.toLowerCase();
    const touched = new Set<string>();
    for (const e of events) {
      const a = e.args;
      const jobId = String(a.jobId ?? '');
      const isMe = typeof a.provider === 'string' && a.provider.toLowerCase() === me;
      switch (e.name) {
        case 'JobPosted': {
          const { record, created } = s.leases.seen(
            {
              jobId: BigInt(jobId),
              requester: String(a.requester),
              specUri: String(a.specURI),
              specHash: String(a.specHash),
              reward: BigInt(a.reward as bigint),
              collateral: BigInt(a.collateral as bigint),
              minScore: BigInt(a.minScore as bigint),
              leaseSeconds: Number(a.leaseSeconds),
              deadline: Number(a.deadline),
              postedBlock: e.blockNumber,
            },
            // The block is the record's postedBlock; the history reads in the owner's words.
            'posted on the market',
          );
          if (created) options.onLease?.(record);
          touched.add(jobId);
          break;
        }
        case 'LeaseClaimed':
          if (isMe) {
            const moved = recorder.move(
              s,
              jobId,
              ['seen', 'skipped', 'claiming'],
              'claimed',
              {
                slot: Number(a.slot),
                leaseEndsAt: Number(a.leaseEndsAt),
              },
              `lease ${Number(a.slot)} is ours until ${new Date(Number(a.leaseEndsAt) * 1000).toISOString()}`,
            );
            // A claim that went in again after a reorganisation ends later than it first did.
            const held = moved ? undefined : s.leases.get(jobId);
            if (
              held &&
              !FINISHED_LEASE_STATES.includes(held.state) &&
              held.slot === Number(a.slot) &&
              held.leaseEndsAt !== Number(a.leaseEndsAt)
            )
              s.leases.update(jobId, { leaseEndsAt: Number(a.leaseEndsAt) });
          }
          touched.add(jobId);
          break;
        case 'ResultSubmitted':
          if (isMe)
            recorder.move(
              s,
              jobId,
              ['claimed', 'running', 'uploading', 'submitting'],
              'submitted',
              {
                challengeEndsAt: Number(a.challengeEndsAt),
                resultHash: String(a.resultHash),
                resultUri: String(a.resultURI),
              },
              'result submitted; the requester may check it until the challenge window closes',
            );
          break;
        case 'ResultDisputed': {
          const lease = s.leases.get(jobId);
          if (lease?.slot === Number(a.slot) && lease.state === 'submitted')
            recorder.move(
              s,
              jobId,
              ['submitted'],
              'disputed',
              {},
              `the requester disputed the result (${String(a.reasonURI)})`,
            );
          break;
        }
        case 'LeaseSettled':
          if (isMe) {
            const outcome = leaseStateNames[Number(a.outcome)];
            const payout = BigInt(a.providerPayout as bigint);
            const money = `${tokens(payout, s.meta)}`;
            if (outcome === 'Paid') {
              // What the job paid less what reached this provider: the market's fee.
              const reward = BigInt(s.leases.get(jobId)?.reward ?? payout);
              const fee = reward > payout ? reward - payout : 0n;
              recorder.move(
                s,
                jobId,
                ['submitted', 'disputed'],
                'paid',
                {
                  payout: payout.toString(),
                  reason:
                    fee > 0n
                      ? `result accepted; the market kept ${tokens(fee, s.meta)} as its fee`
                      : 'result accepted',
                },
                `paid ${money}`,
              );
            } else if (outcome === 'Rejected')
              recorder.move(
                s,
                jobId,
                ['submitted', 'disputed'],
                'rejected',
                { payout: '0' },
                `the arbiter sided with the requester; collateral of ${tokens(BigInt(a.collateralSlashed as bigint), s.meta)} lost`,
              );
            else if (outcome === 'Voided')
              recorder.move(
                s,
                jobId,
                ['submitted', 'disputed'],
                'voided',
                { payout: '0' },
                'the dispute went stale: reward refunded, collateral returned',
              );
          }
          touched.add(jobId);
          break;
        case 'LeaseExpired':
          if (isMe)
            recorder.move(
              s,
              jobId,
              ['claimed', 'running', 'uploading', 'submitting', 'failed'],
              'expired',
              {},
              `the lease ran out without a result; ${tokens(BigInt(a.collateralSlashed as bigint), s.meta)} of collateral went to the requester`,
            );
          touched.add(jobId);
          break;
        case 'JobCancelled':
          recorder.move(
            s,
            jobId,
            ['seen', 'skipped', 'claiming'],
            'lost',
            {},
            'the requester cancelled the job',
          );
          break;
        default:
          break;
      }
    }
    for (const jobId of touched) deps.schedule(s, jobId);
  }

  /**
   * Our claims and results mined in blocks the chain replaced are gone from it: the transaction
   * manager hands the same signed bytes to the node again (same nonce, so never a second claim).
   * A claim that does not go in again (someone else took the lease meanwhile) fails the lease.
   */
  function resendReorganised(s: Session, fromBlock: number): void {
    const held: LeaseState[] = ['claimed', 'running', 'uploading', 'submitting', 'submitted'];
    for (const lease of s.leases.list({ states: held })) {
      const keys = [`claim:${lease.jobId}`, `submit:${lease.jobId}:${lease.slot ?? 0}`];
      for (const key of keys) {
        const record = s.tx.get(key);
        if (record?.state !== 'mined' || (record.blockNumber ?? 0) < fromBlock) continue;
        const what = key.startsWith('claim:') ? 'the claim' : 'the result';
        recorder.note(
          s,
          lease.jobId,
          `the chain replaced the block that held ${what}; the same signed transaction is sent again`,
        );
        void s.tx
          .wait(key)
          .then((again) => {
            if (again.state === 'mined') {
              recorder.note(s, lease.jobId, `${what} is on the chain again`);
              return;
            }
            if (what !== 'the claim') return;
            recorder.move(
              s,
              lease.jobId,
              ['claimed', 'running', 'uploading', 'submitting'],
              'failed',
              { reason: again.error ?? 'the claim did not go in again' },
              `the claim did not go in again after the reorganisation: ${again.error ?? again.state}`,
            );
          })
          .catch((error: unknown) => log.warn(`market job ${lease.jobId}: ${messageOf(error)}`));
      }
    }
  }

  return {
    onEvents,
    async onReorg(s, fromBlock) {
      const forgotten = s.leases.forgetFrom(fromBlock);
      // The follower has warned of the reorganisation itself: one warning, and this detail.
      if (forgotten > 0)
        log.info(
          `market: ${forgotten === 1 ? 'a job' : `${forgotten} jobs`} seen in the replaced blocks ${forgotten === 1 ? 'is' : 'are'} read again`,
        );
      resendReorganised(s, fromBlock);
    },
  };
}
