/**
 * The pieces that make a wallet: create one (password → recovery words shown once → three words
 * given back), import one (recovery words or a private key), unlock one, and the create-or-import
 * choice. The Wallet page and the first-run setup both use them.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
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

/**
 * Create: choose a password → the phrase, shown once → give back three words → ready. The words
 * are hidden while they are given back, so the check proves they were written down. `onPhrase`
 * says when a phrase is out and not yet checked: leaving then loses it, so callers hide their
 * ways out.
 */
export function CreateWallet({
  onDone,
  onPhrase,
  headingLevel = 2,
}: {
  onDone: () => void;
  onPhrase?: (out: boolean) => void;
  headingLevel?: HeadingLevel;
}) {
  const { client } = useAgent();
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [created, setCreated] = useState<ResultOf<'wallet.create'>>();
  const [words, setWords] = useState<Record<number, string>>({});
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    onPhrase?.(created !== undefined);
  }, [created, onPhrase]);
  // Gone from the screen, the words are out no more.
  useEffect(() => () => onPhrase?.(false), [onPhrase]);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    const mismatch = checkNewPassword(password, again);
    if (mismatch) return setProblem(mismatch);
    setBusy(true);
    const r = await client.call('wallet.create', { password });
    setBusy(false);
    if (r.ok) {
      // Said with the words, in the same render: no frame shows them beside a way out.
      onPhrase?.(true);
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
    if (r.ok) {
      onPhrase?.(false);
      onDone();
    }
    // The agent's message names the wrong words and what to do; the headline would say it twice.
    else if (r.error.code === 'WALLET_CONFIRMATION_MISMATCH') setProblem(r.error.message);
    else setProblem(describeError(r.error));
  };
  const showWords = () => {
    setChecking(false);
    setWords({});
    setProblem(undefined);
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
  const count = created.mnemonic.split(' ').length;
  if (!checking) {
    return (
      <div className="card wallet-form">
        <Heading level={headingLevel}>Write down your recovery words</Heading>
        <p>
          These {count} words are the only way to get your money back if you forget the password or
          lose this computer. Write them on paper, in order.{' '}
          <strong>They are shown only until you finish this check.</strong> Anyone who has them can
          take your money.
        </p>
        <ol className="mnemonic" data-testid="mnemonic">
          {created.mnemonic.split(' ').map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ol>
        <button type="button" onClick={() => setChecking(true)}>
          I wrote them down
        </button>
      </div>
    );
  }
  return (
    <form className="card wallet-form" onSubmit={(e) => void confirm(e)}>
      <Heading level={headingLevel}>Check your recovery words</Heading>
      <p>
        The words are hidden now. To check your paper, type these words from it (counting from 1):
      </p>
      {created.positions.map((position, i) => (
        <div key={position} className="word-check">
          <label htmlFor={`word-${position}`}>Word {position}</label>
          <input
            id={`word-${position}`}
            autoComplete="off"
            spellCheck={false}
            // The first word to give back takes the focus from the button that hid the words.
            autoFocus={i === 0}
            value={words[position] ?? ''}
            onChange={(e) => setWords({ ...words, [position]: e.target.value })}
          />
        </div>
      ))}
      <Problem text={problem} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Finish'}
        </button>
        <button type="button" className="secondary" onClick={showWords} disabled={busy}>
          Show the words again
        </button>
      </div>
    </form>
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
  onPhrase,
  headingLevel = 2,
}: {
  onDone: () => void;
  /** See CreateWallet: true while new recovery words are out and not yet checked. */
  onPhrase?: (out: boolean) => void;
  headingLevel?: HeadingLevel;
}) {
  const [setup, setSetup] = useState<'create' | 'import'>('create');
  const [phraseOut, setPhraseOut] = useState(false);
  const phrase = useCallback(
    (out: boolean) => {
      setPhraseOut(out);
      onPhrase?.(out);
    },
    [onPhrase],
  );
  return (
    <>
      {/* Switching to import while new words are out would drop them. */}
      {!phraseOut && (
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
      )}
      {setup === 'create' ? (
        <CreateWallet onDone={onDone} onPhrase={phrase} headingLevel={headingLevel} />
      ) : (
        <ImportWallet onDone={onDone} headingLevel={headingLevel} />
      )}
    </>
  );
}
