/**
 * agent/wallet: the provider's wallet. The agent uses createWalletService(); the network source,
 * the signer and the pieces are exported for the CLI, the market client and tests.
 */
export { createWalletService, parsePrivateKey } from './service.ts';
export type { WalletService, WalletServiceOptions, WalletTimers } from './service.ts';
export {
  createNetworkSource,
  findDeployBlock,
  isTestNetwork,
  networkInfo,
  realTokensProblem,
  tokensDecidedBy,
} from './network.ts';
export type {
  NetworkSettings,
  NetworkSource,
  NetworkSourceOptions,
  WalletNetwork,
} from './network.ts';
export { WalletSigner } from './work-signer.ts';
export { WalletError, isWalletError } from './errors.ts';
export { PRODUCTION_SCRYPT, keystorePath, keystoreScrypt } from './keystore.ts';
export type { ScryptParams } from './keystore.ts';
export { parseMnemonic, normalizeMnemonic } from './mnemonic.ts';
export { parseAmount, parseRecipient, formatUnitsExact } from './amount.ts';
export { stderrWalletLog, silentWalletLog } from './log.ts';
export type { WalletLog } from './log.ts';
export type { ProviderSigner } from './signer.ts';
export { loadOrCreateLocalSigner, recoverSigner } from './signer.ts';
export * from './schema.ts';
