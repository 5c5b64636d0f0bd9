import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { marketDbPath, openMarketDb } from './db.ts';
import { RequestJournalError, openRequestJournal } from './request-journal.ts';
import type { NewRequest, RequestJournal } from './request-journal.ts';

const CHAIN = '31337:0x5fbdb2315678afecb367f032d93f642f64180aa3:0xabc';
const OTHER = '31337:0x5fbdb2315678afecb367f032d93f642f64180aa3:0xdef';
const SHA = 'ab'.repeat(32);

function newRequest(key: string, specHash = `0x${'11'.repeat(32)}`): NewRequest {
  const artifact = { uri: 'http://127.0.0.1:4100/files/m.onnx', sha256: SHA, bytes: 10 };
  return {
    chainKey: CHAIN,
    key,
    requester: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    specUri: 'http://127.0.0.1:4100/files/job.json',
    specHash,
    fromBlock: 12,
    port: 4100,
    dir: `/data/market/requester/jobs/${key}`,
    servedDir: `/data/market/requester/jobs/${key}/served`,
    reward: 2_000_000n,
    record: {
      document: {
        format: 'roost.market-job/1',
        job: {
          format: 'roost.job/1',
          model: artifact,
          inputs: { a: { ...artifact, uri: 'http://127.0.0.1:4100/files/a.npy' } },
        },
        upload: { url: 'http://127.0.0.1:4100/uploads' },
      },
      specSha256: SHA,
      outputNames: ['c'],
      setCount: 1,
      redundancy: 2,
      leaseSeconds: 600,
      deadline: '1900000000',
      minScore: 0,
      known: [{ set: 0, name: 'c', path: '/data/known/c.npy' }],
      tolerance: { rtol: 1e-3, atol: 1e-5 },
      maxUploadBytes: 4096,
    },
  };
}

let dir: { path: string; remove: () => Promise<void> };
let db: DatabaseSync;
let journal: RequestJournal;

beforeEach(async () => {
  dir = await tempDir('roost-request-journal-');
  db = openMarketDb(marketDbPath(dir.path));
  journal = openRequestJournal(db);
});
afterEach(async () => {
  db.close();
  await dir.remove();
});

describe('the requester journal', () => {
  it('keeps the intent, then the posted job, across connections', () => {
    journal.begin(newRequest('post-a'));
    const [intent] = journal.list(CHAIN);
    expect(intent).toMatchObject({
      key: 'post-a',
      state: 'posting',
      jobId: null,
      txHash: null,
      requester: '0x90f79bf6eb2c4f870365e785982e1f101e93b906',
      reward: 2_000_000n,
      port: 4100,
      record: { redundancy: 2, known: [{ path: '/data/known/c.npy' }] },
    });
    journal.posted(CHAIN, 'post-a', { jobId: 7n, txHash: `0x${'cd'.repeat(32)}`, postedBlock: 13 });

    const again = new DatabaseSync(marketDbPath(dir.path));
    try {
      const read = openRequestJournal(again).byJob(CHAIN, 7n);
      expect(read).toMatchObject({ state: 'posted', jobId: 7n, postedBlock: 13, fromBlock: 12 });
      expect(read!.record).toEqual(newRequest('post-a').record);
    } finally {
      again.close();
    }
    expect(journal.byJob(OTHER, 7n)).toBeUndefined();
    expect(() =>
      journal.posted(CHAIN, 'post-missing', { jobId: 8n, txHash: null, postedBlock: null }),
    ).toThrow(/no job being posted as post-missing/);
  });

  it('keeps deployments apart and forgets only intents never sent', () => {
    journal.begin(newRequest('post-a'));
    journal.begin({ ...newRequest('post-b'), chainKey: OTHER });
    journal.begin(newRequest('post-c', `0x${'22'.repeat(32)}`));
    journal.posted(CHAIN, 'post-c', { jobId: 1n, txHash: null, postedBlock: null });
    expect(journal.list(CHAIN).map((r) => r.key)).toEqual(['post-a', 'post-c']);
    expect(journal.countElsewhere(CHAIN)).toBe(1);
    journal.forget(CHAIN, 'post-a');
    journal.forget(CHAIN, 'post-c');
    expect(journal.list(CHAIN).map((r) => r.key)).toEqual(['post-c']);
  });

  it('records a verdict when decided and again when final', () => {
    const verdict = {
      jobId: 7n,
      slot: 1,
      provider: '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
      verdict: 'disputed' as const,
      reason: 'the output c.npy hashes to 00…',
      outputs: ['/data/results/1/c.npy'],
    };
    journal.recordVerdict(CHAIN, { ...verdict, final: false });
    expect(journal.verdicts(CHAIN, 7n)).toMatchObject([{ ...verdict, final: false }]);
    journal.recordVerdict(CHAIN, { ...verdict, final: true });
    expect(journal.verdicts(CHAIN, 7n)).toMatchObject([{ ...verdict, final: true }]);
    expect(journal.verdicts(OTHER, 7n)).toEqual([]);
  });

  it('keeps the leases of a settled job, per deployment, and forgets a row that does not read back', () => {
    const leases = [
      {
        slot: 0,
        state: 'accepted' as const,
        provider: '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
      },
      { slot: 1, state: 'cancelled' as const, provider: null },
    ];
    expect(journal.settled(CHAIN, 7n)).toBeUndefined();
    journal.recordSettled(CHAIN, 7n, leases);
    // Across connections, as a restart reads it.
    db.close();
    db = openMarketDb(marketDbPath(dir.path));
    journal = openRequestJournal(db);
    expect(journal.settled(CHAIN, 7n)).toEqual(leases);
    expect(journal.settled(OTHER, 7n)).toBeUndefined();
    // What this requester decided is kept with the verdicts, not here.
    expect(() =>
      journal.recordSettled(CHAIN, 8n, [{ ...leases[0]!, verdict: 'accepted' } as never]),
    ).toThrow();
    // Only a cache: a damaged row means the chain is asked again, not an error.
    db.prepare(
      "UPDATE market_request_settled SET leases = '[{\"slot\":9}]' WHERE job_id = '7'",
    ).run();
    expect(journal.settled(CHAIN, 7n)).toBeUndefined();
    db.prepare("UPDATE market_request_settled SET leases = 'not json' WHERE job_id = '7'").run();
    expect(journal.settled(CHAIN, 7n)).toBeUndefined();
  });

  it('refuses to write a record it could not read back, and says what to do with a bad row', () => {
    const bad = newRequest('post-bad');
    expect(() => journal.begin({ ...bad, record: { ...bad.record, deadline: 'soon' } })).toThrow(
      RequestJournalError,
    );
    expect(journal.list(CHAIN)).toEqual([]);

    journal.begin(newRequest('post-a'));
    db.prepare('UPDATE market_requests SET record = \'{"document":1}\'').run();
    expect(() => journal.list(CHAIN)).toThrow(
      /record of job post-a is not valid[\s\S]*Move jobs\/jobs\.sqlite aside/,
    );
    db.prepare("UPDATE market_requests SET record = 'not json'").run();
    expect(() => journal.list(CHAIN)).toThrow(/record of job post-a is not JSON/);
    db.prepare("UPDATE market_requests SET port = 0, record = '{}'").run();
    expect(() => journal.list(CHAIN)).toThrow(/row of a posted job is not valid/);
  });
});
