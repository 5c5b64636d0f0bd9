import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import {
  CreateWallet,
  ForgetRememberedPassword,
  ImportWallet,
  UnlockWallet,
  WalletSetup,
} from './WalletSetup.tsx';
import { defaultSettings } from '../../../agent/api/contract.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

type Memory = {
  available: boolean;
  remembered: boolean;
  why: string | null;
  backend: string | null;
};

function fakeClient(memory: Memory) {
  const calls: { method: string; params: unknown }[] = [];
  const unlocked = { state: 'unlocked', address: `0x${'1'.repeat(40)}`, workSigning: true };
  const { client } = fakeAgentClient((method, params) => {
    calls.push({ method, params });
    if (method === 'settings.get') return ok(defaultSettings);
    if (method === 'unlock.status') return ok(memory);
    if (method === 'unlock.remember') return ok({ ...memory, remembered: true });
    if (method === 'unlock.forget') return ok({ ...memory, remembered: false });
    if (method === 'wallet.unlock') return ok(unlocked);
    if (method === 'wallet.create')
      return ok({ creationId: 'c', mnemonic: 'one two three', positions: [1, 3] });
    if (method === 'wallet.import') return ok(unlocked);
    if (method === 'wallet.confirmCreate') {
      const given = (params as { words: { position: number; word: string }[] }).words;
      const right = given.every((w) => w.word === (w.position === 1 ? 'one' : 'three'));
      return right
        ? ok(unlocked)
        : {
            ok: false,
            error: {
              code: 'WALLET_CONFIRMATION_MISMATCH',
              message: 'Word 3 does not match the recovery phrase. Check your written copy.',
            },
          };
    }
    return unavailable();
  });
  return { client, calls };
}

const desktop: Memory = {
  available: true,
  remembered: false,
  why: null,
  backend: 'gnome_libsecret',
};
const browser: Memory = {
  available: false,
  remembered: false,
  why: 'Only the desktop app can remember the password.',
  backend: null,
};

