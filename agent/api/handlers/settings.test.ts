import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { jobMarketInterface } from '../../../contracts/bindings/job-market.ts';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { createAgent, type Agent } from '../../agent.ts';
import { EventBus } from '../../events.ts';
import { createLogger } from '../../log.ts';
import { SettingsStore } from '../../store/settings-store.ts';
import { settingsHandlers } from './settings.ts';

const MARKET = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const TOKEN = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/**
 * A JSON-RPC node on 127.0.0.1 that answers as a chain with the market deployed: just what the
 * wallet's network source asks (chain id, code, the market's token, the block number).
 */
async function node(chainId: number): Promise<string> {
  const answer = (request: { id: unknown; method: string; params?: unknown[] }) => {
    const result = (() => {
      switch (request.method) {
        case 'eth_chainId':
          return `0x${chainId.toString(16)}`;
        case 'eth_blockNumber':
          return '0x5';
        case 'eth_getCode':
          return '0x60';
        case 'eth_call':
          return jobMarketInterface.encodeFunctionResult('token', [TOKEN]);
        default:
          return undefined;
      }
    })();
    return result === undefined
      ? { jsonrpc: '2.0', id: request.id, error: { code: -32601, message: 'no such method' } }
      : { jsonrpc: '2.0', id: request.id, result };
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as
        Parameters<typeof answer>[0] | Parameters<typeof answer>[0][];
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function agentOn(rpcUrl: string): Promise<Agent> {
  const dir = await tempDir('roost-network-tokens-');
  const agent = await createAgent({
    dataDir: dir.path,
    host: 'test',
    network: { rpcUrl, marketAddress: MARKET },
  });
  cleanup.push(async () => {
    await agent.close();
    await dir.remove();
  });
  return agent;
}

async function value<T>(call: Promise<{ ok: boolean; value?: T; error?: unknown }>): Promise<T> {
  const result = await call;
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value as T;
}

describe('network.tokens through the API', () => {
  it("a lab's private chain: unknown until the user says, then test money in the token", async () => {
    const agent = await agentOn(await node(424242));
    const call = (method: string, params: unknown = {}) =>
      value<Record<string, unknown>>(
        agent.router.call(method, params) as Promise<{ ok: boolean; value?: never }>,
      );

    // Nobody said: counted as money, as before, and the API says nobody decided.
    expect(await call('wallet.network')).toMatchObject({
      name: 'custom',
      chainId: 424242,
      test: false,
      tokensDecidedBy: 'default',
    });
    const before = await call('yield.earnings');
    expect(before.chart).toMatchObject({ testNetwork: false, netUnit: 'EUR' });
    expect(before.notes).toContainEqual(
      expect.stringMatching(/^Chain 424242 is not a network Roost knows.*network\.tokens test\.$/),
    );

    const saved = await call('settings.update', { network: { tokens: 'test' } });
    expect(saved.network).toMatchObject({ name: 'custom', tokens: 'test' });
    expect(await call('wallet.network')).toMatchObject({
      chainId: 424242,
      test: true,
      tokensDecidedBy: 'setting',
    });
    const after = await call('yield.earnings');
    // Test money: net stays in the token (never turned into EUR), and the warning is gone.
    expect(after.chart).toMatchObject({ testNetwork: true });
    expect((after.chart as { netUnit: string; token: string }).netUnit).toBe(
      (after.chart as { token: string }).token,
    );
    expect(JSON.stringify(after.notes)).not.toMatch(/not a network Roost knows/);
  });

  it('refuses real money on a known test chain, in words, and changes nothing', async () => {
    const agent = await agentOn(await node(11155111));
    const refused = await agent.router.call('settings.update', { network: { tokens: 'real' } });
    expect(refused).toEqual({
      ok: false,
      error: {
        code: 'SETTINGS_INVALID',
        message: expect.stringMatching(
          /^Tokens on this network can't be real money on chain 11155111 \(Sepolia\): it is a test network.*Choose test money/,
        ),
      },
    });
    expect(await value(agent.router.call('settings.get', {}))).toMatchObject({
      network: { tokens: 'unknown' },
    });
    expect(await value(agent.router.call('wallet.network', {}))).toMatchObject({
      test: true,
      tokensDecidedBy: 'test-chain',
    });
    // Saying test (or nothing) is fine on a test chain.
    expect(
      await agent.router.call('settings.update', { network: { tokens: 'test' } }),
    ).toMatchObject({ ok: true });
  });
});

describe('settings.update', () => {
  async function handlers(chainIdAt: (rpcUrl: string) => Promise<number>) {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const settings = new SettingsStore({ dataDir: dir.path, log: createLogger({}) });
    await settings.load();
    const events = new EventBus();
    const changed: unknown[] = [];
    events.subscribe((e) => changed.push(e));
    const warnings: string[] = [];
    const h = settingsHandlers({
      settings,
      events,
      log: createLogger({
        sink: (entry) => {
          if (entry.level === 'warn') warnings.push(entry.message);
        },
      }),
      chainIdAt,
      chainIdWaitMs: 50,
    });
    return { h, settings, changed, warnings };
  }
  const custom = (tokens: 'real' | 'test') => ({
    network: {
      name: 'custom' as const,
      rpcUrl: 'http://10.0.0.5:8545',
      marketAddress: MARKET,
      tokens,
    },
  });

  it('asks the chain only when real money is said, and saves when the chain is no test chain', async () => {
    const asked: string[] = [];
    const { h, settings } = await handlers(async (url) => {
      asked.push(url);
      return 424242;
    });
    await h['settings.update'](custom('test'));
    await h['settings.update']({ pricing: { currency: 'USD' } });
    expect(asked).toEqual([]);
    await h['settings.update'](custom('real'));
    expect(asked).toEqual(['http://10.0.0.5:8545']);
    expect(settings.get().network.tokens).toBe('real');
  });

  it('refuses real money on a test chain before anything is saved or announced', async () => {
    const { h, settings, changed } = await handlers(async () => 31337);
    await expect(h['settings.update'](custom('real'))).rejects.toMatchObject({
      code: 'SETTINGS_INVALID',
      message: expect.stringMatching(/chain 31337 \(Hardhat or Anvil\)/),
    });
    expect(settings.get().network.name).toBe('local');
    expect(changed).toEqual([]);
  });

  it('saves unchecked when the chain does not answer in time (the rule holds once it does)', async () => {
    const { h, settings, warnings } = await handlers(() => new Promise<number>(() => undefined));
    await h['settings.update'](custom('real'));
    expect(settings.get().network.tokens).toBe('real');
    // Said in the Settings page's words, not the settings path.
    expect(warnings).toEqual([
      "http://10.0.0.5:8545 did not say which chain it is, so “Tokens on this network” is saved as “Real money, worth my token value” unchecked (a test network's tokens are never real money)",
    ]);
    const down = await handlers(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    });
    await down.h['settings.update'](custom('real'));
    expect(down.settings.get().network.tokens).toBe('real');
  });
});

describe('moving off the market while leases are held', () => {
  it('is refused in words, changing nothing; another node of the same market is fine', async () => {
    let held = 2;
    const { h, settings } = await loggedHandlers({ heldLeases: () => held });
    const lab = {
      network: { name: 'custom' as const, rpcUrl: 'http://10.0.0.5:8545', marketAddress: MARKET },
    };
    await expect(h['settings.update'](lab)).rejects.toMatchObject({
      code: 'SETTINGS_INVALID',
      message:
        'Roost holds 2 market leases not paid yet on the market it works on now. Moving to another network or market would leave them to expire, losing the collateral. Wait until they are paid (Jobs page → Market jobs, or roost market jobs), then change the network.',
    });
    expect(settings.get().network.name).toBe('local');
    // Other settings still change.
    await h['settings.update']({ pricing: { pricePerUnitHour: 2 } });
    expect(settings.get().pricing.pricePerUnitHour).toBe(2);
    // None held: moved. Then, holding one, another node of the same market is fine; another
    // market is not.
    held = 0;
    await h['settings.update'](lab);
    held = 1;
    await h['settings.update']({ network: { rpcUrl: 'http://10.0.0.6:8545' } });
    expect(settings.get().network.rpcUrl).toBe('http://10.0.0.6:8545');
    await expect(h['settings.update']({ network: { marketAddress: TOKEN } })).rejects.toMatchObject(
      { message: expect.stringMatching(/^Roost holds 1 market lease not paid yet/) },
    );
    await expect(h['settings.update']({ network: { name: 'local' } })).rejects.toMatchObject({
      code: 'SETTINGS_INVALID',
    });
    expect(settings.get().network.marketAddress).toBe(MARKET);
  });
});

/** Settings handlers on a fresh settings file, with the log's lines kept in `lines`. */
async function loggedHandlers(
  deps: Omit<Parameters<typeof settingsHandlers>[0], 'settings' | 'events' | 'log'>,
) {
  const dir = await tempDir();
  cleanup.push(dir.remove);
  const settings = new SettingsStore({ dataDir: dir.path, log: createLogger({}) });
  await settings.load();
  const lines: string[] = [];
  const h = settingsHandlers({
    ...deps,
    settings,
    events: new EventBus(),
    log: createLogger({ sink: (entry) => lines.push(entry.message) }),
  });
  return { h, settings, lines };
}

describe('the log line of a change', () => {
  it('says the change in the Settings page words, with the token of the market', async () => {
    const { h, lines } = await loggedHandlers({ tokenSymbol: () => 'rUSD' });
    await h['settings.update']({ pricing: { pricePerUnitHour: 2 } });
    expect(lines).toEqual(['price changed to 2 rUSD per unit-hour']);
  });
});

describe("the user's word on a chain's tokens follows its chain", () => {
  async function saying(tokens: 'test' | 'real', chainIds: Record<string, number | 'silent'>) {
    const { h, settings, lines } = await loggedHandlers({
      chainIdAt: (url) => {
        const id = chainIds[url];
        return id === 'silent' || id === undefined
          ? new Promise<number>(() => undefined)
          : Promise.resolve(id);
      },
      chainIdWaitMs: 50,
    });
    await h['settings.update']({
      network: { name: 'custom', rpcUrl: 'http://10.0.0.5:8545', marketAddress: MARKET, tokens },
    });
    return { h, settings, lines };
  }

  it('goes back to unknown when the RPC URL leads to another chain, and says so', async () => {
    const { h, settings, lines } = await saying('test', {
      'http://10.0.0.5:8545': 424242,
      'http://10.0.0.9:8545': 1,
    });
    const saved = await h['settings.update']({ network: { rpcUrl: 'http://10.0.0.9:8545' } });
    expect(saved.network).toMatchObject({ rpcUrl: 'http://10.0.0.9:8545', tokens: 'unknown' });
    expect(settings.get().network.tokens).toBe('unknown');
    // In the Settings page's words: its field and choices, not the settings path.
    expect(lines).toContain(
      '“Tokens on this network” is “Not said (counted as real money)” again: you had chosen “Test money, no value” for http://10.0.0.5:8545, and http://10.0.0.9:8545 may be another chain. Say what its tokens are worth in Settings → Network.',
    );
    expect(lines.join('\n')).not.toContain('network.tokens');
  });

  it('keeps it for another node of the same chain, and when the change says it again', async () => {
    const { h, settings } = await saying('real', {
      'http://10.0.0.5:8545': 424242,
      'http://10.0.0.6:8545': 424242,
      'http://10.0.0.7:8545': 777,
    });
    await h['settings.update']({ network: { rpcUrl: 'http://10.0.0.6:8545' } });
    expect(settings.get().network.tokens).toBe('real');
    await h['settings.update']({ network: { rpcUrl: 'http://10.0.0.7:8545', tokens: 'real' } });
    expect(settings.get().network.tokens).toBe('real');
    // Other settings, and the network's name alone, leave it be.
    await h['settings.update']({ pricing: { currency: 'USD' } });
    await h['settings.update']({ network: { name: 'local' } });
    await h['settings.update']({ network: { name: 'custom' } });
    expect(settings.get().network.tokens).toBe('real');
  });

  it("goes back to unknown when a chain can't be asked: the new one may be anything", async () => {
    const { h, settings } = await saying('test', {
      'http://10.0.0.5:8545': 424242,
      'http://10.0.0.8:8545': 'silent',
    });
    await h['settings.update']({ network: { rpcUrl: 'http://10.0.0.8:8545' } });
    expect(settings.get().network.tokens).toBe('unknown');
  });
});
