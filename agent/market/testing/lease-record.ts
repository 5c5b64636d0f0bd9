/**
 * A market lease row (`LeaseRecord`) for tests: a job of 3 test dollars (6 decimals) with 0.3
 * collateral and an hour's lease, posted an hour before `now`, open for a day. Each test says
 * what differs (state, slot, payout, times).
 */
import type { LeaseRecord } from '../schema.ts';

export function leaseRecord(now: number, over: Partial<LeaseRecord> = {}): LeaseRecord {
  const anHourAgo = new Date(now - 3_600_000).toISOString();
  return {
    chainKey: '31337:0xmarket:0xblock',
    jobId: '1',
    slot: null,
    state: 'seen',
    reason: null,
    requester: '0x0000000000000000000000000000000000000003',
    specUri: 'http://127.0.0.1:1/job.json',
    specHash: '0x' + '00'.repeat(32),
    reward: '3000000',
    collateral: '300000',
    minScore: '0',
    leaseSeconds: 3600,
    deadline: now / 1000 + 86_400,
    postedBlock: 1,
    localJobId: null,
    leaseEndsAt: null,
    challengeEndsAt: null,
    resultHash: null,
    resultUri: null,
    payout: null,
    createdAt: anHourAgo,
    updatedAt: anHourAgo,
    ...over,
  };
}
