/**
 * The market's events as lease states: a posted job is seen, our claim makes a lease ours, our
 * result is submitted, then paid, rejected, voided or expired; a cancelled job is lost. After a
 * reorganisation, the leases seen in the replaced blocks are read again, and our claims and
 * results mined there are sent again (the same signed bytes, so never twice).
 */
import { leaseStateNames } from '../../contracts/bindings/job-market.ts';
import { fetchReasonText } from './dispute-reason.ts';
import type { MarketEvent } from './follower.ts';
import { messageOf, tokens } from './format.ts';
import { FINISHED_LEASE_STATES } from './leases.ts';
import type { LeaseState } from './schema.ts';
import type { MarketLog, MarketServiceOptions } from './service-options.ts';
import type { LeaseRecorder, Session } from './session.ts';
import type { TxRecord } from './tx-manager.ts';

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
  /** The transaction manager found one of our transactions gone from the chain, or back on it. */
  onTxReorganised(s: Session, record: TxRecord, change: 'dropped' | 'back'): void;
}

/** The Why of a disputed lease before (and unless) the requester's reason is read. */
const DISPUTED = "the requester disputed the result; the market's arbiter decides";
/** The most of the requester's reason the Why column carries (the history has all of it). */
const REASON_IN_WHY = 280;

export function createLeaseEvents(deps: LeaseEventsOptions): LeaseEvents {
  const { options, log, recorder } = deps;

  /**
   * Reads the requester's published reason and puts it in the lease's Why and history, so the
   * owner sees why the result was challenged. Not awaited: a slow or dead server delays nothing.
   */
  async function readReason(s: Session, jobId: string, uri: string): Promise<void> {
    let text: string;
    try {
      text = await fetchReasonText(uri);
    } catch (error) {
      log.debug?.(
        `market job ${jobId}: the dispute's reason could not be read (${messageOf(error)})`,
      );
      return;
    }
    if (s.leases.get(jobId)?.state !== 'disputed' || text.length === 0) return;
    const short = text.length > REASON_IN_WHY ? `${text.slice(0, REASON_IN_WHY)}…` : text;
    s.leases.update(jobId, {
      reason: `the requester disputed the result: "${short.replace(/\s+/g, ' ')}"; the market's arbiter decides`,
    });
    recorder.note(s, jobId, `the requester's reason: ${text}`);
  }

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
          if (lease?.slot === Number(a.slot) && lease.state === 'submitted') {
            const uri = String(a.reasonURI);
            const moved = recorder.move(
              s,
              jobId,
              ['submitted'],
              'disputed',
              { reason: DISPUTED },
              `the requester disputed the result (${uri})`,
            );
            if (moved)
              void readReason(s, jobId, uri).catch((error: unknown) =>
                log.warn(`market job ${jobId}: ${messageOf(error)}`),
              );
          }
          break;
        }
        case 'LeaseSettled':
          if (isMe) {
            const outcome = leaseStateNames[Number(a.outcome)];
            const payout = BigInt(a.providerPayout as bigint);
            const money = `${tokens(payout, s.meta)}`;
            if (outcome === 'Paid') {
              // What the job paid less what reached this provider: the market's fee.
              const held = s.leases.get(jobId);
              const reward = BigInt(held?.reward ?? payout);
              const fee = reward > payout ? reward - payout : 0n;
              const why =
                held?.state === 'disputed' ? 'the arbiter ruled for you' : 'result accepted';
              recorder.move(
                s,
                jobId,
                ['submitted', 'disputed'],
                'paid',
                {
                  payout: payout.toString(),
                  reason:
                    fee > 0n ? `${why}; the market kept ${tokens(fee, s.meta)} as its fee` : why,
                },
                `paid ${money}`,
              );
            } else if (outcome === 'Rejected')
              recorder.move(
                s,
                jobId,
                ['submitted', 'disputed'],
                'rejected',
                {
                  payout: '0',
                  reason: `the arbiter ruled for the requester: the reward went back to it, with your collateral of ${tokens(BigInt(a.collateralSlashed as bigint), s.meta)}`,
                },
                `the arbiter sided with the requester; collateral of ${tokens(BigInt(a.collateralSlashed as bigint), s.meta)} lost`,
              );
            else if (outcome === 'Voided')
              recorder.move(
                s,
                jobId,
                ['submitted', 'disputed'],
                'voided',
                {
                  payout: '0',
                  reason:
                    'nobody ruled on the dispute in time: the reward went back to the requester, and your collateral is free again',
                },
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

  /** Whether the chain's block at `number` is still the one of that hash. */
  async function blockStands(s: Session, number?: number, hash?: string): Promise<boolean> {
    if (number === undefined || hash === undefined) return false;
    const block = await s.net.provider.getBlock(number).catch(() => null);
    return block?.hash?.toLowerCase() === hash.toLowerCase();
  }

  /**
   * Our claims and results mined in blocks the chain replaced are gone from it: waiting on them
   * has the transaction manager hand the same signed bytes to the node again (same nonce, so
   * never a second claim), and say so in the lease's history (`onTxReorganised`), whichever part
   * of Roost noticed first. A claim that does not go in again (someone else took the lease
   * meanwhile) fails the lease.
   */
  async function resendReorganised(s: Session, fromBlock: number): Promise<void> {
    const held: LeaseState[] = ['claimed', 'running', 'uploading', 'submitting', 'submitted'];
    for (const lease of s.leases.list({ states: held })) {
      const keys = [`claim:${lease.jobId}`, `submit:${lease.jobId}:${lease.slot ?? 0}`];
      for (const key of keys) {
        const record = s.tx.get(key);
        if (record?.state !== 'mined' || (record.blockNumber ?? 0) < fromBlock) continue;
        // Mined after the replaced blocks, in one that stands (a reorganisation seen late, on a
        // busy machine): nothing of it was taken away.
        if (await blockStands(s, record.blockNumber, record.blockHash)) continue;
        void s.tx
          .wait(key)
          .then((again) => {
            if (again.state === 'mined' || !key.startsWith('claim:')) return;
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

  /** A lease's claim or result, by the key it was sent under. */
  function leaseTx(key: string): { jobId: string; what: string } | undefined {
    const claim = /^claim:(\d+)$/.exec(key);
    if (claim) return { jobId: claim[1]!, what: 'the claim' };
    const result = /^submit:(\d+):\d+$/.exec(key);
    if (result) return { jobId: result[1]!, what: 'the result' };
    return undefined;
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
      await resendReorganised(s, fromBlock);
    },
    onTxReorganised(s, record, change) {
      const tx = leaseTx(record.key);
      if (!tx || !s.leases.get(tx.jobId)) return;
      recorder.note(
        s,
        tx.jobId,
        change === 'dropped'
          ? `the chain replaced the block that held ${tx.what}; the same signed transaction is sent again`
          : `${tx.what} is on the chain again`,
      );
    },
  };
}
