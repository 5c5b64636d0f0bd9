/**
 * The result receipt: `result.json` beside a job's outputs says which model and inputs went in,
 * which outputs came out (by sha256), on which provider and adapter, how long it took, under
 * which sandbox and which Roost, and is signed (EIP-191 over its canonical JSON) with the
 * provider's key. Anyone with the file can check who signed it and that nothing changed.
 */
import { recoverSigner } from '../wallet/signer.ts';
import type { ProviderSigner } from '../wallet/signer.ts';
import { receiptSchema, signedReceiptSchema } from './schema.ts';
import type { Receipt, SignedReceipt } from './schema.ts';
import { canonicalJson } from './util.ts';

export async function signReceipt(
  receipt: Omit<Receipt, 'provider'>,
  signer: ProviderSigner,
): Promise<SignedReceipt> {
  const full = receiptSchema.parse({ ...receipt, provider: signer.address });
  const value = await signer.signMessage(canonicalJson(full));
  return {
    receipt: full,
    signature: { scheme: 'eip191-canonical-json', signer: signer.address, value },
  };
}

export type ReceiptCheck =
  { ok: true; signer: string; receipt: Receipt } | { ok: false; reason: string };

/** Checks a parsed result.json: its shape, and that its provider signed exactly this receipt. */
export function verifyReceipt(raw: unknown): ReceiptCheck {
  const parsed = signedReceiptSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'not a roost.result/1 receipt' };
  const { receipt, signature } = parsed.data;
  const recovered = recoverSigner(canonicalJson(receipt), signature.value);
  if (!recovered) return { ok: false, reason: 'the signature is malformed' };
  if (recovered.toLowerCase() !== receipt.provider.toLowerCase()) {
    return { ok: false, reason: `signed by ${recovered}, not by the provider ${receipt.provider}` };
  }
  if (recovered.toLowerCase() !== signature.signer.toLowerCase()) {
    return { ok: false, reason: `signed by ${recovered}, not by ${signature.signer}` };
  }
  return { ok: true, signer: recovered, receipt };
}
