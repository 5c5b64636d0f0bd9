import type { WalletErrorCode } from './schema.ts';

/**
 * A failure the user can act on: `code` from `walletErrorCodes`, `message` in plain words that
 * say what went wrong and what to do. Messages never quote a password, a phrase or a key. The
 * API turns it into `{ ok: false, error: { code, message } }`.
 */
export class WalletError extends Error {
  readonly code: WalletErrorCode;
  constructor(code: WalletErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WalletError';
    this.code = code;
  }
  toJSON(): { code: WalletErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isWalletError(error: unknown, code?: WalletErrorCode): error is WalletError {
  return error instanceof WalletError && (code === undefined || error.code === code);
}
