import { describe, expect, it } from 'vitest';
import type { Provider } from 'ethers';
import { jobMarketInterface } from '../../contracts/bindings/job-market.ts';
import { roostTestTokenInterface } from '../../contracts/bindings/roost-test-token.ts';
import { chainFailure, getLogsChunked } from './chain.ts';
import type { WalletNetwork } from './network.ts';

const network = {
  name: 'local',
  chainId: 31337,
  rpcUrl: 'http://127.0.0.1:8545',
  nativeSymbol: 'ETH',
} as WalletNetwork;
const rUSD = { symbol: 'rUSD', decimals: 6 };
const err = (fields: Record<string, unknown>) =>
  Object.assign(new Error(String(fields.message ?? 'x')), fields);

describe('chain failures in words', () => {
  it('calls a node that does not answer unavailable', () => {
    const e = chainFailure(err({ code: 'ECONNREFUSED' }), network);
    expect(e.code).toBe('NETWORK_UNAVAILABLE');
    expect(e.message).toMatch(
      /^The chain at http:\/\/127.0.0.1:8545 did not answer \(ECONNREFUSED\)/,
    );
  });

  it('recognises a lack of coin for gas, in ethers and Hardhat wording', () => {
    expect(chainFailure(err({ code: 'INSUFFICIENT_FUNDS' }), network).code).toBe(
      'WALLET_INSUFFICIENT_BALANCE',
    );
    const hardhat = err({
      code: 'UNKNOWN_ERROR',
      message:
        "Sender doesn't have enough funds to send tx. The max upfront cost is: 1 and the sender's balance is: 0.",
    });
    const e = chainFailure(hardhat, network);
    expect(e.code).toBe('WALLET_INSUFFICIENT_BALANCE');
    expect(e.message).toMatch(/ETH balance can't pay/);
  });

  it('decodes the market and token custom errors, with amounts in the token', () => {
    const market = err({
      code: 'CALL_EXCEPTION',
      data: jobMarketInterface.encodeErrorResult('InsufficientBalance', [1_500_000n, 2_000_000n]),
    });
    expect(chainFailure(market, network, rUSD).message).toBe(
      'The chain refused the transaction: the market holds only 1.5 rUSD for this wallet, not the 2 rUSD asked (InsufficientBalance).',
    );
    const token = err({
      code: 'UNKNOWN_ERROR',
      error: {
        data: roostTestTokenInterface.encodeErrorResult('ERC20InsufficientBalance', [
          '0x' + '1'.repeat(40),
          0n,
          5n,
        ]),
      },
    });
    expect(chainFailure(token, network, rUSD).message).toMatch(
      /wallet holds only 0 rUSD, not the 0.000005 rUSD needed \(ERC20InsufficientBalance\)/,
    );
    const paused = err({
      code: 'CALL_EXCEPTION',
      info: { error: { data: jobMarketInterface.encodeErrorResult('EnforcedPause', []) } },
    });
    expect(chainFailure(paused, network).code).toBe('WALLET_TX_FAILED');
    const other = err({
      code: 'CALL_EXCEPTION',
      data: jobMarketInterface.encodeErrorResult('UnknownJob', [7n]),
    });
    expect(chainFailure(other, network).message).toBe(
      'The chain refused the transaction: this market has no job 7 (UnknownJob).',
    );
    expect(chainFailure(err({ code: 'CALL_EXCEPTION' }), network).message).toMatch(
      /reverted without saying why/,
    );
  });

  it('says when another transaction took the nonce', () => {
    expect(chainFailure(err({ code: 'NONCE_EXPIRED' }), network).message).toMatch(
      /same place in line/,
    );
  });
});

describe('log scanning', () => {
  it('walks the range in chunks and splits a range the node refuses', async () => {
    const asked: [number, number][] = [];
    const provider = {
      getLogs: async ({ fromBlock, toBlock }: { fromBlock: number; toBlock: number }) => {
        asked.push([fromBlock, toBlock]);
        if (toBlock - fromBlock > 40)
          throw err({ code: 'UNKNOWN_ERROR', message: 'query returned more than 10000 results' });
        return [{ blockNumber: fromBlock }];
      },
    } as unknown as Provider;
    const logs = await getLogsChunked(provider, { address: '0x', topics: [] }, 0, 149, 100);
    expect(asked[0]).toEqual([0, 99]);
    const covered = asked.filter(([a, b]) => b - a <= 40);
    expect(covered.reduce((n, [a, b]) => n + (b - a + 1), 0)).toBe(150);
    expect(logs).toHaveLength(covered.length);
  });

  it('gives up at once when the node is unreachable', async () => {
    let calls = 0;
    const provider = {
      getLogs: async () => {
        calls++;
        throw err({ code: 'ECONNREFUSED' });
      },
    } as unknown as Provider;
    await expect(
      getLogsChunked(provider, { address: '0x', topics: [] }, 0, 1000, 100),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });
});
