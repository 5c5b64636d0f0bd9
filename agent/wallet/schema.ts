/**
 * The shapes that cross the wallet's edge: every `wallet.*` method's params and result, its events
 * and its error codes. Zod only, so `agent/api/contract.ts` can spread `walletMethods`,
 * `walletEvents` and `walletErrorCodes` into its own tables.
 *
 * Secrets (passwords, the recovery phrase, a private key, a keystore, confirmation words) are
 * typed as bare strings on purpose: a zod failure message quotes the value it refused, and a
 * secret must never be quoted. The service checks their length and form itself, in words that
 * don't repeat them. `walletSecretFields` names them for anything that logs params.
 */
import { z } from 'zod';

/** Every error code the wallet throws (as `WalletError`); the API adds them to its union. */
export const walletErrorCodes = [
  /** No wallet yet: create or import one. */
  'WALLET_NONE',
  /** A wallet exists already; creating or importing another needs `replace: true`. */
  'WALLET_EXISTS',
  /** The action needs the password: the wallet is locked. */
  'WALLET_LOCKED',
  'WALLET_WRONG_PASSWORD',
  /** A new password too short or too long. */
  'WALLET_WEAK_PASSWORD',
  /** The keystore file in the data folder can't be read as a keystore; it is left as it is. */
  'WALLET_KEYSTORE_DAMAGED',
  'WALLET_INVALID_MNEMONIC',
  'WALLET_INVALID_PRIVATE_KEY',
  /** A backup given to import is not a keystore JSON. */
  'WALLET_INVALID_BACKUP',
  /** The words given back at wallet creation don't match the recovery phrase. */
  'WALLET_CONFIRMATION_MISMATCH',
  /** No wallet creation waits under that id (never made, expired, or finished). */
  'WALLET_CREATION_NOT_FOUND',
  'WALLET_BAD_ADDRESS',
  'WALLET_BAD_AMOUNT',
  'WALLET_INSUFFICIENT_BALANCE',
  /** `confirm` with an id that was never prepared. */
  'WALLET_PREPARED_UNKNOWN',
  /** `confirm` after the prepared transaction's time ran out: prepare it again. */
  'WALLET_PREPARED_EXPIRED',
  /** `confirm` with an id that was already confirmed: nothing is sent twice. */
  'WALLET_PREPARED_USED',
  /** The network (chain, market) or the wallet changed between prepare and confirm. */
  'WALLET_NETWORK_CHANGED',
  /** The chain refused or reverted the transaction. */
  'WALLET_TX_FAILED',
  /** The keystore could not be written (disk full, permissions). */
  'WALLET_UNWRITABLE',
  /** No network configured, or its node does not answer. Not wallet-specific. */
  'NETWORK_UNAVAILABLE',
] as const;
export const walletErrorCodeSchema = z.enum(walletErrorCodes);
export type WalletErrorCode = z.infer<typeof walletErrorCodeSchema>;

/** Param fields whose values must never be logged or quoted in an error. */
export const walletSecretFields = [
  'password',
  'oldPassword',
  'newPassword',
  'mnemonic',
  'privateKey',
  'keystore',
  'words',
] as const;

const secret = z.string();
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');
const isoTime = z.string();
const baseUnits = z.string().regex(/^\d+$/, 'must be a whole number of base units');
const txHash = z.string().regex(/^0x[0-9a-f]{64}$/);

/** An amount of one asset: `amount` in display units ("12.5"), `baseUnits` exact ("12500000"). */
export const assetAmountSchema = z.object({
  amount: z.string(),
  baseUnits,
  symbol: z.string(),
  decimals: z.number().int().min(0).max(77),
});
export type AssetAmount = z.infer<typeof assetAmountSchema>;

/**
 * Chains whose coins and tokens are test money, by chain id: local development chains (Hardhat,
 * Anvil, Ganache) and the public test networks Roost may be pointed at.
 */
/**
 * Chain ids of development nodes (Hardhat, Anvil, Ganache, geth --dev): one machine makes every
 * block, so nothing is ever reorganised, and by default a block comes only with a transaction.
 * Roost acts on their events at once (no confirmations) and a quiet head there is normal.
 */
export const devNodeChains: ReadonlySet<number> = new Set([31337, 1337]);

