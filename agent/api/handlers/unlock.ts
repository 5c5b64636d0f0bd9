/**
 * `unlock.status`, `unlock.remember`, `unlock.forget`: the desktop app's remembered wallet
 * password. The agent stays free of Electron: the host injects an `UnlockMemory` (electron/
 * remembered-unlock.ts, on safeStorage); `roost serve`, the CLI and tests inject none, and the
 * methods then say the feature belongs to the desktop app. The password is checked by unlocking
 * the wallet with it before it is remembered, and never appears in an answer or a log line.
 */
import type { UnlockMemoryStatus } from '../contract.ts';
import { ApiFailure } from '../errors.ts';
import type { Handlers } from '../router.ts';
import type { WalletService } from '../../wallet/index.ts';

/** Where a host keeps the remembered password; see electron/remembered-unlock.ts. */
export interface UnlockMemory {
  status(): Promise<UnlockMemoryStatus>;
  /** Stores the password (already checked); throws with a reason in words when it can't. */
  remember(password: string): Promise<UnlockMemoryStatus>;
  forget(): Promise<UnlockMemoryStatus>;
}

export const NO_UNLOCK_MEMORY: UnlockMemoryStatus = {
  available: false,
  remembered: false,
  why: 'Only the desktop app can remember your password, with the system keychain; here, unlock the wallet by hand (Wallet page, or `roost wallet unlock`).',
  backend: null,
};

export function unlockHandlers(deps: {
  memory: UnlockMemory | undefined;
  wallet: Pick<WalletService, 'unlock'>;
}): Pick<Handlers, 'unlock.status' | 'unlock.remember' | 'unlock.forget'> {
  const { memory } = deps;
  return {
    'unlock.status': () => (memory ? memory.status() : NO_UNLOCK_MEMORY),
    'unlock.remember': async ({ password }) => {
      if (!memory) throw new ApiFailure('UNAVAILABLE', NO_UNLOCK_MEMORY.why as string);
      const status = await memory.status();
      if (!status.available)
        throw new ApiFailure('UNAVAILABLE', status.why ?? 'The system keychain is not available.');
      // A wrong password fails here with the wallet's own error (WALLET_WRONG_PASSWORD).
      await deps.wallet.unlock({ password });
      try {
        return await memory.remember(password);
      } catch (error) {
        const reason = error instanceof Error ? error.message : 'the keychain refused';
        throw new ApiFailure(
          'UNAVAILABLE',
          `The wallet is unlocked, but Roost could not remember the password: ${reason}`,
        );
      }
    },
    'unlock.forget': () => (memory ? memory.forget() : NO_UNLOCK_MEMORY),
  };
}
