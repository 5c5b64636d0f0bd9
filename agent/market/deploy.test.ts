import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Wallet, type Provider, type TransactionRequest } from 'ethers';
import { roostTestTokenInterface } from '../../contracts/bindings/roost-test-token.ts';
import type { WalletStatus } from '../wallet/schema.ts';
import { createWalletService, type WalletService } from '../wallet/service.ts';
import type { NetworkSettings } from '../wallet/network.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import {
  createMarketDeployer,
  deployMarket,
  roughly,
  type DeployError,
  type DeployedNetwork,
  type MarketDeployerOptions,
} from './deploy.ts';

const LIGHT_SCRYPT = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'the lab password';
const RPC = 'http://10.0.0.5:8545';
const GWEI = 10n ** 9n;
const lab = Wallet.createRandom();

function walletStatus(state: WalletStatus['state'], keystoreFile = '/nowhere'): WalletStatus {
  return {
    state,
    address: state === 'none' ? null : lab.address,
    workSigning: state === 'unlocked',
    autoLock: { afterMs: null, at: null },
    origin: null,
    keystoreFile,
    pendingCreation: null,
    problem:
      state === 'damaged'
        ? { code: 'WALLET_KEYSTORE_DAMAGED', message: 'The wallet file is damaged.' }
        : null,
  };
}

interface Chain {
  chainId: number;
  balance: bigint;
  /** Code at each address (lower case); absent: none. */
  code: Record<string, string>;
  /** How the token at an address answers symbol() and decimals(); absent: a revert. */
  erc20: Record<string, { symbol: string; decimals: number }>;
}

/** Just enough of a lab's chain for the checks before a deploy; it counts what is asked. */
function labChain(chain: Partial<Chain> = {}) {
  const c: Chain = { chainId: 4242, balance: 0n, code: {}, erc20: {}, ...chain };
  const asked: string[] = [];
  const provider = {
    getNetwork: async () => ({ chainId: BigInt(c.chainId) }),
    getCode: async (address: string) => c.code[address.toLowerCase()] ?? '0x',
    getBalance: async () => c.balance,
    getTransactionCount: async () => 0,
    estimateGas: async (tx: TransactionRequest) =>
      String(tx.data).length > 20_000 ? 3_300_000n : 560_000n,
    getFeeData: async () => ({ maxFeePerGas: 2n * GWEI, gasPrice: GWEI }),
    call: async (tx: TransactionRequest) => {
      const token = c.erc20[String(tx.to).toLowerCase()];
      const fn = roostTestTokenInterface.getFunction(String(tx.data).slice(0, 10));
      if (!token || !fn) throw Object.assign(new Error('execution reverted'), { data: '0x' });
      return roostTestTokenInterface.encodeFunctionResult(fn, [
        fn.name === 'symbol' ? token.symbol : token.decimals,
      ]);
    },
    broadcastTransaction: async () => {
      asked.push('broadcast');
      throw new Error('a check should have refused before anything was sent');
    },
    destroy: () => asked.push('destroy'),
  } as unknown as Provider;
  return { provider, asked };
}

function options(
  state: WalletStatus['state'],
  chain: ReturnType<typeof labChain>,
  extra: Partial<MarketDeployerOptions> = {},
) {
  const saved: DeployedNetwork[] = [];
  let connected = 0;
  const opts: MarketDeployerOptions = {
    wallet: {
      status: async () => walletStatus(state),
      userKey: async () => lab,
    },
    connect: async () => {
      connected++;
      return chain.provider;
    },
    settings: (): NetworkSettings => ({ name: 'local', rpcUrl: null, marketAddress: null }),
    chainIdAt: async () => 4242,
    save: async (network) => {
      saved.push(network);
      return { ok: true };
    },
    ...extra,
  };
  return { opts, saved, connected: () => connected };
}

async function refusal(promise: Promise<unknown>): Promise<DeployError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a refusal');
  return error as DeployError;
}

