/**
 * What the agent found of this machine's GPUs and accelerators (`hardware.detect`): asked once
 * when the view opens, and again, probing afresh, when the user asks. The Dashboard's GPU cards
 * and the first-run setup's first step both show it.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';

export type Detect = ResultOf<'hardware.detect'>;

export interface DetectView {
  report: Detect | undefined;
  /** Why the last attempt failed, in plain words. */
  problem: string | undefined;
  busy: boolean;
  /** Probe again, past the cache. */
  again(): Promise<void>;
}

export function useDetect(): DetectView {
  const { client } = useAgent();
  const [report, setReport] = useState<Detect>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(true);

  useEffect(() => {
    let live = true;
    void client.call('hardware.detect', {}).then((r) => {
      if (!live) return;
      setBusy(false);
      if (r.ok) setReport(r.value);
      else setProblem(describeError(r.error));
    });
    return () => {
      live = false;
    };
  }, [client]);

  const again = useCallback(async () => {
    setBusy(true);
    setProblem(undefined);
    const r = await client.call('hardware.detect', { refresh: true, force: true });
    setBusy(false);
    if (r.ok) setReport(r.value);
    else setProblem(describeError(r.error));
  }, [client]);

  return { report, problem, busy, again };
}
