/**
 * The logger the wallet writes to. The agent's `Logger` (agent/log.ts) fits: pass
 * `logger.child('wallet')` and its lines carry `[wallet]`. Wallet log lines name addresses,
 * amounts and transaction hashes, never a password, a recovery phrase or a key.
 */
export interface WalletLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const stderrWalletLog: WalletLog = {
  debug: () => undefined,
  info: (m) => process.stderr.write(`[wallet] ${m}\n`),
  warn: (m) => process.stderr.write(`[wallet] warning: ${m}\n`),
  error: (m) => process.stderr.write(`[wallet] error: ${m}\n`),
};

export const silentWalletLog: WalletLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
