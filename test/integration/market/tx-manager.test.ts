// The market's transaction manager against a real Hardhat devnet and a real SQLite file: an action
// is sent once (twice asked, at once or after a restart), a revert is refused before a nonce is
// taken, a slow transaction is re-signed with higher fees, an unreachable node (a TCP proxy that
// the test stops) and a reorganised block are survived, and a nonce taken by someone else or a
// revert on chain ends the record with the reason. Automining is switched off where a test needs
// transactions to wait in the node's pool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import type { TransactionRequest, TransactionResponse } from 'ethers';
import { startDevnet } from '../../../contracts/devnet.ts';
import type { Devnet } from '../../../contracts/devnet.ts';
import { jobMarketInterface } from '../../../contracts/bindings/job-market.ts';
import {
  connectRoostTestToken,
  roostTestTokenInterface,
} from '../../../contracts/bindings/roost-test-token.ts';
import { openMarketDb } from '../../../agent/market/db.ts';
import {
  TxRevertError,
  TxUnavailableError,
  createTxManager,
} from '../../../agent/market/tx-manager.ts';
import type { TxIntent, TxManager, TxManagerOptions } from '../../../agent/market/tx-manager.ts';
import { startTcpProxy } from '../../support/tcp-proxy.ts';
import type { TcpProxy } from '../../support/tcp-proxy.ts';
import { tempDir } from '../../support/temp-dir.ts';

let devnet: Devnet;
let rpc: JsonRpcProvider;
let chainKey: string;
let dir: { path: string; remove: () => Promise<void> };
let dbCount = 0;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  devnet = await startDevnet();
  rpc = providerAt(devnet.rpcUrl);
  const deployBlock = await rpc.getBlock(devnet.deployBlock);
  chainKey = `${devnet.chainId}:${devnet.marketAddress.toLowerCase()}:${deployBlock?.hash ?? ''}`;
  dir = await tempDir('roost-tx-manager-');
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rpc?.destroy();
  await devnet?.stop();
  await dir?.remove();
});

function providerAt(url: string): JsonRpcProvider {
  const provider = new JsonRpcProvider(url, devnet?.chainId ?? 31337, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 100,
  });
  cleanups.push(() => provider.destroy());
  return provider;
}

/** A new key with 1 ETH for gas, so each test counts its own nonces from 0. */
async function fundedWallet(): Promise<Wallet> {
  const wallet = Wallet.createRandom();
  const funder = await rpc.getSigner(devnet.accounts[9]);
  await (await funder.sendTransaction({ to: wallet.address, value: parseEther('1') })).wait();
  return new Wallet(wallet.privateKey);
}

function dbPath(): string {
  dbCount += 1;
  return join(dir.path, `journal-${dbCount}.sqlite`);
}

function openDb(path: string): DatabaseSync {
  const db = openMarketDb(path);
  cleanups.push(() => {
    if (db.isOpen) db.close();
  });
  return db;
}

interface Harness {
  manager: TxManager;
  lines: string[];
  db: DatabaseSync;
}

function managerFor(
  signer: Wallet,
  options: Partial<TxManagerOptions> & { path?: string } = {},
): Harness {
  const lines: string[] = [];
  const db = openDb(options.path ?? dbPath());
  const manager = createTxManager({
    db,
    signer,
    chainKey,
    pollMs: 50,
    bumpAfterMs: 60_000,
    log: {
      debug: (m) => lines.push(`debug ${m}`),
      info: (m) => lines.push(`info ${m}`),
      warn: (m) => lines.push(`warn ${m}`),
      error: (m) => lines.push(`error ${m}`),
    },
    ...options,
  });
  return { manager, lines, db };
}

function approve(key: string, amount = 1n): TxIntent {
  return {
    key,
    to: devnet.tokenAddress,
    data: roostTestTokenInterface.encodeFunctionData('approve', [devnet.marketAddress, amount]),
    label: `approve ${amount}`,
  };
}

const mined = (address: string): Promise<number> => rpc.getTransactionCount(address, 'latest');
const queued = (address: string): Promise<number> => rpc.getTransactionCount(address, 'pending');

