import { useEffect, useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { sentence } from '../words.ts';

/** An accelerator's reason that the CUDA libraries are what is missing (the probe's words). */
export const needsCudaLibraries = (reasons: (string | undefined)[]): boolean =>
  reasons.some((r) => r?.includes('roost gpu install-cuda'));

type Result = ResultOf<'hardware.installCuda'>;

/**
 * Under an NVIDIA card whose CUDA libraries are missing: what `roost gpu install-cuda` does, as a
 * button, so the desktop app needs no terminal. Progress comes as events; once installed, the
 * agent has tested the accelerators again and `onInstalled` reads them.
 */
export function InstallCuda({ onInstalled }: { onInstalled: () => void | Promise<void> }) {
  const { client, subscribe } = useAgent();
  const [running, setRunning] = useState(false);
  const [step, setStep] = useState<string>();
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();

  useEffect(
    () =>
      subscribe((e) => {
        if (e.event === 'hardware.installCudaProgress') setStep(e.payload.message);
      }),
    [subscribe],
  );

  const install = async () => {
    setRunning(true);
    setOutcome(undefined);
    setStep(undefined);
    const r = await client.call('hardware.installCuda');
    setRunning(false);
    if (!r.ok) return setOutcome({ ok: false, text: describeError(r.error) });
    const result: Result = r.value;
    if (result.ok) {
      setOutcome({ ok: true, text: sentence(result.message) });
      await onInstalled();
    } else {
      setOutcome({
        ok: false,
        text: `${sentence(result.message)}${result.unchanged ? ' Nothing was changed.' : ''}`,
      });
    }
  };

  return (
    <div className="install-cuda" data-testid="install-cuda">
      <button type="button" onClick={() => void install()} disabled={running}>
        {running ? 'Installing CUDA libraries…' : 'Install CUDA libraries'}
      </button>
      {/* Under the button, not wrapped around it: beside a wide button in a narrow card, the
          note ran on under the button's edge. */}
      <span className="muted install-cuda-note">
        {running && step
          ? step
          : 'A download of several hundred MB; Roost tests the card again when it is in.'}
      </span>
      {outcome && (
        <p
          className={`banner ${outcome.ok ? 'banner-ok' : 'banner-error'}`}
          role={outcome.ok ? 'status' : 'alert'}
        >
          {outcome.text}
        </p>
      )}
    </div>
  );
}