describe('deployMarket refuses, sending and saving nothing', () => {
  it('without a wallet, or with a damaged one, before it asks the chain anything', async () => {
    for (const [state, code] of [
      ['none', 'WALLET_NONE'],
      ['pending', 'WALLET_NONE'],
      ['damaged', 'WALLET_KEYSTORE_DAMAGED'],
    ] as const) {
      const chain = labChain({ balance: 10n ** 18n });
      const { opts, saved, connected } = options(state, chain);
      const e = await refusal(deployMarket({ rpcUrl: RPC }, opts));
      expect(e).toMatchObject({ code });
      expect(e.message).toContain('Nothing was deployed.');
      expect(connected()).toBe(0);
      expect(saved).toEqual([]);
    }
  });

  it('with a locked wallet and no password, saying how to unlock it', async () => {
    const { opts, connected } = options('locked', labChain());
    const e = await refusal(deployMarket({ rpcUrl: RPC }, opts));
    expect(e).toMatchObject({ code: 'WALLET_LOCKED' });
    expect(e.message).toBe(
      'The wallet is locked: unlock it (roost wallet unlock), or give its password, to deploy a market. Nothing was deployed.',
    );
    expect(connected()).toBe(0);
  });

  describe("with a wrong password for the real wallet's keystore", () => {
    let dir: { path: string; remove: () => Promise<void> };
    let wallet: WalletService;
    beforeAll(async () => {
      dir = await tempDir('roost-deploy-key-');
      wallet = createWalletService({ dataDir: dir.path, scrypt: LIGHT_SCRYPT });
      await wallet.importWallet({
        kind: 'privateKey',
        privateKey: lab.privateKey,
        password: PASSWORD,
      });
      await wallet.lock();
    });
    afterAll(async () => {
      await wallet?.close();
      await dir?.remove();
    });

    it('says so without quoting it; the right one opens the key, and the wallet stays locked', async () => {
      const chain = labChain();
      const { opts, connected } = options('locked', chain, { wallet });
      for (const password of ['not the password', '']) {
        const e = await refusal(deployMarket({ rpcUrl: RPC, password }, opts));
        expect(e).toMatchObject({ code: 'WALLET_WRONG_PASSWORD' });
        if (password) expect(e.message).not.toContain(password);
      }
      expect(connected()).toBe(0);
      // The right password goes on to the chain (and stops at the fees: the wallet has no coin).
      const e = await refusal(deployMarket({ rpcUrl: RPC, password: PASSWORD }, opts));
      expect(e).toMatchObject({ code: 'WALLET_INSUFFICIENT_BALANCE' });
      expect(connected()).toBe(1);
      expect((await wallet.status()).state).toBe('locked');
    });
  });

  describe('when the node does not answer', () => {
    let closed: Server;
    let url: string;
    beforeAll(async () => {
      // A port that was listened on and let go: nothing answers there.
      closed = createServer();
      await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
      url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise<void>((done) => closed.close(() => done()));
    });

    it('names the URL and says it must be reachable from this machine', async () => {
      const { opts, saved } = options('unlocked', labChain());
      delete opts.connect;
      const e = await refusal(deployMarket({ rpcUrl: url }, opts));
      expect(e).toMatchObject({ code: 'NETWORK_UNAVAILABLE' });
      expect(e.message).toContain(`The node at ${url} did not answer`);
      expect(e.message).toContain('reachable from this machine');
      expect(e.message).toContain('Nothing was deployed.');
      expect(saved).toEqual([]);
    });
  });

  it('when the wallet has no coin for the fees there, naming it, the chain and about how much', async () => {
    const chain = labChain({ balance: 10n ** 15n });
    const { opts, saved } = options('unlocked', chain);
    const e = await refusal(deployMarket({ rpcUrl: RPC }, opts));
    expect(e).toMatchObject({ code: 'WALLET_INSUFFICIENT_BALANCE' });
    // (560,000 + 3,300,000 + 100,000 faucet) gas, a fifth more, at 2 gwei.
    expect(e.message).toBe(
      `The wallet ${lab.address} has 0.001 ETH on chain 4242 (${RPC}), and a deploy needs about 0.0096 ETH for its fees (3 transactions, about 3,960,000 gas). Send ETH on that chain to ${lab.address}, then deploy again. Nothing was deployed.`,
    );
    expect(chain.asked).toEqual(['destroy']);
    expect(saved).toEqual([]);
  });

  it('a token with no code, one that is no ERC-20, odd decimals or a wrong checksum', async () => {
    const none = '0x' + '1'.repeat(40);
    const notErc20 = '0x' + '2'.repeat(40);
    const odd = '0x' + '3'.repeat(40);
    const chain = labChain({
      balance: 10n ** 18n,
      code: { [notErc20]: '0x60', [odd]: '0x60' },
      erc20: { [odd]: { symbol: 'ODD', decimals: 77 } },
    });
    const { opts, saved } = options('unlocked', chain);
    const said = async (token: string) => {
      const e = await refusal(deployMarket({ rpcUrl: RPC, token }, opts));
      expect(e.code).toBe('INVALID_PARAMS');
      expect(e.message).toContain('Nothing was deployed.');
      return e.message;
    };
    expect(await said(none)).toContain(
      `There is no contract at 0x1111111111111111111111111111111111111111 on chain 4242 (${RPC}): the token must be an ERC-20 already on that chain.`,
    );
    expect(await said(notErc20)).toContain(
      'does not answer symbol() and decimals() as an ERC-20 token does',
    );
    expect(await said(odd)).toContain('says it has 77 decimals; Roost takes tokens with 0 to 36');
    expect(await said('0x52908400098527886E0F7030069857D2E4169Ee7'.replace('E', 'e'))).toContain(
      'wrong checksum',
    );
    expect(chain.asked.filter((a) => a === 'broadcast')).toEqual([]);
    expect(saved).toEqual([]);
  });

  it('while this Roost holds leases not paid yet, which moving to the new market would abandon', async () => {
    const chain = labChain({ balance: 10n ** 18n });
    const { opts, saved, connected } = options('unlocked', chain, { heldLeases: () => 2 });
    const e = await refusal(deployMarket({ rpcUrl: RPC, replace: true }, opts));
    expect(e).toMatchObject({ code: 'UNAVAILABLE' });
    expect(e.message).toBe(
      'This Roost holds 2 market leases that are not paid yet on the market it works on now. A deploy moves it to the new market, and those leases would be left to expire, losing their collateral. Wait until they are paid (roost market jobs shows where each stands), or deploy from another data folder. Nothing was deployed.',
    );
    expect(connected()).toBe(0);
    expect(saved).toEqual([]);
    // None held: on to the next check.
    const free = options('unlocked', labChain(), { heldLeases: () => 0 });
    expect((await refusal(deployMarket({ rpcUrl: RPC }, free.opts))).code).toBe(
      'WALLET_INSUFFICIENT_BALANCE',
    );
  });

  it('a second market on the chain this Roost already works on, unless asked to replace it', async () => {
    const current = (): NetworkSettings => ({
      name: 'custom',
      rpcUrl: 'http://10.0.0.6:8545',
      marketAddress: '0x' + '4'.repeat(40),
    });
    const same = options('unlocked', labChain(), { settings: current });
    const e = await refusal(deployMarket({ rpcUrl: RPC }, same.opts));
    expect(e).toMatchObject({ code: 'INVALID_PARAMS' });
    expect(e.message).toContain(
      `This Roost already works on market 0x${'4'.repeat(40)} on chain 4242 (http://10.0.0.6:8545)`,
    );
    expect(e.message).toContain('roost market deploy --replace');
    // Replacing, or another chain, or a current node that does not answer: on to the next check.
    for (const extra of [
      { settings: current, replace: true },
      { settings: current, chainIdAt: async () => 1 },
      { settings: current, chainIdAt: () => Promise.reject(new Error('down')) },
    ]) {
      const { replace, ...rest } = { replace: false, ...extra };
      const { opts } = options('unlocked', labChain(), rest);
      const next = await refusal(deployMarket({ rpcUrl: RPC, replace }, opts));
      expect(next.code).toBe('WALLET_INSUFFICIENT_BALANCE');
    }
  });
});