export const knownTestChains: ReadonlyMap<number, string> = new Map([
  [31337, 'Hardhat or Anvil'],
  [1337, 'Ganache or geth --dev'],
  [11155111, 'Sepolia'],
  [17000, 'Holesky'],
  [560048, 'Hoodi'],
  [84532, 'Base Sepolia'],
  [421614, 'Arbitrum Sepolia'],
  [11155420, 'OP Sepolia'],
  [80002, 'Polygon Amoy'],
]);

/**
 * The user's word on a custom network's tokens (the `network.tokens` setting): `test` (test
 * money with no value), `real` (money, each token worth `pricing.tokenValueInCurrency`), or
 * `unknown` (not said: counted as money, and Roost says it does not know the chain).
 */
export const networkTokensSchema = z.enum(['unknown', 'test', 'real']);
export type NetworkTokens = z.infer<typeof networkTokensSchema>;

/**
 * What decided whether a network's tokens are test money: `devnet` (the built-in local
 * network), `test-chain` (a known test chain: always test money, whatever the setting says),
 * `setting` (the user's `network.tokens` on any other chain), `default` (a chain Roost does not
 * know and no choice made: counted as money at `pricing.tokenValueInCurrency`).
 */
export const tokensDecidedBySchema = z.enum(['devnet', 'test-chain', 'setting', 'default']);
export type TokensDecidedBy = z.infer<typeof tokensDecidedBySchema>;

export const walletNetworkInfoSchema = z.object({
  /** `local` (the built-in devnet) or `custom`. */
  name: z.string(),
  chainId: z.number().int().positive(),
  rpcUrl: z.string().nullable(),
  marketAddress: address,
  tokenAddress: address,
  /**
   * A test network (the built-in devnet, a known test chain such as Sepolia, or a chain the user
   * marked as test money in `network.tokens`): its tokens are test money with no value, so
   * amounts are shown in the token and never in a currency.
   */
  test: z.boolean(),
  /** What decided `test`, so the UI and the CLI can say it (and say when nobody did). */
  tokensDecidedBy: tokensDecidedBySchema,
});
export type WalletNetworkInfo = z.infer<typeof walletNetworkInfoSchema>;

/**
 * What a network's tokens are worth and why, as a clause that follows the network's name (the
 * Wallet page, Settings and the CLI say the same). `ui` says to change it in Settings → Network;
 * `cli` names `roost settings set network.tokens`.
 */
export function networkTokensWords(
  network: Pick<WalletNetworkInfo, 'chainId' | 'test' | 'tokensDecidedBy'>,
  pricing: { tokenValueInCurrency: number; currency: string },
  where: 'ui' | 'cli' = 'ui',
): string {
  const chain = `chain ${network.chainId}`;
  const worth = `${pricing.tokenValueInCurrency} ${pricing.currency} each`;
  const chosen =
    where === 'ui' ? 'your choice in Settings → Network' : 'your choice: network.tokens';
  switch (network.tokensDecidedBy) {
    case 'devnet':
      return 'the built-in test network; its tokens are test money with no value';
    case 'test-chain':
      return `${chain} (${knownTestChains.get(network.chainId) ?? 'a test network'}), a test network; its tokens are test money with no value`;
    case 'setting':
      return network.test
        ? `${chain}; its tokens are test money with no value (${chosen})`
        : `${chain}; its tokens are money, ${worth} (${chosen})`;
    case 'default':
      return `${chain} — not a known network; tokens counted as money at your token value (${worth}); if they have no value, ${where === 'ui' ? 'change it in Settings → Network' : 'roost settings set network.tokens test'}`;
  }
}

/**
 * `none`: no wallet. `pending`: created, waiting for the recovery-phrase check (not usable yet).
 * `locked`: the password is needed to send, withdraw, export or change the password.
 * `unlocked`: those work until the wallet locks itself after `autoLock.afterMs` without use.
 * `damaged`: the keystore file can't be read (see `problem`); import a backup to replace it.
 */
export const walletStateSchema = z.enum(['none', 'pending', 'locked', 'unlocked', 'damaged']);
export type WalletState = z.infer<typeof walletStateSchema>;

