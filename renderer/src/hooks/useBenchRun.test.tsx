import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { AgentProvider } from '../AgentContext.tsx';
import { useBenchRun, type BenchTarget } from './useBenchRun.ts';
import { defaultSettings } from '../../../agent/api/contract.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

const cpu: BenchTarget = { ep: 'cpu', adapter: null, software: false, label: 'cpu' } as BenchTarget;
const gpu = { ...cpu, ep: 'cuda', device: '0', label: 'cuda 0' } as BenchTarget;

/** A fake agent whose `bench.run` waits until the test answers it, with events the test sends. */
function fakeAgent() {
  const runs: unknown[] = [];
  let answer: (r: unknown) => void = () => undefined;
  const { client, emit } = fakeAgentClient((method, params) => {
    if (method === 'bench.run') {
      runs.push(params);
      return new Promise((resolve) => (answer = resolve));
    }
    if (method === 'settings.get') return ok(defaultSettings);
    return unavailable();
  });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <AgentProvider client={client}>{children}</AgentProvider>
  );
  return {
    wrapper,
    runs,
    progress: (fraction: number, message: string) =>
      emit({
        event: 'bench.progress',
        payload: { runId: 'r', phase: 'measure', fraction, workloadCount: 5, message },
      }),
    answer: (r: unknown) => act(async () => answer(r)),
  };
}

describe('useBenchRun', () => {
  it('runs on the chosen target, follows its progress and hands back the report', async () => {
    const agent = fakeAgent();
    const { result } = renderHook(() => useBenchRun(), { wrapper: agent.wrapper });
    expect(result.current.running).toBe(false);
    expect(result.current.progress).toBeUndefined();

    let done: Promise<unknown> = Promise.resolve();
    act(() => {
      done = result.current.start(gpu, 'standard');
    });
    expect(result.current.running).toBe(true);
    expect(result.current.progress).toEqual({ fraction: 0, message: 'Starting…' });
    expect(agent.runs).toEqual([{ preset: 'standard', ep: 'cuda', device: '0' }]);

    agent.progress(0.5, 'GEMM');
    expect(result.current.progress).toEqual({ fraction: 0.5, message: 'GEMM' });

    const answer = { ok: true, value: { report: { report: {} }, file: 'r.json' } };
    await agent.answer(answer);
    expect(await done).toBe(answer);
    expect(result.current.running).toBe(false);
    expect(result.current.progress).toBeUndefined();
  });

  it('asks for no device when the target names none, and hands back an error as data', async () => {
    const agent = fakeAgent();
    const { result } = renderHook(() => useBenchRun(), { wrapper: agent.wrapper });
    let done: Promise<unknown> = Promise.resolve();
    act(() => {
      done = result.current.start(cpu, 'quick');
    });
    expect(agent.runs).toEqual([{ preset: 'quick', ep: 'cpu' }]);

    const failed = { ok: false, error: { code: 'BENCH_FAILED', message: 'The run failed.' } };
    await agent.answer(failed);
    expect(await done).toBe(failed);
    expect(result.current.running).toBe(false);
    expect(result.current.progress).toBeUndefined();
  });

  it('shows the progress of a run started elsewhere (the CLI, another window)', () => {
    const agent = fakeAgent();
    const { result } = renderHook(() => useBenchRun(), { wrapper: agent.wrapper });
    agent.progress(0.25, 'Memory bandwidth');
    expect(result.current.progress).toEqual({ fraction: 0.25, message: 'Memory bandwidth' });
    expect(result.current.running).toBe(false);
  });
});