describe('createMarketDeployer', () => {
  it('runs one deploy at a time', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<WalletStatus>((resolve) => {
      release = () => resolve(walletStatus('none'));
    });
    let calls = 0;
    const { opts } = options('unlocked', labChain(), {
      wallet: {
        // The first deploy waits on the wallet until released; the next ones do not.
        status: () => (calls++ === 0 ? held : Promise.resolve(walletStatus('none'))),
        userKey: async () => lab,
      },
    });
    const deploy = createMarketDeployer(opts);
    const first = refusal(deploy({ rpcUrl: RPC }));
    const second = await refusal(deploy({ rpcUrl: RPC }));
    expect(second).toMatchObject({ code: 'UNAVAILABLE' });
    expect(second.message).toContain('A market deploy is already running');
    release();
    expect(await first).toMatchObject({ code: 'WALLET_NONE' });
    // Done: the next one runs.
    expect(await refusal(deploy({ rpcUrl: RPC }))).toMatchObject({ code: 'WALLET_NONE' });
  });
});

describe('roughly', () => {
  it('rounds a coin amount up to two significant digits', () => {
    expect(roughly(0n)).toBe('0');
    expect(roughly(9_504_000_000_000_000n)).toBe('0.0096');
    expect(roughly(1_500_000_000_000_000_000n)).toBe('1.5');
    expect(roughly(7n)).toBe('0.000000000000000007');
  });
});
