import { afterEach, describe, expect, it } from 'vitest';
import { Wallet } from 'ethers';
import { tempDir } from '../../test/support/temp-dir.ts';
import { isWalletError } from './errors.ts';
import type { WalletEvent } from './schema.ts';
import { createWalletService } from './service.ts';
import type { WalletService } from './service.ts';
import { fakeChain } from './testing/fake-chain.ts';
import type { FakeChain } from './testing/fake-chain.ts';
import { fakeClock } from './testing/fake-clock.ts';
import type { FakeClock } from './testing/fake-clock.ts';

const PASSWORD = 'fake chain password';
const RECIPIENT = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function setup(): Promise<{
  wallet: WalletService;
  chain: FakeChain;
  clock: FakeClock;
  events: WalletEvent[];
  lines: string[];
}> {
  const dir = await tempDir();
  const chain = fakeChain();
  const clock = fakeClock();
  const events: WalletEvent[] = [];
  const lines: string[] = [];
  const wallet = createWalletService({
    dataDir: dir.path,
    network: async () => chain.network,
    scrypt: { N: 1024, r: 8, p: 1 },
    now: clock.now,
    timers: clock.timers,
    receiptPollMs: 1000,
    log: {
      debug: () => {},
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error: (m) => lines.push(m),
    },
    onEvent: (e) => events.push(e),
  });
  closers.push(async () => {
    await wallet.close();
    await dir.remove();
  });
  await wallet.importWallet({
    kind: 'privateKey',
    privateKey: Wallet.createRandom().privateKey,
    password: PASSWORD,
  });
  return { wallet, chain, clock, events, lines };
}

async function failure(run: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run;
  } catch (error) {
    if (isWalletError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a WalletError');
}

describe('confirm', () => {
  it('sends exactly the prepared transaction: recipient, value, gas limit and fee caps', async () => {
    const { wallet, chain } = await setup();
    const prepared = await wallet.prepareSend({ to: RECIPIENT, amount: '0.5', asset: 'native' });
    expect(prepared.fee).toMatchObject({
      gasLimit: '21000',
      max: { baseUnits: (21_000n * 3_000_000_000n).toString() },
      estimated: { baseUnits: (21_000n * 2_000_000_000n).toString() },
    });
    const sent = await wallet.confirm({ id: prepared.id });
    expect(chain.broadcast).toHaveLength(1);
    const tx = chain.broadcast[0];
    expect(tx).toMatchObject({
      to: RECIPIENT,
      value: 500_000_000_000_000_000n,
      gasLimit: 21_000n,
      maxFeePerGas: 3_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      chainId: 31337n,
      nonce: 0,
      data: '0x',
      hash: sent.hash,
    });
    expect(tx?.from).toBe(sent.from);
  });

  it('sends once when confirmed twice at the same moment (a double click)', async () => {
    const { wallet, chain } = await setup();
    const prepared = await wallet.prepareSend({ to: RECIPIENT, amount: '0.1', asset: 'native' });
    const results = await Promise.allSettled([
      wallet.confirm({ id: prepared.id }),
      wallet.confirm({ id: prepared.id }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(isWalletError(rejected?.reason, 'WALLET_PREPARED_USED')).toBe(true);
    expect(chain.broadcast).toHaveLength(1);
  });

  it('keeps the confirmation usable when the nonce cannot be read (nothing was signed)', async () => {
    const { wallet, chain } = await setup();
    const prepared = await wallet.prepareSend({ to: RECIPIENT, amount: '0.1', asset: 'native' });
    chain.down.nonce = true;
    expect((await failure(wallet.confirm({ id: prepared.id }))).code).toBe('NETWORK_UNAVAILABLE');
    chain.down.nonce = false;
    await wallet.confirm({ id: prepared.id });
    expect(chain.broadcast).toHaveLength(1);
  });

  it('when the broadcast gets no answer, names the hash and never resends on its own', async () => {
    const { wallet, chain } = await setup();
    const prepared = await wallet.prepareSend({ to: RECIPIENT, amount: '0.1', asset: 'native' });
    chain.down.broadcast = true;
    const lost = await failure(wallet.confirm({ id: prepared.id }));
    expect(lost.code).toBe('NETWORK_UNAVAILABLE');
    const hash = /look for transaction (0x[0-9a-f]{64}) in the history/.exec(lost.message)?.[1];
    expect(hash).toBeDefined();
    chain.down.broadcast = false;
    const again = await failure(wallet.confirm({ id: prepared.id }));
    expect(again.code).toBe('WALLET_PREPARED_USED');
    expect(again.message).toContain(`the transaction (${hash}) may or may not be on the chain`);
    expect(chain.broadcast).toHaveLength(0);
  });

  it('follows the receipt: submitted, then mined with the fee paid; or unknown when the wait ends', async () => {
    const { wallet, chain, clock, events } = await setup();
    const first = await wallet.confirm({
      id: (await wallet.prepareSend({ to: RECIPIENT, amount: '0.1', asset: 'native' })).id,
    });
    expect(first.status).toBe('submitted');
    chain.receipts.set(first.hash, { status: 1, blockNumber: 11, fee: 42_000n });
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    const updates = events.flatMap((e) => (e.event === 'wallet.transaction' ? [e.payload] : []));
    expect(updates.map((u) => u.status)).toEqual(['submitted', 'mined']);
    expect(updates[1]).toMatchObject({
      blockNumber: 11,
      feePaid: { baseUnits: '42000', symbol: 'ETH' },
    });

    const second = await wallet.prepareSend({ to: RECIPIENT, amount: '0.1', asset: 'native' });
    const waiting = wallet.confirm({ id: second.id, wait: true });
    await new Promise((r) => setImmediate(r));
    clock.advance(120_000);
    expect(await waiting).toMatchObject({ status: 'unknown', blockNumber: null });
  });

  it('reports a transaction that failed on chain', async () => {
    const { wallet, chain, clock, events } = await setup();
    const sent = await wallet.confirm({
      id: (await wallet.prepareSend({ to: RECIPIENT, amount: '0.1', asset: 'native' })).id,
    });
    chain.receipts.set(sent.hash, { status: 0, blockNumber: 12, fee: 30_000n });
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(events.at(-1)).toMatchObject({
      event: 'wallet.transaction',
      payload: { status: 'failed', blockNumber: 12 },
    });
  });

  it('says in the Activity list what came of it, with the whole hash and no block number', async () => {
    const { wallet, chain, clock, lines } = await setup();
    const prepare = () => wallet.prepareSend({ to: RECIPIENT, amount: '0.1', asset: 'native' });
    const mined = await wallet.confirm({ id: (await prepare()).id });
    chain.receipts.set(mined.hash, { status: 1, blockNumber: 11, fee: 42_000n });
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    const failed = await wallet.confirm({ id: (await prepare()).id });
    chain.receipts.set(failed.hash, { status: 0, blockNumber: 12, fee: 30_000n });
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    // The block is kept in the transaction's record (wallet.transaction) for support.
    expect(lines.filter((l) => /confirmed|failed/.test(l))).toEqual([
      `Sent 0.1 ETH to ${RECIPIENT}: confirmed. Transaction ${mined.hash}.`,
      `The transfer failed on the chain: nothing moved but the fee. Transaction ${failed.hash}.`,
    ]);
    expect(lines.join('\n')).not.toMatch(/block/i);
  });
});
