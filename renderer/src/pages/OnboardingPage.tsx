/**
 * First-run setup, in four steps a gamer finishes without reading anything else: which hardware
 * works, the benchmark score, a wallet, then when to work and for what price. "Start earning"
 * saves those settings (and marks setup done) and shows the Dashboard. Every step can be left for
 * later, and says what that costs. It shows on the Dashboard (see SetupContext.tsx for when).
 */
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { SETTING_LABELS, adapterName, executionProviderName } from '../../../agent/api/contract.ts';
import type { ResultOf, Settings } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { AgentText } from '../components/AgentText.tsx';
import { describeError } from '../api/error-messages.ts';
import { useSetup } from '../components/SetupContext.tsx';
import { Problem, UnlockWallet, WalletSetup } from '../components/WalletSetup.tsx';
import { useBenchRun, type BenchTarget } from '../hooks/useBenchRun.ts';
import { useDetect } from '../hooks/useDetect.ts';
import { InstallCuda, needsCudaLibraries } from '../components/InstallCuda.tsx';
import { listWords } from '../words.ts';
import {
  checkStart,
  describeHardware,
  earnedPerHourAt,
  formatFigure,
  parsePrice,
  pickBenchTarget,
  setupSteps,
  type StartDraft,
  type WorkMode,
} from './onboarding.ts';

type HistoryEntry = ResultOf<'bench.history'>['reports'][number];
type Report = ResultOf<'bench.run'>['report']['report'];
type WalletStatus = ResultOf<'wallet.status'>;
type Estimate = ResultOf<'yield.estimate'>;

function StepActions({ onBack, children }: { onBack?: () => void; children: ReactNode }) {
  return (
    <div className="setup-actions">
      {onBack && (
        <button type="button" className="secondary" onClick={onBack}>
          Back
        </button>
      )}
      {children}
    </div>
  );
}

