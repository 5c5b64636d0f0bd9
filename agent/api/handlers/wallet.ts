import type { Handlers } from '../router.ts';
import type { WalletService } from '../../wallet/index.ts';

type WalletMethod =
  | 'wallet.status'
  | 'wallet.create'
  | 'wallet.confirmCreate'
  | 'wallet.import'
  | 'wallet.unlock'
  | 'wallet.lock'
  | 'wallet.changePassword'
  | 'wallet.exportBackup'
  | 'wallet.balance'
  | 'wallet.network'
  | 'wallet.prepareSend'
  | 'wallet.prepareWithdraw'
  | 'wallet.confirm'
  | 'wallet.history';

/** The wallet's methods; its typed WalletErrors become `{ ok: false, error }` in the router. */
export function walletHandlers(wallet: WalletService): Pick<Handlers, WalletMethod> {
  return {
    'wallet.status': () => wallet.status(),
    'wallet.create': (p) => wallet.create(p),
    'wallet.confirmCreate': (p) => wallet.confirmCreate(p),
    'wallet.import': (p) => wallet.importWallet(p),
    'wallet.unlock': (p) => wallet.unlock(p),
    'wallet.lock': (p) => wallet.lock(p),
    'wallet.changePassword': (p) => wallet.changePassword(p),
    'wallet.exportBackup': (p) => wallet.exportBackup(p),
    'wallet.balance': () => wallet.balance(),
    'wallet.network': () => wallet.network(),
    'wallet.prepareSend': (p) => wallet.prepareSend(p),
    'wallet.prepareWithdraw': (p) => wallet.prepareWithdraw(p),
    'wallet.confirm': (p) => wallet.confirm(p),
    'wallet.history': (p) => wallet.history(p),
  };
}
