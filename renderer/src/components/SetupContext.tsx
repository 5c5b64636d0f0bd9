/**
 * Where first-run setup's state lives: `SetupProvider` decides once per window whether this is a
 * first run, opens setup again for `#/setup` (the Dashboard's "Set up Roost" link), and keeps the
 * step reached while the user looks at other pages.
 */
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useAgent } from '../AgentContext.tsx';
import { isFirstRun } from '../pages/onboarding.ts';

export interface SetupView {
  /** Whether this is a first run is known (the settings, wallet and reports were read). */
  decided: boolean;
  /** Setup shows on the Dashboard now. */
  open: boolean;
  /** Opened from the "Set up Roost" link (`#/setup`) rather than by a first run. */
  reopened: boolean;
  step: number;
  setStep(step: number): void;
  /** Setup was finished or skipped: close it and show the Dashboard. */
  close(): void;
}

const SetupContext = createContext<SetupView | undefined>(undefined);

export function useSetup(): SetupView {
  const view = useContext(SetupContext);
  if (!view) throw new Error('useSetup outside SetupProvider');
  return view;
}

export function SetupProvider({ route, children }: { route: string; children: ReactNode }) {
  const { client, settings } = useAgent();
  const [firstRun, setFirstRun] = useState<boolean>();
  const [closed, setClosed] = useState(false);
  const [step, setStep] = useState(0);
  const known = settings !== undefined;
  const onboarded = settings?.general.onboarded ?? false;

  // Decided once, when the settings first arrive: making a wallet or a report during setup must
  // not make setup vanish under the user.
  useEffect(() => {
    if (!known || onboarded || firstRun !== undefined) return;
    let live = true;
    void Promise.all([
      client.call('wallet.status'),
      client.call('bench.history', { limit: 1 }),
    ]).then(([wallet, history]) => {
      if (!live) return;
      setFirstRun(
        wallet.ok &&
          history.ok &&
          isFirstRun({
            onboarded,
            walletState: wallet.value.state,
            reports: history.value.reports.length,
          }),
      );
    });
    return () => {
      live = false;
    };
  }, [client, known, onboarded, firstRun]);

  // Setup done before this window opened: no first run, nothing to ask the agent.
  const firstRunNow = firstRun ?? (known && onboarded ? false : undefined);
  const reopened = route === 'setup';
  const value = useMemo<SetupView>(
    () => ({
      decided: firstRunNow !== undefined,
      open: reopened || (firstRunNow === true && !onboarded && !closed),
      reopened,
      step,
      setStep,
      close: () => {
        setClosed(true);
        setStep(0);
        if (window.location.hash !== '#/dashboard') window.location.hash = '#/dashboard';
        // Setup's controls are gone: keyboard focus and the view go back to the top of the page.
        document.getElementById('main')?.focus({ preventScroll: true });
        window.scrollTo({ top: 0 });
      },
    }),
    [reopened, firstRunNow, onboarded, closed, step],
  );
  return <SetupContext.Provider value={value}>{children}</SetupContext.Provider>;
}