export const walletStatusSchema = z.object({
  state: walletStateSchema,
  /** The wallet's address (checksummed); null when there is none. */
  address: address.nullable(),
  /**
   * True while the agent can sign its own work (receipts, reports, market transactions) with the
   * wallet key. It stays true after an automatic lock when unlock asked for it, so earning goes
   * on; an explicit lock ends it.
   */
  workSigning: z.boolean(),
  autoLock: z.object({
    /** Idle time before the wallet locks itself; null: never. */
    afterMs: z.number().int().positive().nullable(),
    /** When it will lock if nothing happens (ISO 8601); null when locked or never. */
    at: isoTime.nullable(),
  }),
  /** How the key was made: from a recovery phrase (with its derivation path) or a bare key. */
  origin: z
    .object({
      hasMnemonic: z.boolean(),
      /** BIP-44 derivation path, e.g. m/44'/60'/0'/0/0; null for a bare private key. */
      path: z.string().nullable(),
    })
    .nullable(),
  /** The keystore file (encrypted JSON keystore v3). */
  keystoreFile: z.string(),
  /** A creation waiting for its recovery-phrase check; never the phrase itself. */
  pendingCreation: z
    .object({
      creationId: z.string(),
      address,
      /** 1-based positions of the words to give back to `wallet.confirmCreate`. */
      positions: z.array(z.number().int().positive()),
      expiresAt: isoTime,
    })
    .nullable(),
  /** Why the wallet can't be used (`damaged`), in plain words. */
  problem: z.object({ code: walletErrorCodeSchema, message: z.string() }).nullable(),
});
export type WalletStatus = z.infer<typeof walletStatusSchema>;

const replace = z
  .boolean()
  .optional()
  .describe('Replace the current wallet; its keystore is kept aside, never deleted');

export const walletCreateParams = z
  .object({
    password: secret,
    wordCount: z.union([z.literal(12), z.literal(24)]).optional(),
    replace,
  })
  .strict();

/** The one answer that carries the recovery phrase: shown once, never stored in clear. */
export const walletCreateResult = z.object({
  creationId: z.string(),
  address,
  /** The recovery phrase: words separated by single spaces. */
  mnemonic: z.string(),
  /** 1-based positions of three words the user must give back to `wallet.confirmCreate`. */
  positions: z.array(z.number().int().positive()),
  expiresAt: isoTime,
});
export type WalletCreateResult = z.infer<typeof walletCreateResult>;

export const walletConfirmCreateParams = z
  .object({
    creationId: z.string().min(1).max(100),
    /** The words at `positions`, in any order. */
    words: z
      .array(z.object({ position: z.number().int().min(1).max(24), word: secret }).strict())
      .max(24),
  })
  .strict();

const accountIndex = z
  .number()
  .int()
  .min(0)
  .max(1_000_000)
  .optional()
  .describe("Account number on the recovery phrase (m/44'/60'/0'/0/<n>), default 0");

export const walletImportParams = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('mnemonic'),
      mnemonic: secret,
      password: secret,
      accountIndex,
      replace,
    })
    .strict(),
  z
    .object({ kind: z.literal('privateKey'), privateKey: secret, password: secret, replace })
    .strict(),
  /** A keystore backup (this wallet's export, or any ethers/geth JSON keystore) and its password. */
  z.object({ kind: z.literal('keystore'), keystore: secret, password: secret, replace }).strict(),
]);
export type WalletImportParams = z.infer<typeof walletImportParams>;

export const walletUnlockParams = z
  .object({
    password: secret,
    /** Keep signing the agent's work after an automatic lock (default true). */
    workSigning: z.boolean().optional(),
  })
  .strict();

export const walletLockParams = z
  .object({
    /** Lock sending and withdrawing but let the agent keep signing its work (default false). */
    keepWorkSigning: z.boolean().optional(),
  })
  .strict()
  .default({});

export const walletChangePasswordParams = z
  .object({ oldPassword: secret, newPassword: secret })
  .strict();

export const walletExportParams = z
  .object({ password: secret.optional().describe('Needed when the wallet is locked') })
  .strict()
  .default({});

export const walletBackupSchema = z.object({
  address,
  /** A file name to save it under. */
  fileName: z.string(),
  /** The encrypted JSON keystore (v3, scrypt); opening it needs the wallet password. */
  keystore: z.string(),
});
export type WalletBackup = z.infer<typeof walletBackupSchema>;

