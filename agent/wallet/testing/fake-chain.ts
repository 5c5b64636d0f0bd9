import { Transaction } from 'ethers';
import type { Provider, TransactionRequest } from 'ethers';
import { roostTestTokenInterface } from '../../../contracts/bindings/roost-test-token.ts';
import type { WalletNetwork } from '../network.ts';

/**
 * Just enough of an ethers Provider for the wallet's prepare/confirm path, with knobs for the
 * failures a real node can't be made to produce on cue (a broadcast that never arrives).
 */
export interface FakeChain {
  network: WalletNetwork;
  /** Raw transactions that reached broadcastTransaction and were accepted. */
  broadcast: Transaction[];
  /** Make the next broadcasts / nonce reads fail like a node that is down. */
  down: { broadcast: boolean; nonce: boolean };
  /** Receipts the node will report, by hash. */
  receipts: Map<string, { status: number; blockNumber: number; fee: bigint }>;
}

const unreachable = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: 'ECONNREFUSED' });

export function fakeChain(): FakeChain {
  const state: FakeChain = {
    network: undefined as unknown as WalletNetwork,
    broadcast: [],
    down: { broadcast: false, nonce: false },
    receipts: new Map(),
  };
  const provider = {
    getNetwork: async () => ({ chainId: 31337n }),
    getBlockNumber: async () => 10,
    getBlock: async () => ({ number: 10, baseFeePerGas: 1_000_000_000n, timestamp: 1_767_225_600 }),
    getBalance: async () => 10n ** 18n,
    getFeeData: async () => ({
      gasPrice: null,
      maxFeePerGas: 3_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    }),
    getCode: async () => '0x',
    estimateGas: async () => 21_000n,
    getTransactionCount: async () => {
      if (state.down.nonce) throw unreachable();
      return state.broadcast.length;
    },
    call: async (tx: TransactionRequest) => {
      const data = String(tx.data);
      const fn = roostTestTokenInterface.getFunction(data.slice(0, 10));
      if (fn?.name === 'symbol')
        return roostTestTokenInterface.encodeFunctionResult('symbol', ['rUSD']);
      if (fn?.name === 'decimals')
        return roostTestTokenInterface.encodeFunctionResult('decimals', [6]);
      if (fn?.name === 'balanceOf')
        return roostTestTokenInterface.encodeFunctionResult('balanceOf', [0n]);
      throw new Error(`the fake chain has no answer for ${data.slice(0, 10)}`);
    },
    broadcastTransaction: async (signed: string) => {
      if (state.down.broadcast) throw unreachable();
      const tx = Transaction.from(signed);
      state.broadcast.push(tx);
      return { hash: tx.hash };
    },
    getTransactionReceipt: async (hash: string) => state.receipts.get(hash) ?? null,
    destroy: () => undefined,
  } as unknown as Provider;
  state.network = {
    name: 'local',
    chainId: 31337,
    rpcUrl: 'http://127.0.0.1:8545',
    provider,
    marketAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    tokenAddress: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
    deployBlock: 1,
    nativeSymbol: 'ETH',
  };
  return state;
}
