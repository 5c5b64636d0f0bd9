/**
 * The pieces that make a wallet: create one (password → recovery words shown once → three words
 * given back), import one (recovery words or a private key), unlock one, and the create-or-import
 * choice. The Wallet page and the first-run setup both use them.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { checkNewPassword, PasswordFields } from './PasswordFields.tsx';

/** Heading level of a form's title, so the forms fit under a page or under a setup step. */
export type HeadingLevel = 2 | 3 | 4;

function Heading({ level, children }: { level: HeadingLevel; children: string }) {
  const Tag = `h${level}` as const;
  return <Tag>{children}</Tag>;
}

/** An error in plain words, announced to screen readers; nothing when there is none. */
export function Problem({ text }: { text?: string | undefined }) {
  return text ? (
    <div className="banner banner-error" role="alert">
      {text}
    </div>
  ) : null;
}

/** Create: choose a password → the phrase, shown once → give back three words → ready. */
export function CreateWallet({
  onDone,
  headingLevel = 2,
}: {
  onDone: () => void;
  headingLevel?: HeadingLevel;
}) {
  const { client } = useAgent();
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [created, setCreated] = useState<ResultOf<'wallet.create'>>();
  const [words, setWords] = useState<Record<number, string>>({});
  const [wroteDown, setWroteDown] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    const mismatch = checkNewPassword(password, again);
    if (mismatch) return setProblem(mismatch);
    setBusy(true);
    const r = await client.call('wallet.create', { password });
    setBusy(false);
    if (r.ok) {
      setCreated(r.value);
      setProblem(undefined);
      setPassword('');
      setAgain('');
    } else setProblem(describeError(r.error));
  };
  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    if (!created) return;
    setBusy(true);
    const r = await client.call('wallet.confirmCreate', {
      creationId: created.creationId,
      words: created.positions.map((position) => ({
        position,
        word: (words[position] ?? '').trim(),
      })),
    });
    setBusy(false);
    if (r.ok) onDone();
    else setProblem(describeError(r.error));
  };

  if (!created) {
    return (
      <form className="card wallet-form" onSubmit={(e) => void start(e)}>
        <Heading level={headingLevel}>Create a wallet</Heading>
        <p className="muted">
          Your earnings are paid to this wallet. Its keys stay on this computer, encrypted with your
          password.
        </p>
        <PasswordFields
          id="new-password"
          label="Password (8 characters or more)"
          password={password}
          onPassword={setPassword}
          again={again}
          onAgain={setAgain}
        />
        <Problem text={problem} />
        <button type="submit" disabled={busy || password.length === 0}>
          {busy ? 'Creating…' : 'Create wallet'}
        </button>
      </form>
    );
  }
  return (
    <div className="card wallet-form">
      <Heading level={headingLevel}>Write down your recovery words</Heading>
      <p>
        These {created.mnemonic.split(' ').length} words are the only way to get your money back if
        you forget the password or lose this computer. Write them on paper, in order.{' '}
        <strong>They are shown only now.</strong> Anyone who has them can take your money.
      </p>
      <ol className="mnemonic" data-testid="mnemonic">
        {created.mnemonic.split(' ').map((w, i) => (
          <li key={i}>{w}</li>
        ))}
      </ol>
      {!wroteDown ? (
        <button type="button" onClick={() => setWroteDown(true)}>
          I wrote them down
        </button>
      ) : (
        <form onSubmit={(e) => void confirm(e)}>
          <p>To check, type these words from your paper:</p>
          {created.positions.map((position, i) => (
            <div key={position} className="word-check">
              <label htmlFor={`word-${position}`}>Word {position}</label>
              <input
                id={`word-${position}`}
                autoComplete="off"
                // The first word to give back takes the focus from the button that revealed it.
                autoFocus={i === 0}
                value={words[position] ?? ''}
                onChange={(e) => setWords({ ...words, [position]: e.target.value })}
              />
            </div>
          ))}
          <Problem text={problem} />
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Finish'}
          </button>
        </form>
      )}
    </div>
  );
}