export const walletBalanceSchema = z.object({
  address,
  network: walletNetworkInfoSchema,
  /** Every figure below was read at this block. */
  blockNumber: z.number().int().nonnegative(),
  /** The chain's coin, which pays transaction fees. */
  native: assetAmountSchema,
  /** The payment token, in the wallet. */
  token: assetAmountSchema.extend({ address }),
  /** Earnings and refunds held by the market for this wallet, to withdraw. */
  withdrawable: assetAmountSchema,
});
export type WalletBalance = z.infer<typeof walletBalanceSchema>;

/** A decimal amount in display units ("12.5"), or "all" (the whole balance; not for the coin). */
const amount = z.string().min(1).max(100);

export const walletPrepareSendParams = z
  .object({
    to: z.string().min(1).max(200),
    amount,
    /** `token` (the payment token, default) or `native` (the chain's coin). */
    asset: z.enum(['token', 'native']).optional(),
  })
  .strict();

export const walletPrepareWithdrawParams = z
  .object({ amount: amount.optional().describe('Default: all that is withdrawable') })
  .strict()
  .default({});

export const walletWarningSchema = z.object({
  code: z.enum(['GAS_BALANCE_LOW', 'RECIPIENT_IS_CONTRACT', 'SEND_TO_SELF', 'FEE_EXCEEDS_AMOUNT']),
  message: z.string(),
});
export type WalletWarning = z.infer<typeof walletWarningSchema>;

/** What `confirm(id)` will send, decoded for the user to read before saying yes. */
export const preparedTransferSchema = z.object({
  id: z.string(),
  kind: z.enum(['send', 'withdraw']),
  network: walletNetworkInfoSchema,
  from: address,
  /** Who receives the money: the recipient, or this wallet for a withdrawal. */
  to: address,
  /** What is moved. */
  amount: assetAmountSchema,
  asset: z.enum(['token', 'native']),
  /** The contract call that does it (token `transfer`, market `withdraw`); null for the coin. */
  call: z.object({ contract: address, method: z.enum(['transfer', 'withdraw']) }).nullable(),
  fee: z.object({
    /** Likely fee at today's prices. */
    estimated: assetAmountSchema,
    /** The most it can cost (gas limit × max fee per gas); the balance must cover this. */
    max: assetAmountSchema,
    gasLimit: z.string(),
  }),
  warnings: z.array(walletWarningSchema),
  createdAt: isoTime,
  expiresAt: isoTime,
});
export type PreparedTransfer = z.infer<typeof preparedTransferSchema>;

export const walletConfirmParams = z
  .object({
    id: z.string().min(1).max(100),
    /** Confirm with the password when the wallet is locked; it stays locked afterwards. */
    password: secret.optional(),
    /** Wait until the transaction is mined (default false: return once it is sent). */
    wait: z.boolean().optional(),
  })
  .strict();

export const transactionStatusSchema = z.enum(['submitted', 'mined', 'failed', 'unknown']);

export const sentTransactionSchema = z.object({
  id: z.string(),
  kind: z.enum(['send', 'withdraw']),
  hash: txHash,
  from: address,
  to: address,
  amount: assetAmountSchema,
  nonce: z.number().int().nonnegative(),
  /** `unknown`: not mined within the wait; `wallet.transaction` tells when it is. */
  status: transactionStatusSchema,
  blockNumber: z.number().int().nonnegative().nullable(),
  /** Fee actually paid, once mined. */
  feePaid: assetAmountSchema.nullable(),
});
export type SentTransaction = z.infer<typeof sentTransactionSchema>;

/**
 * What came of a send or a withdrawal, in one sentence (the CLI and the Wallet page say the
 * same): a withdrawal is not "sent", and a transaction not confirmed yet is not "done".
 */
export function sentWords(
  t: Pick<SentTransaction, 'kind' | 'hash' | 'to' | 'amount' | 'status'>,
): string {
  const amount = `${t.amount.amount} ${t.amount.symbol}`;
  const what =
    t.kind === 'withdraw' ? `Withdrew ${amount} to the wallet` : `Sent ${amount} to ${t.to}`;
  switch (t.status) {
    case 'mined':
      // No block number: it means nothing to the owner; support looks the whole hash up.
      return `${what}: confirmed. Transaction ${t.hash}.`;
    case 'failed':
      return `${t.kind === 'withdraw' ? 'The withdrawal' : 'The transfer'} failed on the chain: nothing moved but the fee. Transaction ${t.hash}.`;
    default:
      return `${what}: handed to the network, not confirmed yet; the History shows it once it is. Transaction ${t.hash}.`;
  }
}

