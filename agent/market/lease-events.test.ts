import { describe, expect, it } from 'vitest';
import { createLeaseEvents } from './lease-events.ts';
import type { LeaseRecorder, Session } from './session.ts';
import type { TxRecord } from './tx-manager.ts';

const STANDING = `0x${'a'.repeat(64)}`;
const REPLACED = `0x${'b'.repeat(64)}`;

/**
 * A session holding one running lease whose claim was mined in block 12 (hash `claimHash`) and
 * whose result in block 14 (`resultHash`), on a chain whose blocks hash to `chain`.
 */
function reorganised(claimHash: string, resultHash: string, chain: Record<number, string>) {
  const notes: string[] = [];
  const waited: string[] = [];
  const recorder: LeaseRecorder = {
    move: () => undefined,
    note: (_s, jobId, message) => notes.push(`${jobId}: ${message}`),
  };
  const mined = (key: string, blockNumber: number, blockHash: string) =>
    ({ key, state: 'mined', blockNumber, blockHash }) as TxRecord;
  const records = new Map([
    ['claim:7', mined('claim:7', 12, claimHash)],
    ['submit:7:0', mined('submit:7:0', 14, resultHash)],
  ]);
  const session = {
    leases: {
      forgetFrom: () => 0,
      list: () => [{ jobId: '7', slot: 0, state: 'submitted' }],
    },
    tx: {
      get: (key: string) => records.get(key),
      wait: (key: string) => {
        waited.push(key);
        return Promise.resolve(records.get(key));
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
  return { notes, waited, reorg: (from: number) => events.onReorg(session, from) };
}

describe('after a reorganisation', () => {
  it('sends again what was mined in a replaced block, and says so once it is back', async () => {
    const r = reorganised(REPLACED, STANDING, { 12: STANDING, 14: STANDING });
    await r.reorg(10);
    await new Promise((done) => setTimeout(done, 0));
    expect(r.waited).toEqual(['claim:7']);
    expect(r.notes).toEqual([
      '7: the chain replaced the block that held the claim; the same signed transaction is sent again',
      '7: the claim is on the chain again',
    ]);
  });

  it('leaves alone what was mined after the replaced blocks (a reorganisation seen late)', async () => {
    // Both mined at or above the first replaced block, in blocks the chain still has.
    const r = reorganised(STANDING, STANDING, { 12: STANDING, 14: STANDING });
    await r.reorg(11);
    await new Promise((done) => setTimeout(done, 0));
    expect(r.notes).toEqual([]);
    expect(r.waited).toEqual([]);
    // A block the node no longer has is a replaced one.
    const gone = reorganised(STANDING, STANDING, { 12: STANDING });
    await gone.reorg(11);
    await new Promise((done) => setTimeout(done, 0));
    expect(gone.waited).toEqual(['submit:7:0']);
    expect(gone.notes[0]).toBe(
      '7: the chain replaced the block that held the result; the same signed transaction is sent again',
    );
  });
});
