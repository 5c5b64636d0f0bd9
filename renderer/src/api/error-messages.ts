import type { ApiError, ErrorCode } from '../../../agent/api/contract.ts';

/** What each error code means to the user, and what to do; the agent's message adds the details. */
const headlines: Record<ErrorCode, string> = {
  INVALID_PARAMS: 'That value is not accepted.',
  UNKNOWN_METHOD: 'This version of the agent does not know that action. Update Roost.',
  UNAUTHORIZED: 'The access token is missing or wrong.',
  FORBIDDEN: 'The agent refused the request.',
  NOT_FOUND: 'Not found.',
  SETTINGS_INVALID: 'These settings do not fit together.',
  SETTINGS_UNWRITABLE: 'Your settings could not be saved.',
  UNAVAILABLE: 'The agent is not answering.',
  INTERNAL: 'Something went wrong inside the agent.',
  NETWORK_UNAVAILABLE: 'The network is not answering.',
  JOB_REFUSED: 'Roost refused this job.',
  BENCH_BUSY: 'A benchmark is already running.',
  BENCH_INVALID_TARGET: 'That accelerator or device cannot be benchmarked here.',
  BENCH_SUITE_MISMATCH: 'This report was made with another benchmark suite.',
  REPORT_NOT_FOUND: 'That report was not found.',
  REPORT_INVALID: 'That file is not a valid Roost report.',
  PDF_UNAVAILABLE: 'PDF export needs Chromium, which was not found.',
  PDF_FAILED: 'The PDF could not be made.',
  JOB_STATE: 'The job cannot do that now.',
  TOO_LARGE: 'That is too large to download from the page.',
  NOTIFY_NOT_SET: 'No notification webhook is set.',
  NOTIFY_FAILED: 'The test notification did not arrive.',
  WALLET_NONE: 'There is no wallet yet.',
  WALLET_EXISTS: 'A wallet exists already.',
  WALLET_LOCKED: 'The wallet is locked.',
  WALLET_WRONG_PASSWORD: 'Wrong password.',
  WALLET_WEAK_PASSWORD: 'That password is too weak.',
  WALLET_KEYSTORE_DAMAGED: 'The wallet file is damaged.',
  WALLET_INVALID_MNEMONIC: 'That recovery phrase is not valid.',
  WALLET_INVALID_PRIVATE_KEY: 'That private key is not valid.',
  WALLET_INVALID_BACKUP: 'That backup is not a wallet file.',
  WALLET_CONFIRMATION_MISMATCH: 'Those words do not match your recovery phrase.',
  WALLET_CREATION_NOT_FOUND: 'That new wallet is no longer waiting: start again.',
  WALLET_BAD_ADDRESS: 'That address is not valid.',
  WALLET_BAD_AMOUNT: 'That amount is not valid.',
  WALLET_INSUFFICIENT_BALANCE: 'Not enough funds.',
  WALLET_PREPARED_UNKNOWN: 'That payment was never prepared.',
  WALLET_PREPARED_EXPIRED: 'That payment waited too long: prepare it again.',
  WALLET_PREPARED_USED: 'That payment was already sent.',
  WALLET_NETWORK_CHANGED: 'The network changed since you prepared this: prepare it again.',
  WALLET_TX_FAILED: 'The chain refused the transaction.',
  WALLET_UNWRITABLE: 'The wallet file could not be saved.',
};

export function headlineFor(code: ErrorCode): string {
  return headlines[code];
}

export function describeError(error: ApiError): string {
  return `${headlines[error.code]} ${error.message}`;
}
