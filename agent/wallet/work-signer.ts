/**
 * The wallet key as the agent's own signer: a `ProviderSigner` for receipts and benchmark reports
 * and an ethers `Signer` for market transactions. It holds no key, only a way to borrow the
 * unlocked one for each signature, so it refuses (`WALLET_LOCKED`) once the wallet stops work
 * signing, and nothing that holds it can read the key.
 */
import { AbstractSigner } from 'ethers';
import type {
  Authorization,
  AuthorizationRequest,
  Provider,
  TransactionRequest,
  TypedDataDomain,
  TypedDataField,
} from 'ethers';
import type { KeyWallet } from './keystore.ts';
import type { ProviderSigner } from './signer.ts';

/** Returns the unlocked key of `address`, or throws the reason it can't (locked, replaced). */
export type KeyAccess = (address: string) => KeyWallet;

export class WalletSigner extends AbstractSigner implements ProviderSigner {
  readonly address: string;
  readonly #key: KeyAccess;

  constructor(address: string, key: KeyAccess, provider: Provider | null = null) {
    super(provider);
    this.address = address;
    this.#key = key;
  }

  getAddress(): Promise<string> {
    return Promise.resolve(this.address);
  }

  connect(provider: Provider | null): WalletSigner {
    return new WalletSigner(this.address, this.#key, provider);
  }

  async signTransaction(tx: TransactionRequest): Promise<string> {
    return this.#key(this.address).signTransaction(tx);
  }

  async signMessage(message: string | Uint8Array): Promise<string> {
    return this.#key(this.address).signMessage(message);
  }

  async signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    // ethers' own signature: typed-data values are arbitrary records.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    value: Record<string, any>,
  ): Promise<string> {
    return this.#key(this.address).connect(this.provider).signTypedData(domain, types, value);
  }

  override async authorize(auth: AuthorizationRequest): Promise<Authorization> {
    return this.#key(this.address).connect(this.provider).authorize(auth);
  }

  /** Never print or serialise anything but the address. */
  toJSON(): { address: string } {
    return { address: this.address };
  }
}
