import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FINISHED_LEASE_STATES,
  LOCAL_JOB_FREE_STATES,
  localJobRemoval,
  openLeaseStore,
  type LeaseStore,
} from './leases.ts';
import type { LeaseState } from './schema.ts';

const dbs: DatabaseSync[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function journal(): DatabaseSync {
  const db = new DatabaseSync(':memory:');
  dbs.push(db);
  return db;
}

/** Job `jobId` seen, claimed and running as local job `localJobId`. */
function running(leases: LeaseStore, jobId: number, localJobId: string): void {
  leases.seen(
    {
      jobId: BigInt(jobId),
      requester: '0x0000000000000000000000000000000000000003',
      specUri: 'http://127.0.0.1:1/job.json',
      specHash: '0x' + '00'.repeat(32),
      reward: 3_000_000n,
      collateral: 300_000n,
      minScore: 0n,
      leaseSeconds: 600,
      deadline: 2_000_000_000,
      postedBlock: 1,
    },
    'posted on the market',
  );
  const id = String(jobId);
  leases.move(id, ['seen'], 'claiming', {}, 'claiming');
  leases.move(id, ['claiming'], 'claimed', { slot: 0 }, 'claimed (lease 0)');
  leases.move(id, ['claimed'], 'running', { localJobId }, `running as local job ${localJobId}`);
}

const STILL_RUNNING = {
  ok: false,
  reason: 'its lease is still running: it can be removed once it is paid or has ended',
};

describe('localJobRemoval: whether a lease is done with its local job', () => {
  it('refuses while the lease runs, uploads, submits or waits to be paid, and lets it go after', () => {
    const db = journal();
    const leases = openLeaseStore(db, 'chain-a');
    running(leases, 7, 'job-a');
    expect(localJobRemoval(db, 'job-a')).toEqual(STILL_RUNNING);
    leases.move('7', ['running'], 'uploading', {}, 'ran');
    expect(localJobRemoval(db, 'job-a')).toEqual(STILL_RUNNING);
    leases.move('7', ['uploading'], 'submitting', {}, 'uploaded');
    expect(localJobRemoval(db, 'job-a')).toEqual(STILL_RUNNING);
    leases.move('7', ['submitting'], 'submitted', {}, 'submitted');
    expect(localJobRemoval(db, 'job-a')).toEqual({
      ok: false,
      reason:
        'its lease waits for the requester to accept its result: it can be removed once it is paid or has ended',
    });
    leases.move('7', ['submitted'], 'disputed', {}, 'disputed');
    expect(localJobRemoval(db, 'job-a')).toEqual({
      ok: false,
      reason: "its lease's result is disputed: it can be removed once the dispute is settled",
    });
    leases.move('7', ['disputed'], 'paid', { payout: '2970000' }, 'paid 2.97 rUSD');
    expect(localJobRemoval(db, 'job-a')).toEqual({ ok: true });
    // The lease row stays as it was: what it paid is read from it.
    expect(leases.get('7')).toMatchObject({
      state: 'paid',
      payout: '2970000',
      localJobId: 'job-a',
    });
  });

  it('counts every settled or given-up state as done, and no live one', () => {
    const free: LeaseState[] = ['paid', 'rejected', 'voided', 'expired', 'failed'];
    for (const state of free) {
      const db = journal();
      const leases = openLeaseStore(db, 'chain-a');
      running(leases, 7, 'job-a');
      const from: LeaseState = state === 'failed' || state === 'expired' ? 'running' : 'submitted';
      if (from === 'submitted') {
        leases.move('7', ['running'], 'uploading', {}, 'ran');
        leases.move('7', ['uploading'], 'submitting', {}, 'uploaded');
        leases.move('7', ['submitting'], 'submitted', {}, 'submitted');
      }
      expect(leases.move('7', [from], state, {}, state), state).toBeDefined();
      expect(localJobRemoval(db, 'job-a'), state).toEqual({ ok: true });
    }
    expect([...LOCAL_JOB_FREE_STATES].sort()).toEqual([...FINISHED_LEASE_STATES, 'failed'].sort());
    expect(LOCAL_JOB_FREE_STATES).not.toContain('submitted');
    expect(LOCAL_JOB_FREE_STATES).not.toContain('disputed');
  });

  it('asks every lease that names the job, on every network, and passes a job none names', () => {
    const db = journal();
    const before = openLeaseStore(db, 'chain-old');
    const now = openLeaseStore(db, 'chain-new');
    // A lease on a network used before still runs the job (its session is not open now).
    running(before, 3, 'job-a');
    running(now, 7, 'job-a');
    now.move('7', ['running'], 'failed', { reason: 'the job failed' }, 'failed');
    expect(localJobRemoval(db, 'job-a')).toEqual(STILL_RUNNING);
    before.move('3', ['running'], 'expired', {}, 'expired');
    expect(localJobRemoval(db, 'job-a')).toEqual({ ok: true });
    expect(localJobRemoval(db, 'job-unnamed')).toEqual({ ok: true });
  });

  it('passes a job when the market has no tables yet, and refuses a row it cannot read', () => {
    expect(localJobRemoval(journal(), 'job-a')).toEqual({ ok: true });
    const db = journal();
    const leases = openLeaseStore(db, 'chain-a');
    running(leases, 7, 'job-a');
    db.prepare("UPDATE market_leases SET state = 'weird' WHERE job_id = '7'").run();
    expect(localJobRemoval(db, 'job-a')).toEqual({
      ok: false,
      reason: 'its lease (market job 7) could not be read from the journal',
    });
  });
});
