/**
 * One benchmark run as the UI sees it: start it on a target, follow the agent's `bench.progress`
 * events, and know whether it is still running. The Benchmark page and the first-run setup both
 * run the benchmark; each decides what the finished report or the error means for its own view.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ParamsOf, Result, ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';

export type BenchTarget = ResultOf<'bench.targets'>['targets'][number];
export type BenchPreset = NonNullable<ParamsOf<'bench.run'>['preset']>;
export interface BenchRunProgress {
  /** 0..1 for the whole run. */
  fraction: number;
  message: string;
}

export interface BenchRun {
  running: boolean;
  /**
   * The latest progress: set when a run starts, cleared when it ends. Events come from any run
   * on this agent, one started elsewhere (another window, the CLI) included.
   */
  progress?: BenchRunProgress;
  /** Runs the benchmark on `target`; resolves to the agent's answer (errors are data). */
  start(target: BenchTarget, preset: BenchPreset): Promise<Result<ResultOf<'bench.run'>>>;
}

export function useBenchRun(): BenchRun {
  const { client, subscribe } = useAgent();
  const [progress, setProgress] = useState<BenchRunProgress>();
  const [running, setRunning] = useState(false);

  useEffect(
    () =>
      subscribe((e) => {
        if (e.event === 'bench.progress')
          setProgress({ fraction: e.payload.fraction, message: e.payload.message });
      }),
    [subscribe],
  );

  const start = useCallback(
    async (target: BenchTarget, preset: BenchPreset) => {
      setRunning(true);
      // Shown at once, so the run is visible before the agent's first progress event.
      setProgress({ fraction: 0, message: 'Starting…' });
      const r = await client.call('bench.run', {
        preset,
        ep: target.ep,
        ...(target.device ? { device: target.device } : {}),
      });
      setRunning(false);
      setProgress(undefined);
      return r;
    },
    [client],
  );

  return { running, progress, start };
}