/** A progress bar with words; without `fraction` it shows work of unknown length. */
function Working({
  label,
  fraction,
  message,
}: {
  label: string;
  fraction?: number;
  message: string;
}) {
  return (
    <div className="job-progress setup-progress" role="status">
      <progress max={1} value={fraction} aria-label={label} />
      <span className="muted">
        {fraction === undefined ? '' : `${Math.round(fraction * 100)} % · `}
        {message}
      </span>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// 1. Hardware

function DetectStep({ onNext }: { onNext: () => void }) {
  const { report, problem, busy, again } = useDetect();
  const summary = report && describeHardware(report);

  return (
    <>
      <p>Roost looks for your graphics cards and tests which ways of running jobs work on them.</p>
      {busy && (
        <Working
          label="Checking your hardware"
          message="Finding your GPUs and testing each one: this can take a minute the first time."
        />
      )}
      {problem && (
        <Problem
          text={`${problem} Press Check again. If it keeps failing, continue: the benchmark finds out what works too.`}
        />
      )}
      {summary && !busy && (
        <div data-testid="setup-hardware">
          <p
            className={`banner ${summary.tone === 'ok' ? 'banner-ok' : 'banner-warn'}`}
            data-testid="setup-hardware-headline"
          >
            <AgentText text={summary.headline} />
          </p>
          <ul className="setup-devices">
            {summary.devices.map((d, i) => (
              <li key={`${d.name}-${i}`}>
                <div>
                  <strong>{d.name}</strong>
                  {d.facts && <span className="muted"> · {d.facts}</span>}
                </div>
                {d.works.length > 0 && (
                  <div className="acc-ok">
                    <span className="acc-badge" aria-hidden="true">
                      ✓
                    </span>{' '}
                    {d.kind === 'cpu'
                      ? 'Can run jobs (slower than a GPU)'
                      : `Can run jobs with ${listWords(d.works)}`}
                  </div>
                )}
                {d.problems.map((p) => (
                  <div key={p} className="acc-no">
                    <span className="acc-badge" aria-hidden="true">
                      ✕
                    </span>{' '}
                    <AgentText text={p} />
                  </div>
                ))}
                {/* The one step most NVIDIA owners need, here rather than in a terminal. */}
                {needsCudaLibraries(d.problems) && <InstallCuda onInstalled={again} />}
              </li>
            ))}
          </ul>
          {summary.notes.length > 0 && (
            <ul className="problems">
              {summary.notes.map((n) => (
                <li key={n}>
                  <AgentText text={n} />
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <StepActions>
        <button type="button" className="secondary" onClick={() => void again()} disabled={busy}>
          {busy ? 'Checking…' : 'Check again'}
        </button>
        <button type="button" onClick={onNext}>
          Continue
        </button>
      </StepActions>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// 2. Benchmark

interface Score {
  value: number | null;
  unit: string;
  on: string;
  /** Workloads that did not score, so there is no composite. */
  missing: string[];
  warnings: string[];
}

function scoreOfReport(r: Report): Score {
  return {
    value: r.composite.value,
    unit: r.composite.unit,
    // `CPU (AMD EPYC)`, as the Benchmark page names it, not the accelerator's id (`cpu`).
    on: r.target.adapter
      ? `${executionProviderName(r.target.ep)} (${adapterName(r.target.adapter)})`
      : executionProviderName(r.target.ep),
    missing: r.composite.missing.map((id) => r.workloads.find((w) => w.id === id)?.title ?? id),
    warnings: r.warnings.map((w) => (w.fix ? `${w.message} ${w.fix}` : w.message)),
  };
}

function scoreOfEntry(h: HistoryEntry): Score {
  return {
    value: h.composite,
    unit: h.compositeUnit,
    on: h.adapter ? `${executionProviderName(h.ep)} (${h.adapter})` : executionProviderName(h.ep),
    missing: Object.entries(h.values)
      .filter(([, v]) => v === null)
      .map(([id]) => id),
    warnings: [],
  };
}

function BenchStep({ onBack, onNext }: { onBack: () => void; onNext: () => void }) {
  const { client } = useAgent();
  const { running, progress, start } = useBenchRun();
  /** undefined: still asking; null: no benchmark yet. */
  const [score, setScore] = useState<Score | null>();
  const [targets, setTargets] = useState<BenchTarget[]>();
  const [target, setTarget] = useState(-1);
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    let live = true;
    void client.call('bench.history', { limit: 1 }).then((h) => {
      if (!live) return;
      const latest = h.ok ? h.value.reports[0] : undefined;
      // A report of an earlier benchmark version is not a score the market takes.
      setScore(latest?.current ? scoreOfEntry(latest) : null);
    });
    void client.call('bench.targets').then((r) => {
      if (!live) return;
      if (r.ok) {
        setTargets(r.value.targets);
        setTarget(pickBenchTarget(r.value.targets));
      } else setProblem(describeError(r.error));
    });
    return () => {
      live = false;
    };
  }, [client]);

  const run = async () => {
    const t = targets?.[target];
    if (!t) return;
    setProblem(undefined);
    const r = await start(t, 'quick');
    if (r.ok) setScore(scoreOfReport(r.value.report.report));
    else setProblem(`${describeError(r.error)} Run it again, or skip for now.`);
  };

  const scored = score?.value !== null && score?.value !== undefined;
  return (
    <>
      <p>
        A quick test (about a minute) measures what this computer can do. The market pays by this
        score and sends you jobs that fit it.
      </p>
      {score === undefined && <p className="muted">Looking for an earlier score…</p>}
      {targets && targets.length === 0 && (
        <div className="empty-state">
          <p>
            Nothing here can run the benchmark yet. Fix what the hardware step showed, then run it
            from the Benchmark page.
          </p>
        </div>
      )}
      {targets && targets.length > 1 && !running && !scored && (
        <div className="inline-form setup-field">
          <label htmlFor="setup-bench-target">Run it on</label>
          <select
            id="setup-bench-target"
            value={target}
            onChange={(e) => setTarget(Number(e.target.value))}
          >
            {targets.map((t, i) => (
              <option key={`${t.ep}-${t.device ?? ''}`} value={i}>
                {t.label}
              </option>
            ))}
          </select>
        </div>
      )}
      {running && progress && (
        <Working
          label="Benchmark progress"
          fraction={progress.fraction}
          message={progress.message}
        />
      )}
      {score && !running && (
        <div data-testid="setup-score-card">
          {score.value !== null ? (
            <>
              <p className="setup-score" data-testid="setup-score">
                <span className="setup-score-value">{formatFigure(score.value)}</span> {score.unit}
              </p>
              <p className="muted">
                Your Roost compute score, measured on {score.on}. Higher is faster.
              </p>
            </>
          ) : (
            <div className="banner banner-warn" role="alert">
              No full score: {listWords(score.missing)} did not finish, and the market needs a full
              score. Run it again; if that fails too, skip for now and look at the Benchmark page.
            </div>
          )}
          {score.warnings.length > 0 && (
            // Folded, so Continue stays in view on a small window; the score counts as it is.
            <details className="setup-notes">
              <summary>
                {score.warnings.length === 1
                  ? '1 note about this run'
                  : `${score.warnings.length} notes about this run`}
              </summary>
              <ul className="diagnostics">
                {score.warnings.map((w) => (
                  <li key={w} className="diag-warning">
                    {w}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
      <Problem text={problem} />
      <StepActions onBack={onBack}>
        {scored ? (
          <>
            <button
              type="button"
              className="secondary"
              onClick={() => void run()}
              disabled={running || target < 0}
            >
              {running ? 'Running…' : 'Run again'}
            </button>
            <button type="button" onClick={onNext} disabled={running}>
              Continue
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              onClick={() => void run()}
              disabled={running || target < 0 || score === undefined}
            >
              {running ? 'Running…' : 'Run the benchmark'}
            </button>
            <button
              type="button"
              className="secondary"
              onClick={onNext}
              disabled={running}
              aria-describedby="setup-bench-skip"
            >
              Skip for now
            </button>
          </>
        )}
      </StepActions>
      {!scored && (
        <p className="muted" id="setup-bench-skip">
          If you skip, the market sends you no jobs: it needs a score first. You can run it later
          from the Benchmark page.
        </p>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// 3. Wallet

function WalletStep({
  onBack,
  onNext,
  phraseOut,
  onPhrase,
}: {
  onBack: () => void;
  onNext: () => void;
  /** New recovery words are on screen and not checked yet: every way out would lose them. */
  phraseOut: boolean;
  onPhrase: (out: boolean) => void;
}) {
  const { client, subscribe } = useAgent();
  const [status, setStatus] = useState<WalletStatus>();
  const [problem, setProblem] = useState<string>();
  const [reads, setReads] = useState(0);
  const reload = () => setReads((n) => n + 1);

  useEffect(() => {
    let live = true;
    const read = () =>
      void client.call('wallet.status').then((r) => {
        if (!live) return;
        if (r.ok) {
          setStatus(r.value);
          setProblem(undefined);
        } else setProblem(describeError(r.error));
      });
    read();
    const stop = subscribe((e) => {
      if (e.event === 'wallet.changed' || e.event === 'wallet.locked') read();
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe, reads]);

  const ready = status?.state === 'locked' || status?.state === 'unlocked';
  return (
    <>
      <p>
        Jobs pay into a wallet that lives on this computer. Make a new one, or bring one you have.
      </p>
      {!status && !problem && <p className="muted">Looking for a wallet…</p>}
      <Problem text={problem} />
      {status && (status.state === 'none' || status.state === 'pending') && (
        <WalletSetup onDone={reload} onPhrase={onPhrase} headingLevel={4} />
      )}
      {status?.state === 'damaged' && (
        <div className="banner banner-error" role="alert">
          {status.problem?.message ?? 'The wallet file is damaged.'} Import your wallet again from
          its recovery words on the Wallet page, or skip for now.
        </div>
      )}
      {ready && (
        <div className="banner banner-ok" role="status">
          Your wallet is ready: <span className="path">{status.address}</span>
        </div>
      )}
      {ready && !status.workSigning && (
        <div className="setup-unlock">
          <p className="banner banner-warn">
            It is locked, so Roost can&apos;t sign its work or be paid. Unlock it with its password:
          </p>
          <UnlockWallet onDone={reload} />
        </div>
      )}
      {phraseOut ? (
        <p className="muted" data-testid="setup-wallet-words-note">
          Finish the check to go on: the new wallet is made only then, and its words are not shown
          again.
        </p>
      ) : (
        <>
          <StepActions onBack={onBack}>
            {ready ? (
              <button type="button" onClick={onNext}>
                Continue
              </button>
            ) : (
              <button
                type="button"
                className="secondary"
                onClick={onNext}
                aria-describedby="setup-wallet-skip"
              >
                Skip for now
              </button>
            )}
          </StepActions>
          {!ready && (
            <p className="muted" id="setup-wallet-skip">
              If you skip, Roost can&apos;t be paid, so the market sends you no jobs until you
              create or import a wallet on the Wallet page.
            </p>
          )}
        </>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// 4. When and for how much

const modeChoices: { mode: WorkMode; label: string }[] = [
  { mode: 'idle', label: 'When I am away from the computer' },
  { mode: 'always', label: 'Always, even while I use it' },
  { mode: 'manual', label: 'Only when I press Start now on the Dashboard' },
];

function StartForm({
  settings,
  onBack,
  onDone,
}: {
  settings: Settings;
  onBack: () => void;
  onDone: () => void;
}) {
  const { client, setSettings } = useAgent();
  const local = settings.network.name === 'local';
  const [draft, setDraft] = useState<StartDraft>(() => ({
    mode: settings.work.mode,
    idleMinutes: String(settings.work.idleMinutes),
    price: String(settings.pricing.pricePerUnitHour),
    // On the built-in network, practice jobs are the way to see Roost work on a first run.
    practice: settings.general.onboarded ? settings.market.practice : local,
  }));
  // Errors show from the first press of Start earning, then follow the fields as they are typed:
  // one fixed clears at once, none stays beside a valid value.
  const [tried, setTried] = useState(false);
  const [estimate, setEstimate] = useState<Estimate>();
  const [walletReady, setWalletReady] = useState<boolean>();
  // Whether the network's tokens are test money, as the agent says it (wallet.network works
  // without a wallet, before any benchmark).
  const [testNetwork, setTestNetwork] = useState<boolean>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    void client.call('yield.estimate').then((r) => {
      if (live && r.ok) setEstimate(r.value);
    });
    void client.call('wallet.status').then((r) => {
      if (live && r.ok) setWalletReady(r.value.state === 'locked' || r.value.state === 'unlocked');
    });
    void client.call('wallet.network').then((r) => {
      if (live && r.ok) setTestNetwork(r.value.test);
    });
    return () => {
      live = false;
    };
  }, [client]);

  const set = (patch: Partial<StartDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const checked = checkStart(draft, local);
  const errors = tried ? checked.errors : {};
  const price = parsePrice(draft.price);
  const est = estimate?.estimates[0];
  // No estimate beside a price that is refused: it would be for a price that cannot be saved.
  const earned =
    est && Number.isFinite(price) && !checked.errors.price
      ? earnedPerHourAt(est, price)
      : undefined;
  const tokenValue = settings.pricing.tokenValueInCurrency;
  // Test money has no value: it is never turned into a currency (as on the Earnings card).
  const test = est?.testNetwork === true || testNetwork === true;
  const stake = settings.market.stake;
  const missing = [
    ...(estimate && !est ? ['run the benchmark'] : []),
    ...(walletReady === false ? ['create a wallet'] : []),
  ];

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!checked.patch) return;
    setBusy(true);
    setProblem(undefined);
    const r = await client.call('settings.update', checked.patch);
    if (!r.ok) {
      setBusy(false);
      return setProblem(`${describeError(r.error)} Nothing was saved: change it and try again.`);
    }
    setSettings(r.value);
    // Tell the market the new price now; the agent retries by itself, and the Dashboard shows
    // what is still missing, so this does not hold the user here.
    if (est && walletReady) void client.call('market.register');
    setBusy(false);
    onDone();
  };

  return (
    <form onSubmit={(e) => void start(e)} noValidate>
      <fieldset className="setup-fieldset">
        <legend>When should Roost work?</legend>
        {modeChoices.map((c) => (
          <div key={c.mode} className="setup-choice">
            <label>
              <input
                type="radio"
                name="setup-mode"
                value={c.mode}
                checked={draft.mode === c.mode}
                onChange={() => set({ mode: c.mode })}
              />{' '}
              {c.label}
            </label>
            {c.mode === 'idle' && draft.mode === 'idle' && (
              <div className="setup-sub">
                <label htmlFor="setup-idle">Start after this many minutes without you</label>
                <input
                  id="setup-idle"
                  type="text"
                  inputMode="numeric"
                  size={4}
                  value={draft.idleMinutes}
                  onChange={(e) => set({ idleMinutes: e.target.value })}
                  aria-invalid={errors.idleMinutes ? true : undefined}
                  aria-describedby={errors.idleMinutes ? 'setup-idle-error' : undefined}
                />
                {errors.idleMinutes && (
                  <span className="field-error" id="setup-idle-error">
                    {errors.idleMinutes}
                  </span>
                )}
              </div>
            )}
          </div>
        ))}
        {settings.work.pauseWhileGaming && (
          <p className="muted">Whichever you choose, Roost steps aside while you play a game.</p>
        )}
      </fieldset>

      <fieldset className="setup-fieldset">
        <legend>Your price</legend>
        <div className="setup-sub">
          {/* The Settings page's own label: the field is the same one, found by the same name. */}
          <label htmlFor="setup-price">{SETTING_LABELS['pricing.pricePerUnitHour']}</label>
          <input
            id="setup-price"
            type="text"
            inputMode="decimal"
            size={10}
            value={draft.price}
            onChange={(e) => set({ price: e.target.value })}
            aria-invalid={errors.price ? true : undefined}
            aria-describedby={`setup-earnings${errors.price ? ' setup-price-error' : ''}`}
          />
          {errors.price && (
            <span className="field-error" id="setup-price-error">
              {errors.price}
            </span>
          )}
        </div>
        <p id="setup-earnings" data-testid="setup-earnings">
          {earned !== undefined && est ? (
            <>
              At this price and your score of {formatFigure(est.compositeScore)}, this computer
              earns about <strong>{formatFigure(earned)}</strong> {est.token} an hour while it works
              {test
                ? ' (test money, no value)'
                : tokenValue > 0
                  ? ` (about ${formatFigure(earned * tokenValue)} ${settings.pricing.currency})`
                  : ''}
              .
            </>
          ) : estimate && !est ? (
            'Run the benchmark (step 2) to see what this price earns per hour.'
          ) : (
            ''
          )}
        </p>
        <p className="muted">
          Jobs that pay less than your price go to others: a lower price gets more jobs, a higher
          one earns more from each.
        </p>
      </fieldset>

      <fieldset className="setup-fieldset">
        <legend>Practice</legend>
        {local ? (
          <label>
            <input
              type="checkbox"
              checked={draft.practice}
              onChange={(e) => set({ practice: e.target.checked })}
            />{' '}
            Send me practice jobs on the local network, paid in test money, so I can watch Roost
            work
          </label>
        ) : (
          <p className="muted">
            Practice jobs run only on the built-in local network; you are on a custom network.
          </p>
        )}
      </fieldset>

      {/* Registering takes the stake out of the wallet (agent/market/registration.ts); the Wallet
          page's Take it back (market.unstake) asks the market for it again. */}
      {stake > 0 && (
        <p data-testid="setup-stake">
          {/* "Stakes" as a verb, and a button's name in brackets, were market words: say what
              happens to the money and which button gives it back. */}
          Starting to earn puts{' '}
          <strong>
            {stake} {est?.token ?? 'tokens'}
          </strong>
          {test ? ' of test money' : ''} from your wallet into the market, as a deposit (your stake)
          for the jobs Roost takes. When you stop, press Take it back on the Wallet page: after the
          market&apos;s wait it is yours to withdraw.
        </p>
      )}
      {missing.length > 0 && (
        <div className="banner banner-warn" role="status">
          Roost will start, but the market sends you no jobs until you {listWords(missing)}. The
          Dashboard shows what is still missing.
        </div>
      )}
      <Problem text={problem} />
      <StepActions onBack={onBack}>
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Start earning'}
        </button>
      </StepActions>
    </form>
  );
}

function StartStep({ onBack, onDone }: { onBack: () => void; onDone: () => void }) {
  const { settings } = useAgent();
  if (!settings) return <p className="muted">Loading your settings…</p>;
  return <StartForm settings={settings} onBack={onBack} onDone={onDone} />;
}

// ---------------------------------------------------------------------------------------------

export function OnboardingPage() {
  const { client, setSettings } = useAgent();
  const { step, setStep, close, reopened } = useSetup();
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  const [problem, setProblem] = useState<string>();
  const [phraseOut, setPhraseOut] = useState(false);

  // Keyboard and screen-reader users land on the new step's title; not on first show, where the
  // page's own order (skip link, navigation) comes first.
  useEffect(() => {
    if (moved.current) heading.current?.focus();
  }, [step]);
  const go = (next: number) => {
    moved.current = true;
    setStep(next);
  };

  const skip = async () => {
    const r = await client.call('settings.update', { general: { onboarded: true } });
    if (!r.ok) return setProblem(`${describeError(r.error)} Setup stays open; try again.`);
    setSettings(r.value);
    close();
  };

  const current = setupSteps[step] ?? setupSteps[0];
  return (
    <section className="card setup" aria-labelledby="setup-title" data-testid="setup">
      <div className="setup-head">
        <div>
          <h2 id="setup-title">Set up Roost</h2>
          <p className="muted">
            Four short steps, and this computer earns while you are away. Every step can wait.
          </p>
        </div>
        {/* Not while new recovery words are out: leaving would lose them. */}
        {!phraseOut && (
          <button
            type="button"
            className="secondary"
            onClick={() => void skip()}
            aria-describedby="setup-skip-why"
          >
            {reopened ? 'Close setup' : 'Skip setup'}
          </button>
        )}
        <span id="setup-skip-why" hidden>
          You can open setup again from the Dashboard.
        </span>
      </div>
      <Problem text={problem} />
      <ol className="setup-steps" aria-label="Setup steps">
        {setupSteps.map((s, i) => (
          <li
            key={s.id}
            aria-current={i === step ? 'step' : undefined}
            className={i < step ? 'setup-step-done' : i === step ? 'setup-step-now' : undefined}
          >
            <span className="setup-step-number" aria-hidden="true">
              {i < step ? '✓' : i + 1}
            </span>
            {s.title}
          </li>
        ))}
      </ol>
      <h3 ref={heading} tabIndex={-1} className="setup-step-title" data-testid="setup-step">
        Step {step + 1} of {setupSteps.length}: {current.title}
      </h3>
      {current.id === 'detect' && <DetectStep onNext={() => go(1)} />}
      {current.id === 'benchmark' && <BenchStep onBack={() => go(0)} onNext={() => go(2)} />}
      {current.id === 'wallet' && (
        <WalletStep
          onBack={() => go(1)}
          onNext={() => go(3)}
          phraseOut={phraseOut}
          onPhrase={setPhraseOut}
        />
      )}
      {current.id === 'start' && <StartStep onBack={() => go(2)} onDone={close} />}
    </section>
  );
}