async function withoutAutomine<T>(work: () => Promise<T>): Promise<T> {
  await rpc.send('evm_setAutomine', [false]);
  try {
    return await work();
  } finally {
    await rpc.send('evm_setAutomine', [true]);
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** How many of `hashes` have a receipt on chain. */
async function receipts(hashes: string[]): Promise<number> {
  const found = await Promise.all(hashes.map((h) => rpc.getTransactionReceipt(h)));
  return found.filter((r) => r !== null).length;
}

describe('TxManager', () => {
  it('sends an action once: the same key twice, one after the other or at once, is one transaction', async () => {
    const wallet = await fundedWallet();
    const { manager, lines } = managerFor(wallet.connect(providerAt(devnet.rpcUrl)));

    const first = await manager.execute(approve('approve:a'));
    expect(first).toMatchObject({ state: 'mined', nonce: 0, attempts: 1 });
    // The Activity list (info and up) says what came of it; the steps go to the log file only.
    expect(lines).toContain(`debug approve 1: signed tx ${first.hash} (nonce 0, approve:a)`);
    expect(lines.filter((l) => l.startsWith('info') && l.includes(first.hash))).toEqual([
      expect.stringMatching(/^info approve 1: done \(transaction 0x[0-9a-f]{64}\)$/),
    ]);
    expect(first.hashes).toEqual([first.hash]);
    const again = await manager.execute(approve('approve:a', 5n));
    expect(again.hash).toBe(first.hash);
    expect(await mined(wallet.address)).toBe(1);

    const [b1, b2, c] = await Promise.all([
      manager.send(approve('approve:b')),
      manager.send(approve('approve:b')),
      manager.send(approve('approve:c')),
    ]);
    expect(b2.hash).toBe(b1.hash);
    expect(new Set([b1.nonce, c.nonce])).toEqual(new Set([1, 2]));
    const done = await Promise.all([manager.wait('approve:b'), manager.wait('approve:c')]);
    expect(done.map((r) => r.state)).toEqual(['mined', 'mined']);
    expect(await mined(wallet.address)).toBe(3);
    expect(manager.list().map((r) => r.key)).toEqual(['approve:c', 'approve:b', 'approve:a']);
    expect(manager.pending()).toEqual([]);
  });

  it('after a restart, sends the stored bytes of a transaction whose broadcast failed, and only once', async () => {
    const wallet = await fundedWallet();
    const path = dbPath();

    class DeadBroadcast extends JsonRpcProvider {
      override broadcastTransaction(): Promise<TransactionResponse> {
        return Promise.reject(
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
        );
      }
    }
    const dead = new DeadBroadcast(devnet.rpcUrl, devnet.chainId, { staticNetwork: true });
    cleanups.push(() => dead.destroy());
    const before = managerFor(wallet.connect(dead), { path });
    const stored = await before.manager.send(approve('claim:12'));
    expect(stored).toMatchObject({ state: 'pending', nonce: 0, attempts: 1 });
    expect(stored.error).toMatch(/^waiting for the chain to answer \(ECONNREFUSED\)/);
    expect(await rpc.getTransaction(stored.hash)).toBeNull();
    expect(await queued(wallet.address)).toBe(0);
    // The chain knows nothing of nonce 0 yet; the journal does, so the next action takes 1.
    const next = await before.manager.send(approve('submit:12:0'));
    expect(next).toMatchObject({ state: 'pending', nonce: 1 });
    before.db.close();

    const after = managerFor(wallet.connect(providerAt(devnet.rpcUrl)), { path });
    expect(after.manager.pending().map((r) => r.key)).toEqual(['claim:12', 'submit:12:0']);
    // Asked again after the restart: the stored record, nothing new signed or sent.
    expect((await after.manager.send(approve('claim:12'))).hash).toBe(stored.hash);
    expect(await queued(wallet.address)).toBe(0);

    const done = await after.manager.wait('claim:12');
    expect(done).toMatchObject({ state: 'mined', hash: stored.hash, hashes: [stored.hash] });
    expect(done.error).toBeUndefined();
    expect((await rpc.getTransactionReceipt(stored.hash))?.blockNumber).toBe(done.blockNumber);
    expect(await mined(wallet.address)).toBe(1);
    expect(await after.manager.wait('submit:12:0')).toMatchObject({
      state: 'mined',
      hash: next.hash,
    });
    expect(after.manager.pending()).toEqual([]);
    expect((await after.manager.wait('claim:12')).hash).toBe(stored.hash);
    expect(await mined(wallet.address)).toBe(2);
  });

  it('refuses a call that would revert, with the decoded error, taking no nonce and writing no row', async () => {
    const wallet = await fundedWallet();
    const { manager } = managerFor(wallet.connect(providerAt(devnet.rpcUrl)));
    const claim: TxIntent = {
      key: 'claim:999999',
      to: devnet.marketAddress,
      data: jobMarketInterface.encodeFunctionData('claimJob', [999_999n]),
      label: 'claim job 999999',
    };

    const refused = await manager.send(claim).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TxRevertError);
    expect((refused as TxRevertError).errorName).toBe('UnknownJob');
    expect((refused as TxRevertError).reason).toBe('this market has no job 999999 (UnknownJob)');
    expect((refused as Error).message).toMatch(/^The chain would refuse "claim job 999999"/);
    expect(manager.get('claim:999999')).toBeUndefined();
    expect(manager.list()).toEqual([]);
    expect(await queued(wallet.address)).toBe(0);

    const withdraw: TxIntent = {
      key: 'withdraw:0',
      to: devnet.marketAddress,
      data: jobMarketInterface.encodeFunctionData('withdraw', [0n]),
      label: 'withdraw nothing',
    };
    await expect(manager.execute(withdraw)).rejects.toMatchObject({ errorName: 'ZeroAmount' });
    expect((await manager.execute(approve('approve:after'))).nonce).toBe(0);
  });

  it('re-signs the same nonce with higher fees when the transaction is not mined in time', async () => {
    const wallet = await fundedWallet();
    const { manager, lines } = managerFor(wallet.connect(providerAt(devnet.rpcUrl)), {
      bumpAfterMs: 300,
    });

    await withoutAutomine(async () => {
      const sent = await manager.send(approve('submit:12:0'));
      const waiting = manager.wait('submit:12:0');
      await until('a replacement is signed', () => manager.get('submit:12:0')!.hashes.length >= 2);
      const bumped = manager.get('submit:12:0')!;
      expect(bumped.hashes[0]).toBe(sent.hash);
      expect(BigInt(bumped.maxFeePerGas)).toBeGreaterThanOrEqual(
        (BigInt(sent.maxFeePerGas) * 120n) / 100n,
      );
      expect(BigInt(bumped.maxPriorityFeePerGas)).toBeGreaterThanOrEqual(
        (BigInt(sent.maxPriorityFeePerGas) * 120n) / 100n,
      );
      // The node holds the replacement, not the original.
      await until('the node holds the replacement', async () => {
        const held = await rpc.getTransaction(bumped.hashes[1]!);
        return held !== null;
      });
      expect(await rpc.getTransaction(sent.hash)).toBeNull();

      await rpc.send('evm_mine', []);
      const done = await waiting;
      expect(done.state).toBe('mined');
      expect(done.hashes.slice(1)).toContain(done.hash);
      expect(await receipts(done.hashes)).toBe(1);
      expect(await mined(wallet.address)).toBe(1);
      expect(lines.some((l) => /not mined after 300 ms; replaced by/.test(l))).toBe(true);
    });
  });

  it('waits instead of bumping past the fee cap', async () => {
    const wallet = await fundedWallet();
    const cap = (await rpc.getFeeData()).maxFeePerGas!;
    const { manager, lines } = managerFor(wallet.connect(providerAt(devnet.rpcUrl)), {
      bumpAfterMs: 100,
      maxFeePerGasCap: cap,
    });

    await withoutAutomine(async () => {
      const sent = await manager.send(approve('finalize:12:0'));
      expect(BigInt(sent.maxFeePerGas)).toBeLessThanOrEqual(cap);
      const waiting = manager.wait('finalize:12:0');
      await until('the cap is reported', () => lines.some((l) => /would pass the cap/.test(l)));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(manager.get('finalize:12:0')!.hashes).toEqual([sent.hash]);
      await rpc.send('evm_mine', []);
      expect(await waiting).toMatchObject({ state: 'mined', hash: sent.hash });
    });
  });

  describe('with the node behind a proxy', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      proxy = await startTcpProxy(devnet.rpcUrl);
      cleanups.push(() => proxy.close());
    });

    it('keeps a transaction stored while the node is down at its broadcast, and sends it when it is back', async () => {
      const key = (await fundedWallet()).privateKey;
      // The node goes away between signing and broadcasting: the worst moment.
      class DownAfterSigning extends Wallet {
        override async signTransaction(tx: TransactionRequest): Promise<string> {
          const raw = await super.signTransaction(tx);
          await proxy.stop();
          return raw;
        }
      }
      const wallet = new DownAfterSigning(key, providerAt(proxy.url));
      const { manager, lines } = managerFor(wallet);

      const stored = await manager.send(approve('claim:7'));
      expect(proxy.running).toBe(false);
      expect(stored.state).toBe('pending');
      expect(stored.error).toMatch(/^waiting for the chain to answer/);
      expect(await rpc.getTransaction(stored.hash)).toBeNull();

      const waiting = manager.wait('claim:7');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(manager.get('claim:7')!.state).toBe('pending');
      expect(await queued(wallet.address)).toBe(0);
      await proxy.start();

      const done = await waiting;
      expect(done).toMatchObject({ state: 'mined', hash: stored.hash, hashes: [stored.hash] });
      expect(done.error).toBeUndefined();
      expect(await mined(wallet.address)).toBe(1);
      expect(lines.some((l) => /^info the chain answers again/.test(l))).toBe(true);
    });

    it('refuses to prepare while the node is down, signing and storing nothing', async () => {
      const wallet = (await fundedWallet()).connect(providerAt(proxy.url));
      const { manager } = managerFor(wallet);
      await proxy.stop();
      try {
        const refused = await manager.send(approve('withdraw:1')).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(TxUnavailableError);
        expect((refused as Error).message).toMatch(/did not answer .*nothing was signed or sent/);
        expect(manager.list()).toEqual([]);
      } finally {
        await proxy.start();
      }
      expect(await manager.execute(approve('withdraw:1'))).toMatchObject({
        state: 'mined',
        nonce: 0,
      });
    });
  });

  it('sends a transaction again when its block is reorganised away', async () => {
    const wallet = await fundedWallet();
    const told: string[] = [];
    const { manager, lines } = managerFor(wallet.connect(providerAt(devnet.rpcUrl)), {
      confirmations: 2,
      onReorganised: (record, change) => told.push(`${record.key} ${change} ${record.state}`),
    });

    await withoutAutomine(async () => {
      const snapshot: unknown = await rpc.send('evm_snapshot', []);
      const sent = await manager.send(approve('submit:3:1'));
      const waiting = manager.wait('submit:3:1');
      await rpc.send('evm_mine', []);
      await until('it is seen mined', () => manager.get('submit:3:1')!.state === 'mined');
      const first = manager.get('submit:3:1')!;

      await rpc.send('evm_revert', [snapshot]);
      expect(await rpc.getTransactionReceipt(sent.hash)).toBeNull();
      expect(await queued(wallet.address)).toBe(0);
      await until('it is sent again', async () => (await queued(wallet.address)) === 1);
      expect(manager.get('submit:3:1')!.state).toBe('pending');
      expect(told).toEqual(['submit:3:1 dropped pending']);
      // In words, with the whole hash; the block number means nothing to the owner.
      expect(lines).toContain(
        `warn approve 1: transaction ${sent.hash} was dropped when the chain replaced its latest blocks; sending it again`,
      );
      const shown = lines.filter((l) => !l.startsWith('debug '));
      expect(shown.join('\n')).not.toMatch(/\bblock \d/);

      await rpc.send('evm_mine', []);
      await rpc.send('evm_mine', []);
      const done = await waiting;
      expect(done).toMatchObject({ state: 'mined', hash: sent.hash });
      expect(done.blockNumber).toBe(first.blockNumber);
      expect(told).toEqual(['submit:3:1 dropped pending', 'submit:3:1 back mined']);
      const receipt = await rpc.getTransactionReceipt(sent.hash);
      expect(receipt?.blockHash).not.toBe(undefined);
      expect(await mined(wallet.address)).toBe(1);
    });

    // Found out only when asked again: the record says mined, the chain no longer has it.
    const snapshot: unknown = await rpc.send('evm_snapshot', []);
    const more = await manager.send(approve('submit:3:2'));
    await rpc.send('evm_mine', []);
    expect(await manager.wait('submit:3:2')).toMatchObject({ state: 'mined', hash: more.hash });
    await rpc.send('evm_revert', [snapshot]);
    expect(await mined(wallet.address)).toBe(1);
    const again = manager.wait('submit:3:2');
    await until('it is mined again', async () => (await mined(wallet.address)) === 2);
    await rpc.send('evm_mine', []);
    expect(await again).toMatchObject({ state: 'mined', hash: more.hash });
    expect(await mined(wallet.address)).toBe(2);
    // Told once each, however many waited.
    expect(told.slice(2)).toEqual(['submit:3:2 dropped pending', 'submit:3:2 back mined']);
  });

  it('gives a record up as failed when its nonce is taken by a transaction not of ours, then sends it anew', async () => {
    const wallet = (await fundedWallet()).connect(providerAt(devnet.rpcUrl));
    const { manager } = managerFor(wallet);

    await withoutAutomine(async () => {
      const sent = await manager.send(approve('claim:5'));
      const waiting = manager.wait('claim:5');
      // The same key used elsewhere (another app holding the mnemonic) outbids it for the nonce.
      const fees = await rpc.getFeeData();
      const other = await wallet.sendTransaction({
        to: wallet.address,
        nonce: sent.nonce,
        gasLimit: 21_000n,
        maxFeePerGas: fees.maxFeePerGas! * 3n,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas! * 3n,
      });
      await rpc.send('evm_mine', []);
      const done = await waiting;
      expect(done.state).toBe('failed');
      expect(done.error).toMatch(
        /^Nonce 0 of 0x[0-9a-fA-F]{40} was used by a transaction that is not one of ours/,
      );
      expect(await rpc.getTransactionReceipt(other.hash)).not.toBeNull();
      expect(await receipts(done.hashes)).toBe(0);
    });

    const anew = await manager.execute(approve('claim:5'));
    expect(anew).toMatchObject({ state: 'mined', nonce: 1 });
    expect(manager.list()).toHaveLength(1);
  });

  it('records a revert on chain with its decoded reason', async () => {
    const wallet = (await fundedWallet()).connect(providerAt(devnet.rpcUrl));
    const { manager } = managerFor(wallet);
    const funder = await rpc.getSigner(devnet.accounts[8]);
    const token = connectRoostTestToken(devnet.tokenAddress, funder);
    await (await token.transfer(wallet.address, 100n)).wait();
    const allow: TxIntent = {
      key: 'approve:funder',
      to: devnet.tokenAddress,
      data: roostTestTokenInterface.encodeFunctionData('approve', [devnet.accounts[8], 100n]),
      label: 'let the funder take 100',
    };
    expect((await manager.execute(allow)).state).toBe('mined');

    await withoutAutomine(async () => {
      const transfer: TxIntent = {
        key: 'transfer:100',
        to: devnet.tokenAddress,
        data: roostTestTokenInterface.encodeFunctionData('transfer', [devnet.accounts[7], 100n]),
        label: 'pay 100',
      };
      const sent = await manager.send(transfer);
      expect(sent.state).toBe('pending');
      // Ahead of it in the same block (a higher tip), the funder takes the 100 first.
      const fees = await rpc.getFeeData();
      await token.transferFrom(wallet.address, devnet.accounts[8]!, 100n, {
        gasLimit: 100_000n,
        maxFeePerGas: fees.maxFeePerGas! * 5n,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas! * 5n,
      });
      await rpc.send('evm_mine', []);
      const done = await manager.wait('transfer:100');
      expect(done.state).toBe('reverted');
      // No token known here: the amounts in base units.
      expect(done.error).toBe(
        'It failed on the chain: the wallet holds only 0 base units, not the 100 base units needed (ERC20InsufficientBalance).',
      );
      expect(done.error).not.toMatch(/block/);
      expect(done.gasUsed).toMatch(/^\d+$/);
    });
  });

  it('checks that the signer is on the chain of the chain key', async () => {
    const wallet = (await fundedWallet()).connect(providerAt(devnet.rpcUrl));
    const { manager } = managerFor(wallet, { chainKey: `1:${devnet.marketAddress}:0xabc` });
    await expect(manager.send(approve('approve:x'))).rejects.toThrow(
      /signer's chain is 31337 but the market transactions are for chain 1/,
    );
    expect(await queued(wallet.address)).toBe(0);
  });
});
