import { describe, expect, it } from 'vitest';
import { createLeaseEvents } from './lease-events.ts';
import type { LeaseRecorder, Session } from './session.ts';
import type { TxRecord } from './tx-manager.ts';

const STANDING = `0x${'a'.repeat(64)}`;
const REPLACED = `0x${'b'.repeat(64)}`;

const mined = (key: string, blockNumber: number, blockHash: string) =>
  ({ key, state: 'mined', blockNumber, blockHash }) as TxRecord;

/**
 * A session holding one submitted lease (job 7) whose claim was mined in block 12 (hash
 * `claimHash`) and whose result in block 14 (`resultHash`), on a chain whose blocks hash to
 * `chain`. Waiting on a claim gives `claimAgain` (the claim as it is once waited for).
 */
function reorganised(
  claimHash: string,
  resultHash: string,
  chain: Record<number, string>,
  claimAgain: Partial<TxRecord> = {},
) {
  const notes: string[] = [];
  const moves: string[] = [];
  const waited: string[] = [];
  const recorder: LeaseRecorder = {
    move: (_s, jobId, _from, to, _patch, message) => {
      moves.push(`${jobId} → ${to}: ${message}`);
      return undefined;
    },
    note: (_s, jobId, message) => notes.push(`${jobId}: ${message}`),
  };
  const records = new Map([
    ['claim:7', mined('claim:7', 12, claimHash)],
    ['submit:7:0', mined('submit:7:0', 14, resultHash)],
  ]);
  const session = {
    leases: {
      forgetFrom: () => 0,
      list: () => [{ jobId: '7', slot: 0, state: 'submitted' }],
      get: (jobId: string) => (jobId === '7' ? { jobId: '7' } : undefined),
    },
    tx: {
      get: (key: string) => records.get(key),
      wait: (key: string) => {
        waited.push(key);
        const record = records.get(key)!;
        return Promise.resolve(key.startsWith('claim:') ? { ...record, ...claimAgain } : record);
      },
    },
    net: {
      provider: {
        getBlock: (n: number) => Promise.resolve(chain[n] ? { hash: chain[n] } : null),
      },
    },
  } as unknown as Session;
  const events = createLeaseEvents({
    options: {},
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    recorder,
    schedule: () => undefined,
  });
  return {
    notes,
    moves,
    waited,
    reorg: async (from: number) => {
      await events.onReorg(session, from);
      await new Promise((done) => setTimeout(done, 0));
    },
    tx: (key: string, change: 'dropped' | 'back') =>
      events.onTxReorganised(session, mined(key, 20, STANDING), change),
  };
}

describe('after a reorganisation', () => {
  it('waits again on what was mined in a replaced block, so it is sent again', async () => {
    const r = reorganised(REPLACED, STANDING, { 12: STANDING, 14: STANDING });
    await r.reorg(10);
    expect(r.waited).toEqual(['claim:7']);
    expect(r.moves).toEqual([]);
  });

  it('leaves alone what was mined after the replaced blocks (a reorganisation seen late)', async () => {
    // Both mined at or above the first replaced block, in blocks the chain still has.
    const r = reorganised(STANDING, STANDING, { 12: STANDING, 14: STANDING });
    await r.reorg(11);
    expect(r.waited).toEqual([]);
    // A block the node no longer has is a replaced one.
    const gone = reorganised(STANDING, STANDING, { 12: STANDING });
    await gone.reorg(11);
    expect(gone.waited).toEqual(['submit:7:0']);
    // Below the first replaced block: untouched however its hash reads.
    const below = reorganised(REPLACED, REPLACED, { 12: STANDING, 14: STANDING });
    await below.reorg(15);
    expect(below.waited).toEqual([]);
  });

  it('fails the lease when its claim does not go in again', async () => {
    const r = reorganised(
      REPLACED,
      STANDING,
      { 12: STANDING, 14: STANDING },
      {
        state: 'reverted',
        error: 'It failed on the chain: the lease is taken.',
      },
    );
    await r.reorg(10);
    expect(r.moves).toEqual([
      '7 → failed: the claim did not go in again after the reorganisation: It failed on the chain: the lease is taken.',
    ]);
  });

  it("says in the lease's history when its claim or result left the chain and came back", () => {
    const r = reorganised(STANDING, STANDING, {});
    r.tx('claim:7', 'dropped');
    r.tx('claim:7', 'back');
    r.tx('submit:7:0', 'dropped');
    r.tx('submit:7:0', 'back');
    // Not a lease's: a withdrawal, or a job this session does not hold.
    r.tx('withdraw:3', 'dropped');
    r.tx('claim:8', 'dropped');
    expect(r.notes).toEqual([
      '7: the chain replaced the block that held the claim; the same signed transaction is sent again',
      '7: the claim is on the chain again',
      '7: the chain replaced the block that held the result; the same signed transaction is sent again',
      '7: the result is on the chain again',
    ]);
  });
});