describe('unlocking the wallet', () => {
  it('offers the keychain where it works, and remembers through it when asked', async () => {
    const { client, calls } = fakeClient(desktop);
    let done = 0;
    render(
      <AgentProvider client={client}>
        <UnlockWallet onDone={() => (done += 1)} />
      </AgentProvider>,
    );
    const box = await screen.findByRole('checkbox', { name: /Remember on this computer/ });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a long password' } });
    fireEvent.click(box);
    fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    await waitFor(() => expect(done).toBe(1));
    expect(calls.filter((c) => c.method === 'unlock.remember')).toEqual([
      { method: 'unlock.remember', params: { password: 'a long password' } },
    ]);
    expect(calls.some((c) => c.method === 'wallet.unlock')).toBe(false);
  });

  it('unlocks plainly, with no keychain offer, where none works (the browser dashboard)', async () => {
    const { client, calls } = fakeClient(browser);
    let done = 0;
    render(
      <AgentProvider client={client}>
        <UnlockWallet onDone={() => (done += 1)} />
      </AgentProvider>,
    );
    await waitFor(() => expect(calls.some((c) => c.method === 'unlock.status')).toBe(true));
    expect(screen.queryByRole('checkbox', { name: /Remember/ })).toBeNull();
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a long password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    await waitFor(() => expect(done).toBe(1));
    expect(calls.some((c) => c.method === 'unlock.remember')).toBe(false);
  });

  it('forgets a remembered password on request', async () => {
    const { client, calls } = fakeClient({ ...desktop, remembered: true });
    render(
      <AgentProvider client={client}>
        <ForgetRememberedPassword />
      </AgentProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Forget the remembered password' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: /Forget/ })).toBeNull());
    expect(calls.some((c) => c.method === 'unlock.forget')).toBe(true);
  });
});

describe('choosing a new password', () => {
  it('creating: stops at two different passwords, with the reason announced, then goes on', async () => {
    const { client, calls } = fakeClient(browser);
    render(
      <AgentProvider client={client}>
        <CreateWallet onDone={() => undefined} />
      </AgentProvider>,
    );
    fireEvent.change(screen.getByLabelText('Password (8 characters or more)'), {
      target: { value: 'a good long password' },
    });
    fireEvent.change(screen.getByLabelText('Password again'), {
      target: { value: 'a good long pasword' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Create wallet' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The two passwords differ.');
    expect(calls.some((c) => c.method === 'wallet.create')).toBe(false);

    fireEvent.change(screen.getByLabelText('Password again'), {
      target: { value: 'a good long password' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Create wallet' }));
    await screen.findByTestId('mnemonic');
    expect(calls.filter((c) => c.method === 'wallet.create')).toEqual([
      { method: 'wallet.create', params: { password: 'a good long password' } },
    ]);
  });

  it('importing: asks for the new password twice and sends it with the recovery words', async () => {
    const { client, calls } = fakeClient(browser);
    let done = 0;
    render(
      <AgentProvider client={client}>
        <ImportWallet onDone={() => (done += 1)} />
      </AgentProvider>,
    );
    fireEvent.change(screen.getByLabelText('Recovery words or private key'), {
      target: { value: ' one two three ' },
    });
    fireEvent.change(screen.getByLabelText('New password for this computer'), {
      target: { value: 'a good long password' },
    });
    fireEvent.change(screen.getByLabelText('Password again'), {
      target: { value: 'a good long pasword' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The two passwords differ.');
    expect(calls.some((c) => c.method === 'wallet.import')).toBe(false);

    fireEvent.change(screen.getByLabelText('Password again'), {
      target: { value: 'a good long password' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    await waitFor(() => expect(done).toBe(1));
    expect(calls.filter((c) => c.method === 'wallet.import')).toEqual([
      {
        method: 'wallet.import',
        params: { kind: 'mnemonic', mnemonic: 'one two three', password: 'a good long password' },
      },
    ]);
  });
});

describe('checking the recovery words', () => {
  it('hides the words while they are given back, says once which are wrong, and keeps the way out closed', async () => {
    const { client, calls } = fakeClient(browser);
    const phrase: boolean[] = [];
    let done = 0;
    render(
      <AgentProvider client={client}>
        <WalletSetup onDone={() => (done += 1)} onPhrase={(out) => phrase.push(out)} />
      </AgentProvider>,
    );
    fireEvent.change(screen.getByLabelText('Password (8 characters or more)'), {
      target: { value: 'a good long password' },
    });
    fireEvent.change(screen.getByLabelText('Password again'), {
      target: { value: 'a good long password' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Create wallet' }));
    expect((await screen.findByTestId('mnemonic')).textContent).toBe('onetwothree');
    // While the words are out, switching to import (which would drop them) is not offered.
    expect(screen.queryByRole('radiogroup', { name: 'Set up a wallet' })).toBeNull();
    expect(phrase.at(-1)).toBe(true);

    fireEvent.click(screen.getByRole('button', { name: 'I wrote them down' }));
    expect(screen.queryByTestId('mnemonic')).toBeNull();
    expect(screen.queryByText('two')).toBeNull();
    fireEvent.change(screen.getByLabelText('Word 1'), { target: { value: 'one' } });
    fireEvent.change(screen.getByLabelText('Word 3'), { target: { value: 'tree' } });
    fireEvent.click(screen.getByRole('button', { name: 'Finish' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Word 3 does not match the recovery phrase. Check your written copy.',
    );

    // Back to the words, and the check starts over with empty fields.
    fireEvent.click(screen.getByRole('button', { name: 'Show the words again' }));
    expect(screen.getByTestId('mnemonic')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'I wrote them down' }));
    expect((screen.getByLabelText('Word 3') as HTMLInputElement).value).toBe('');
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.change(screen.getByLabelText('Word 1'), { target: { value: 'one' } });
    fireEvent.change(screen.getByLabelText('Word 3'), { target: { value: ' three ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Finish' }));
    await waitFor(() => expect(done).toBe(1));
    expect(phrase.at(-1)).toBe(false);
    expect(calls.filter((c) => c.method === 'wallet.confirmCreate').length).toBe(2);
  });
});