export const walletHistoryParams = z
  .object({
    /** Newest entries first; at most this many (default 100). */
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict()
  .default({});

/**
 * One money movement of this wallet, from a chain event:
 * `received`/`sent`: a token Transfer to/from the wallet (counterparty: the other side);
 * `staked`: tokens the market took as this provider's stake (registering or adding stake);
 * `credited`: the market credited the wallet (a payout, refund, slash, finished unstake);
 * `withdrawn`: the wallet withdrew from the market into the wallet (one entry: the token transfer
 * of the same transaction is not listed again as `received`).
 */
export const historyEntrySchema = z.object({
  /**
   * `unstake-requested`: stake asked back (it waits out the market's delay, then comes back as
   * `credited` with reason Unstake); `unstake-cancelled`: an asked-back stake staked again. Both
   * move nothing in or out of the wallet.
   */
  kind: z.enum([
    'received',
    'sent',
    'staked',
    'credited',
    'withdrawn',
    'unstake-requested',
    'unstake-cancelled',
  ]),
  amount: assetAmountSchema,
  counterparty: address.nullable(),
  /** What the counterparty is, when known: the market, or the zero address (new tokens). */
  counterpartyRole: z.enum(['market', 'mint']).nullable(),
  /** `credited` only: why (Payout, Fee, Refund, Slash, Unstake), and the job and lease slot. */
  reason: z.enum(['Payout', 'Fee', 'Refund', 'Slash', 'Unstake']).nullable(),
  jobId: z.string().nullable(),
  slot: z.number().int().nonnegative().nullable(),
  blockNumber: z.number().int().nonnegative(),
  txHash,
  logIndex: z.number().int().nonnegative(),
  /** The block's time (ISO 8601). */
  at: isoTime.nullable(),
  /** `unstake-requested` only: when the market lets the stake go (ISO 8601). */
  availableAt: isoTime.optional(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/**
 * A time as the market's messages write it, the same in a log, the CLI and an error:
 * `2025-03-01 14:05 UTC`.
 */
export function timeWords(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A history entry's direction and words, for the CLI and the Wallet page alike. A withdrawal
 * moves earnings from the market into the wallet: both are yours, so it has no direction (and is
 * listed once, not again as received). Each stands alone in a cell (the Wallet page's What
 * column, the CLI's history), so it starts with a capital.
 */
export function historyWords(e: Pick<HistoryEntry, 'kind' | 'reason' | 'availableAt'>): {
  direction: 'in' | 'out' | 'none';
  what: string;
} {
  switch (e.kind) {
    case 'sent':
    case 'staked':
      return { direction: 'out', what: e.kind === 'sent' ? 'Sent' : 'Staked' };
    case 'withdrawn':
      return { direction: 'none', what: 'Withdrawn to the wallet' };
    // The stake stays the provider's while it waits: nothing moves until it is credited.
    case 'unstake-requested':
      return {
        direction: 'none',
        what: `Stake asked back${e.availableAt ? ` (free from ${timeWords(e.availableAt)})` : ''}`,
      };
    case 'unstake-cancelled':
      return { direction: 'none', what: 'Stake kept (asking back cancelled)' };
    case 'credited':
      return {
        direction: 'in',
        what:
          e.reason === 'Unstake'
            ? 'Stake back (withdrawable)'
            : e.reason
              ? `Credited (${e.reason.toLowerCase()})`
              : 'Credited',
      };
    case 'received':
      return { direction: 'in', what: 'Received' };
  }
}

export const walletHistorySchema = z.object({
  address,
  network: walletNetworkInfoSchema,
  /** Blocks scanned (from the market's deployment to the latest). */
  fromBlock: z.number().int().nonnegative(),
  toBlock: z.number().int().nonnegative(),
  /** Newest first. */
  entries: z.array(historyEntrySchema),
  /** All entries found, before `limit`. */
  total: z.number().int().nonnegative(),
  /**
   * The market ledger from events: Σ Credited − Σ Withdrawn, and the withdrawable balance the
   * contract holds at `toBlock`; `matches` is false only if the events and the chain disagree.
   */
  ledger: z.object({
    credited: assetAmountSchema,
    withdrawn: assetAmountSchema,
    withdrawable: assetAmountSchema,
    matches: z.boolean(),
  }),
});
export type WalletHistory = z.infer<typeof walletHistorySchema>;

const noParams = z.object({}).strict().default({});

/** Every `wallet.*` method: spread into the contract's `methods`. */
export const walletMethods = {
  'wallet.status': {
    summary: 'The wallet: none, waiting for its phrase check, locked or unlocked; its address.',
    params: noParams,
    result: walletStatusSchema,
  },
  'wallet.create': {
    summary: 'Make a new wallet; the answer shows its recovery phrase, once. Confirm it next.',
    params: walletCreateParams,
    result: walletCreateResult,
  },
  'wallet.confirmCreate': {
    summary: 'Give back the asked words of the recovery phrase; the wallet then becomes active.',
    params: walletConfirmCreateParams,
    result: walletStatusSchema,
  },
  'wallet.import': {
    summary: 'Import a wallet from a recovery phrase, a private key or a keystore backup.',
    params: walletImportParams,
    result: walletStatusSchema,
  },
  'wallet.unlock': {
    summary: 'Unlock with the password, to send, withdraw, export and sign work.',
    params: walletUnlockParams,
    result: walletStatusSchema,
  },
  'wallet.lock': {
    summary: 'Lock the wallet now.',
    params: walletLockParams,
    result: walletStatusSchema,
  },
  'wallet.changePassword': {
    summary: 'Re-encrypt the keystore under a new password.',
    params: walletChangePasswordParams,
    result: walletStatusSchema,
  },
  'wallet.exportBackup': {
    summary: 'The encrypted keystore, to save as a backup (never the raw key).',
    params: walletExportParams,
    result: walletBackupSchema,
  },
  'wallet.balance': {
    summary: 'Coin, token and market-withdrawable balances, read at one block.',
    params: noParams,
    result: walletBalanceSchema,
  },
  'wallet.network': {
    summary:
      'The network the wallet works on (chain, market, token) and whether its tokens are test money, and why; works without a wallet.',
    params: noParams,
    result: walletNetworkInfoSchema,
  },
  'wallet.prepareSend': {
    summary: 'Check a send and show what it will do and cost; nothing is sent yet.',
    params: walletPrepareSendParams,
    result: preparedTransferSchema,
  },
  'wallet.prepareWithdraw': {
    summary: 'Check a withdrawal from the market and show what it will cost; nothing is sent yet.',
    params: walletPrepareWithdrawParams,
    result: preparedTransferSchema,
  },
  'wallet.confirm': {
    summary: 'Send exactly what a prepare step showed; each id works once, for a few minutes.',
    params: walletConfirmParams,
    result: sentTransactionSchema,
  },
  'wallet.history': {
    summary: 'Payments in and out, rebuilt from chain events, newest first.',
    params: walletHistoryParams,
    result: walletHistorySchema,
  },
} as const satisfies Record<string, { summary: string; params: z.ZodType; result: z.ZodType }>;

export const walletLockedEventSchema = z.object({
  /** `user`: wallet.lock; `idle`: auto-lock; `replaced`: another wallet was imported; `closed`. */
  reason: z.enum(['user', 'idle', 'replaced', 'closed']),
  address: address.nullable(),
  workSigning: z.boolean(),
  at: isoTime,
});

export const walletTransactionEventSchema = sentTransactionSchema.extend({ at: isoTime });

/** Every `wallet.*` event: spread into the contract's `events`. */
export const walletEvents = {
  /** The status after anything that changed it (create, confirm, import, unlock, lock). */
  'wallet.changed': walletStatusSchema,
  /** The wallet locked itself or was locked. */
  'wallet.locked': walletLockedEventSchema,
  /** A sent transaction changed state (submitted, mined, failed). */
  'wallet.transaction': walletTransactionEventSchema,
} as const satisfies Record<string, z.ZodType>;

export type WalletEventName = keyof typeof walletEvents;
export type WalletEvent = {
  [E in WalletEventName]: { event: E; payload: z.infer<(typeof walletEvents)[E]> };
}[WalletEventName];