export function ImportWallet({
  onDone,
  headingLevel = 2,
}: {
  onDone: () => void;
  headingLevel?: HeadingLevel;
}) {
  const { client } = useAgent();
  const [secret, setSecret] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // A typo in the new password would lock the imported wallet on this computer.
    const mismatch = checkNewPassword(password, again);
    if (mismatch) return setProblem(mismatch);
    const text = secret.trim();
    const params = /^(0x)?[0-9a-fA-F]{64}$/.test(text)
      ? { kind: 'privateKey' as const, privateKey: text, password }
      : { kind: 'mnemonic' as const, mnemonic: text, password };
    setBusy(true);
    const r = await client.call('wallet.import', params);
    setBusy(false);
    if (r.ok) onDone();
    else setProblem(describeError(r.error));
  };
  return (
    <form className="card wallet-form" onSubmit={(e) => void submit(e)}>
      <Heading level={headingLevel}>Import a wallet</Heading>
      <label htmlFor="import-secret">Recovery words or private key</label>
      <textarea
        id="import-secret"
        rows={3}
        autoComplete="off"
        spellCheck={false}
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
      />
      <PasswordFields
        id="import-password"
        label="New password for this computer"
        password={password}
        onPassword={setPassword}
        again={again}
        onAgain={setAgain}
      />
      <Problem text={problem} />
      <button type="submit" disabled={busy || secret.trim() === ''}>
        {busy ? 'Importing…' : 'Import'}
      </button>
    </form>
  );
}

type UnlockMemory = ResultOf<'unlock.status'>;

/** Whether the desktop app can remember the password (system keychain); null until known. */
export function useUnlockMemory(): [UnlockMemory | null, (next: UnlockMemory) => void] {
  const { client } = useAgent();
  const [memory, setMemory] = useState<UnlockMemory | null>(null);
  useEffect(() => {
    let live = true;
    void client.call('unlock.status').then((r) => {
      if (live && r.ok) setMemory(r.value);
    });
    return () => {
      live = false;
    };
  }, [client]);
  return [memory, setMemory];
}

export function UnlockWallet({ onDone }: { onDone: () => void }) {
  const { client } = useAgent();
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [memory] = useUnlockMemory();
  const [problem, setProblem] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Remembering unlocks too: the keychain keeps the password only once it proved right.
    const r = remember
      ? await client.call('unlock.remember', { password })
      : await client.call('wallet.unlock', { password });
    setPassword('');
    if (!r.ok) return setProblem(describeError(r.error));
    if ('available' in r.value && !r.value.remembered)
      return setProblem(r.value.why ?? 'The password could not be remembered.');
    onDone();
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)}>
      <label htmlFor="unlock-password">Password</label>
      <input
        id="unlock-password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit">Unlock</button>
      {memory?.available && (
        <label className="check">
          <input
            type="checkbox"
            checked={remember}
            onChange={(e) => setRemember(e.target.checked)}
          />
          Remember on this computer: unlock by itself when Roost starts (system keychain)
        </label>
      )}
      <Problem text={problem} />
    </form>
  );
}

/** "Forget the remembered password", shown while the keychain holds one. */
export function ForgetRememberedPassword() {
  const { client } = useAgent();
  const [memory, setMemory] = useUnlockMemory();
  if (!memory?.remembered) return null;
  return (
    <button
      type="button"
      className="secondary"
      onClick={() =>
        void client.call('unlock.forget').then((r) => {
          if (r.ok) setMemory(r.value);
        })
      }
    >
      Forget the remembered password
    </button>
  );
}

/** The choice between a new wallet and one the user has, with the form for each. */
export function WalletSetup({
  onDone,
  headingLevel = 2,
}: {
  onDone: () => void;
  headingLevel?: HeadingLevel;
}) {
  const [setup, setSetup] = useState<'create' | 'import'>('create');
  return (
    <>
      <div className="tabs" role="radiogroup" aria-label="Set up a wallet">
        <label>
          <input
            type="radio"
            name="setup"
            checked={setup === 'create'}
            onChange={() => setSetup('create')}
          />{' '}
          Create a new wallet
        </label>
        <label>
          <input
            type="radio"
            name="setup"
            checked={setup === 'import'}
            onChange={() => setSetup('import')}
          />{' '}
          I have one
        </label>
      </div>
      {setup === 'create' ? (
        <CreateWallet onDone={onDone} headingLevel={headingLevel} />
      ) : (
        <ImportWallet onDone={onDone} headingLevel={headingLevel} />
      )}
    </>
  );
}
