import { describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Provider } from 'ethers';
import { tempDir } from '../../test/support/temp-dir.ts';
import { isWalletError } from './errors.ts';
import {
  createNetworkSource,
  findDeployBlock,
  isTestNetwork,
  isUnreachable,
  networkInfo,
  realTokensProblem,
  tokensDecidedBy,
} from './network.ts';
import type { NetworkSettings } from './network.ts';
import { networkTokensWords, walletNetworkInfoSchema } from './schema.ts';
import { privateChain } from './testing/private-chain.ts';

const MARKET = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const TOKEN = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';

async function failure(run: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run;
  } catch (error) {
    if (isWalletError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a WalletError');
}

function localJson(rpcUrl: string) {
  return {
    name: 'local',
    chainId: 31337,
    rpcUrl,
    deployBlock: 3,
    contracts: {
      JobMarket: { address: MARKET.toLowerCase(), abi: [] },
      RoostTestToken: { address: TOKEN.toLowerCase(), abi: [] },
    },
    market: {},
    accounts: { admin: MARKET, arbiter: MARKET, treasury: MARKET },
  };
}

describe('the wallet network', () => {
  it('reads the local devnet from networks/local.json on every call', async () => {
    const dir = await tempDir();
    const made: string[] = [];
    const settings: NetworkSettings = { name: 'local', rpcUrl: null, marketAddress: null };
    const source = createNetworkSource({
      dataDir: dir.path,
      settings: () => settings,
      providerFor: (url) => {
        made.push(url);
        return { destroy: () => undefined } as unknown as Provider;
      },
    });
    const missing = await failure(source());
    expect(missing.code).toBe('NETWORK_UNAVAILABLE');
    expect(missing.message).toContain(join(dir.path, 'networks', 'local.json'));
    expect(missing.message).toMatch(/roost devnet/);

    await mkdir(join(dir.path, 'networks'), { recursive: true });
    await writeFile(
      join(dir.path, 'networks', 'local.json'),
      JSON.stringify(localJson('http://127.0.0.1:8545')),
    );
    const net = await source();
    expect(net).toMatchObject({
      name: 'local',
      chainId: 31337,
      rpcUrl: 'http://127.0.0.1:8545',
      marketAddress: MARKET,
      tokenAddress: TOKEN,
      deployBlock: 3,
      nativeSymbol: 'ETH',
    });
    await source();
    expect(made).toEqual(['http://127.0.0.1:8545']); // one provider per URL

    // The devnet restarted on another port: the next call follows it.
    await writeFile(
      join(dir.path, 'networks', 'local.json'),
      JSON.stringify(localJson('http://127.0.0.1:9999')),
    );
    expect((await source()).rpcUrl).toBe('http://127.0.0.1:9999');

    await writeFile(join(dir.path, 'networks', 'local.json'), '{ not json');
    expect((await failure(source())).code).toBe('NETWORK_UNAVAILABLE');
    source.close();
    await dir.remove();
  });

  it('asks for both an RPC URL and a market on a custom network', async () => {
    const source = createNetworkSource({
      dataDir: '/nonexistent',
      settings: () => ({ name: 'custom', rpcUrl: 'http://127.0.0.1:1', marketAddress: null }),
    });
    const e = await failure(source());
    expect(e.code).toBe('NETWORK_UNAVAILABLE');
    expect(e.message).toMatch(/needs both an RPC URL and a market address/);
  });

  it('says quickly and plainly when a custom node does not answer', async () => {
    const source = createNetworkSource({
      dataDir: '/nonexistent',
      settings: () => ({ name: 'custom', rpcUrl: 'http://127.0.0.1:1', marketAddress: MARKET }),
      rpcTimeoutMs: 2000,
    });
    const started = Date.now();
    const e = await failure(source());
    expect(Date.now() - started).toBeLessThan(5000);
    expect(e).toEqual({
      code: 'NETWORK_UNAVAILABLE',
      message: expect.stringMatching(
        /^The chain at http:\/\/127\.0\.0\.1:1 did not answer \(ECONNREFUSED\)/,
      ),
    });
    source.close();
  });

  it('tells unreachable nodes from other errors', () => {
    expect(isUnreachable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isUnreachable(new Error('wrapped', { cause: { code: 'TIMEOUT' } }))).toBe(true);
    expect(isUnreachable(new TypeError('fetch failed'))).toBe(true);
    expect(isUnreachable(Object.assign(new Error('revert'), { code: 'CALL_EXCEPTION' }))).toBe(
      false,
    );
  });

  it('finds a deployment block by bisection, or starts at 0 when the node keeps no old state', async () => {
    const deployedAt = 777;
    let calls = 0;
    const chain = {
      getBlockNumber: async () => 100_000,
      getCode: async (_a: string, block: number) => {
        calls++;
        return block >= deployedAt ? '0x60' : '0x';
      },
    } as unknown as Provider;
    expect(await findDeployBlock(chain, MARKET)).toBe(deployedAt);
    expect(calls).toBeLessThan(25);
    const pruned = {
      getBlockNumber: async () => 100,
      getCode: async (_a: string, block: number) => {
        if (block < 100)
          throw Object.assign(new Error('missing trie node'), { code: 'SERVER_ERROR' });
        return '0x60';
      },
    } as unknown as Provider;
    const warnings: string[] = [];
    expect(await findDeployBlock(pruned, MARKET, { warn: (m) => warnings.push(m) })).toBe(0);
    expect(warnings[0]).toMatch(/history scans from block 0/);
  });
});

describe('isTestNetwork', () => {
  it('marks the built-in devnet and known test chains as test money, and nothing else unasked', () => {
    expect(isTestNetwork({ name: 'local', chainId: 31337 })).toBe(true);
    // The built-in devnet is test money whatever chain id it was given.
    expect(isTestNetwork({ name: 'local', chainId: 4242 })).toBe(true);
    expect(isTestNetwork({ name: 'custom', chainId: 31337 })).toBe(true);
    expect(isTestNetwork({ name: 'custom', chainId: 11155111 })).toBe(true);
    expect(isTestNetwork({ name: 'custom', chainId: 1 })).toBe(false);
    expect(isTestNetwork({ name: 'custom', chainId: 8453 })).toBe(false);
  });

  it("lets the user's choice decide on any other chain, never on a known test chain", () => {
    const lab = { name: 'custom', chainId: 424242 };
    expect(isTestNetwork({ ...lab, tokens: 'test' })).toBe(true);
    expect(isTestNetwork({ ...lab, tokens: 'real' })).toBe(false);
    // Not said: money, as before, and marked as nobody's decision so the UI can say so.
    expect(isTestNetwork({ ...lab, tokens: 'unknown' })).toBe(false);
    expect(isTestNetwork(lab)).toBe(false);
    expect(tokensDecidedBy({ ...lab, tokens: 'unknown' })).toBe('default');
    expect(tokensDecidedBy({ ...lab, tokens: 'test' })).toBe('setting');
    expect(tokensDecidedBy({ ...lab, tokens: 'real' })).toBe('setting');
    // A main network is not special: its market's token may be a lab's own, so the user says.
    expect(isTestNetwork({ name: 'custom', chainId: 1, tokens: 'test' })).toBe(true);
    // Test money stays test money: neither the devnet nor Sepolia becomes real by a setting.
    expect(isTestNetwork({ name: 'local', chainId: 4242, tokens: 'real' })).toBe(true);
    expect(isTestNetwork({ name: 'custom', chainId: 11155111, tokens: 'real' })).toBe(true);
    expect(tokensDecidedBy({ name: 'local', chainId: 31337, tokens: 'test' })).toBe('devnet');
    expect(tokensDecidedBy({ name: 'custom', chainId: 11155111, tokens: 'real' })).toBe(
      'test-chain',
    );
  });

  it('refuses real money on a known test chain, in words that say what to do', () => {
    expect(realTokensProblem(424242)).toBeUndefined();
    expect(realTokensProblem(1)).toBeUndefined();
    // The Settings page's field and words, not the settings path (network.tokens, network.rpcUrl).
    expect(realTokensProblem(11155111)).toBe(
      "Tokens on this network can't be real money on chain 11155111 (Sepolia): it is a test network, so its tokens are always test money with no value. Choose test money (or leave it not said), or point the RPC URL at the chain where your market's token has value.",
    );
    expect(realTokensProblem(31337)).toMatch(/Hardhat or Anvil/);
  });

  it('says what the tokens are worth and why, and marks a chain nobody decided on', () => {
    const pricing = { tokenValueInCurrency: 1, currency: 'EUR' };
    const words = (
      tokensDecidedBy: 'devnet' | 'test-chain' | 'setting' | 'default',
      test = false,
    ) => networkTokensWords({ chainId: 424242, test, tokensDecidedBy }, pricing);
    expect(words('default')).toBe(
      'chain 424242 — not a known network; tokens counted as money at your token value (1 EUR each); if they have no value, change it in Settings → Network',
    );
    expect(
      networkTokensWords(
        { chainId: 424242, test: false, tokensDecidedBy: 'default' },
        pricing,
        'cli',
      ),
    ).toMatch(/if they have no value, roost settings set network\.tokens test$/);
    expect(words('setting', true)).toBe(
      'chain 424242; its tokens are test money with no value (your choice in Settings → Network)',
    );
    expect(words('setting', false)).toBe(
      'chain 424242; its tokens are money, 1 EUR each (your choice in Settings → Network)',
    );
    expect(words('devnet', true)).toMatch(/built-in test network/);
    expect(
      networkTokensWords({ chainId: 11155111, test: true, tokensDecidedBy: 'test-chain' }, pricing),
    ).toBe('chain 11155111 (Sepolia), a test network; its tokens are test money with no value');
  });
});

describe('a custom network on a private chain', () => {
  it('follows network.tokens on every call, without asking the chain again', async () => {
    const chain = privateChain(424242);
    const settings: NetworkSettings = {
      name: 'custom',
      rpcUrl: 'http://10.0.0.5:8545',
      marketAddress: MARKET,
      tokens: 'unknown',
    };
    const source = createNetworkSource({
      dataDir: '/nonexistent',
      settings: () => settings,
      providerFor: () => chain.provider,
    });
    const before = walletNetworkInfoSchema.parse(networkInfo(await source()));
    expect(before).toMatchObject({
      name: 'custom',
      chainId: 424242,
      tokenAddress: TOKEN,
      test: false,
      tokensDecidedBy: 'default',
    });
    const asked = chain.calls.getCode;

    settings.tokens = 'test';
    expect(networkInfo(await source())).toMatchObject({ test: true, tokensDecidedBy: 'setting' });
    settings.tokens = 'real';
    expect(networkInfo(await source())).toMatchObject({ test: false, tokensDecidedBy: 'setting' });
    // An older settings object without the field: not said.
    delete settings.tokens;
    expect(networkInfo(await source())).toMatchObject({ test: false, tokensDecidedBy: 'default' });
    expect(chain.calls.getCode).toBe(asked);
    expect(await source.chainIdAt('http://10.0.0.5:8545')).toBe(424242);
    source.close();
  });
});
