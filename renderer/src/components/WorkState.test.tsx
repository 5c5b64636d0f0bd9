import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { WorkState, useActiveJobs } from './WorkState.tsx';
import { defaultSettings, type ResultOf } from '../../../agent/api/contract.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

type Decision = ResultOf<'schedule.status'>['decisions'][number];
type Job = ResultOf<'job.list'>['jobs'][number];

const AT = '2025-06-04T12:00:00.000Z';

function decision(gpuId: string, over: Partial<Decision> = {}): Decision {
  return {
    gpuId,
    state: 'working',
    cause: 'headless',
    reason:
      'Working: no desktop session to watch for idle time (headless), so the machine counts as idle',
    heldBy: 'policy',
    until: null,
    since: AT,
    alsoApplies: [],
    lease: null,
    ...over,
  };
}

function job(state: Job['state'], over: Partial<Job> = {}): Job {
  return {
    id: 'job-1',
    origin: 'market',
    state,
    progress: { stage: state === 'running' ? 'running' : 'fetching', setsDone: 0, setsTotal: 1 },
    attempts: 1,
    createdAt: AT,
    updatedAt: AT,
    removable: false,
    ...over,
  };
}

/** The Dashboard's cards as GpuCards puts them together: each device's decision, one job list. */
function Devices({ decisions }: { decisions: Decision[] }) {
  const jobs = useActiveJobs();
  return decisions.map((d) => (
    <section key={d.gpuId} aria-label={d.gpuId}>
      <WorkState gpuId={d.gpuId} decision={d} jobs={jobs} onChanged={() => undefined} />
    </section>
  ));
}

function start(decisions: Decision[], running: Job[] = [], marketJobs?: boolean) {
  const calls: { method: string; params: unknown }[] = [];
  const fake = fakeAgentClient((method, params) => {
    calls.push({ method, params });
    if (method === 'settings.get' && marketJobs !== undefined)
      return ok({ ...defaultSettings, market: { ...defaultSettings.market, enabled: marketJobs } });
    return method === 'job.list' ? ok({ jobs: running }) : unavailable();
  });
  render(
    <AgentProvider client={fake.client}>
      <Devices decisions={decisions} />
    </AgentProvider>,
  );
  return { ...fake, calls };
}

const pill = (name: string) =>
  screen.getByRole('region', { name }).querySelector('.state-pill')?.textContent;

describe('WorkState', () => {
  it('says Ready for jobs, not Working, while the policy lets the CPU work and no job runs', async () => {
    const { calls } = start([decision('cpu')]);
    await waitFor(() => expect(calls.some((c) => c.method === 'job.list')).toBe(true));
    expect(pill('cpu')).toBe('Ready for jobs');
    // A sentence of its own after the pill, without the agent's `Working:` before it.
    expect(screen.getByTestId('work-reason').textContent).toBe(
      'No desktop session to watch for idle time (headless), so the machine counts as idle.',
    );
    // The policy already lets it work: Pause, and no Start now.
    expect(screen.getByRole('button', { name: 'Pause' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Start now' })).toBeNull();
  });

  it('says Ready for private jobs while market jobs are off, Ready for jobs once on', async () => {
    start([decision('cpu')], [], false);
    await waitFor(() => expect(pill('cpu')).toBe('Ready for private jobs'));
    cleanup();
    start([decision('cpu')], [], true);
    await waitFor(() => expect(pill('cpu')).toBe('Ready for jobs'));
  });

  it('says Working while a job runs, from the job list and then the job events', async () => {
    const { emit } = start([decision('cpu')], [job('running', { executionProvider: 'webgpu' })]);
    await waitFor(() => expect(pill('cpu')).toBe('Working'));
    emit({ event: 'job.stateChanged', payload: { job: job('done') } });
    expect(pill('cpu')).toBe('Ready for jobs');
    emit({ event: 'job.stateChanged', payload: { job: job('fetching', { id: 'job-2' }) } });
    expect(pill('cpu')).toBe('Working');
  });

  it('puts a CPU job on no GPU card, and a GPU job on the GPU', async () => {
    const { emit } = start([
      decision('gpu-0', { cause: 'always', reason: 'Working: set to work always' }),
    ]);
    await waitFor(() => expect(pill('gpu-0')).toBe('Ready for jobs'));
    expect(screen.getByTestId('work-reason').textContent).toBe('Set to work always.');
    emit({
      event: 'job.stateChanged',
      payload: { job: job('running', { executionProvider: 'cpu' }) },
    });
    expect(pill('gpu-0')).toBe('Ready for jobs');
    emit({
      event: 'job.stateChanged',
      payload: { job: job('running', { executionProvider: 'cuda' }) },
    });
    expect(pill('gpu-0')).toBe('Working');
  });

  it('on a machine with two GPUs, shows each job on the card it runs on, by name', async () => {
    const on = (id: string, name: string) => ({ id, name });
    const { emit } = start(
      [decision('pci-1'), decision('pci-2')],
      [
        job('running', {
          name: 'market job 7',
          executionProvider: 'cuda',
          device: on('pci-2', 'RTX 3070 #2'),
        }),
      ],
    );
    await waitFor(() => expect(pill('pci-2')).toBe('Working'));
    // One job per GPU: the other card has none.
    expect(pill('pci-1')).toBe('Ready for jobs');
    const jobsOn = (name: string) =>
      screen.getByRole('region', { name }).querySelector('[data-testid="work-jobs"]')?.textContent;
    expect(jobsOn('pci-2')).toBe('Running market job 7');
    expect(jobsOn('pci-1')).toBeUndefined();
    emit({
      event: 'job.stateChanged',
      payload: {
        job: job('running', {
          id: 'job-2',
          origin: 'private',
          name: 'resnet',
          executionProvider: 'cuda',
          device: on('pci-1', 'RTX 3070 #1'),
        }),
      },
    });
    expect(pill('pci-1')).toBe('Working');
    expect(jobsOn('pci-1')).toBe('Running job resnet');
  });

  it('keeps Paused and Idle as the policy says, a job or not', async () => {
    start(
      [
        decision('cpu', {
          state: 'paused',
          cause: 'manual-pause',
          heldBy: 'you',
          reason: 'Paused by you until you start it again',
        }),
      ],
      [job('running')],
    );
    await waitFor(() => expect(pill('cpu')).toBe('Paused'));
    expect(screen.getByRole('button', { name: 'Start now' })).toBeTruthy();
    cleanup();
    start([
      decision('cpu', {
        state: 'idle',
        cause: 'outside-window',
        reason: 'Idle: outside your work hours',
      }),
    ]);
    await waitFor(() => expect(pill('cpu')).toBe('Idle'));
  });
});
