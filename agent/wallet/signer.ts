import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet, getAddress, verifyMessage } from 'ethers';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomic-file.ts';

/**
 * What signs receipts and benchmark reports: EIP-191 personal_sign over secp256k1. The key stays
 * inside; callers get an address and signatures only. The wallet (keystore, unlock) will provide
 * the same interface; until then a local key in the data folder does.
 */
export interface ProviderSigner {
  readonly address: string;
  /** EIP-191 personal_sign of the UTF-8 text (or the raw bytes). */
  signMessage(message: string | Uint8Array): Promise<string>;
}

export const LOCAL_KEY_FILE = 'signing-key.json';
const keyFileSchema = z.object({
  format: z.literal(1),
  purpose: z.literal('roost-local-signing-key'),
  address: z.string(),
  privateKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
});

/**
 * The local signing key of this data folder, made on first use (mode 0600). A damaged key file
 * is an error, never silently replaced: reports signed with the old key must stay attributable.
 */
export async function loadOrCreateLocalSigner(dataDir: string): Promise<ProviderSigner> {
  const file = join(dataDir, LOCAL_KEY_FILE);
  let wallet: Wallet;
  try {
    const text = await readFile(file, 'utf8');
    const parsed = keyFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error('its contents are not a Roost signing key');
    wallet = new Wallet(parsed.data.privateKey);
    if (getAddress(parsed.data.address) !== wallet.address)
      throw new Error('its address does not match its key');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `The signing key ${file} is damaged (${(error as Error).message}). Restore it from a backup, or move it away to make a new key (reports signed with the old key will then show a different signer).`,
        { cause: error },
      );
    }
    const fresh = Wallet.createRandom();
    wallet = new Wallet(fresh.privateKey);
    const body = {
      format: 1,
      purpose: 'roost-local-signing-key',
      address: wallet.address,
      privateKey: wallet.privateKey,
    };
    await writeFileAtomic(file, JSON.stringify(body, null, 2) + '\n', 0o600);
  }
  return signerFor(wallet);
}

function signerFor(wallet: Wallet): ProviderSigner {
  return {
    address: wallet.address,
    signMessage: (message) => wallet.signMessage(message),
  };
}

/** The address that signed `message`, or undefined when the signature is malformed. */
export function recoverSigner(message: string | Uint8Array, signature: string): string | undefined {
  try {
    return verifyMessage(message, signature);
  } catch {
    return undefined;
  }
}
