import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import type { ProviderSigner } from '../wallet/signer.ts';
import { signReceipt, verifyReceipt } from './receipt.ts';
import type { Receipt } from './schema.ts';

const wallet = new Wallet('0x' + '11'.repeat(32));
const signer: ProviderSigner = {
  address: wallet.address,
  signMessage: (m) => wallet.signMessage(m),
};
const H = 'b'.repeat(64);
const body: Omit<Receipt, 'provider'> = {
  format: 'roost.result/1',
  jobId: 'job-1',
  specSha256: H,
  modelSha256: H,
  inputs: [{ set: 0, name: 'x', sha256: H }],
  outputs: [
    { set: 0, name: 'y', file: 'y.npy', dtype: 'float32', shape: [2], bytes: 136, sha256: H },
  ],
  executionProvider: 'webgpu',
  fallbacks: [],
  adapter: { name: 'llvmpipe', software: true },
  timings: { fetchMs: 1, sessionMs: 2, runMs: 3, totalMs: 6 },
  sandbox: { scrubbedEnv: true, permissionModel: true, bwrap: true },
  roostVersion: '0.1.0',
  onnxruntimeVersion: '1.30.0',
  finishedAt: '2026-01-01T00:00:00.000Z',
};

describe('result receipts', () => {
  it('are signed by the provider and verify', async () => {
    const signed = await signReceipt(body, signer);
    expect(signed.receipt.provider).toBe(wallet.address);
    expect(verifyReceipt(JSON.parse(JSON.stringify(signed)))).toMatchObject({
      ok: true,
      signer: wallet.address,
    });
  });

  it('fail to verify when anything changed', async () => {
    const signed = await signReceipt(body, signer);
    const tampered = JSON.parse(JSON.stringify(signed));
    tampered.receipt.outputs[0].sha256 = 'c'.repeat(64);
    expect(verifyReceipt(tampered)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not by the provider/),
    });
    const other = new Wallet('0x' + '22'.repeat(32));
    const forged = { ...signed, receipt: { ...signed.receipt, provider: other.address } };
    expect(verifyReceipt(forged).ok).toBe(false);
    expect(verifyReceipt({ receipt: {}, signature: {} })).toMatchObject({ ok: false });
    expect(
      verifyReceipt({ ...signed, signature: { ...signed.signature, value: '0x1234' } }),
    ).toMatchObject({
      ok: false,
      reason: 'the signature is malformed',
    });
  });
});
