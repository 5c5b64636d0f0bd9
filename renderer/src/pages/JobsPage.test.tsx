import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { JobsPage } from './JobsPage.tsx';
import { isFullPath } from './job-paths.ts';
import type { ResultOf } from '../../../agent/api/contract.ts';
import type { ApiClient } from '../api/transport.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';
import { rtx3060 } from '../testing/gpus.ts';
import { catchSavedFiles } from '../testing/saved-files.ts';

afterEach(cleanup);

type DetectedGpu = ResultOf<'hardware.detect'>['gpus'][number];

/** The `n`th of a lab server's RTX 3070 cards, named as hardware.detect names it. */
const rtx3070 = (n: number): DetectedGpu => ({
  ...rtx3060([{ ep: 'cuda', ok: true }]),
  id: `pci-0000:0${n}:00.0`,
  name: 'NVIDIA GeForce RTX 3070',
  displayName: `NVIDIA GeForce RTX 3070 #${n}`,
});

/**
 * An agent with no jobs on a machine with `gpus` (none: hardware.detect fails); `job.add`
 * answers with `answer` and records what it was sent.
 */
function fakeClient(answer: unknown, gpus?: DetectedGpu[]) {
  const added: unknown[] = [];
  const { client } = fakeAgentClient((method, params) => {
    if (method === 'job.list') return ok({ jobs: [] });
    if (method === 'hardware.detect' && gpus)
      return ok({
        gpus,
        accelerators: [],
        cpu: { model: 'AMD EPYC', cores: 16, accelerators: [] },
        os: { platform: 'linux', release: '6.8.0', arch: 'x64' },
        problems: [],
      });
    if (method === 'bench.targets')
      return ok({
        targets: [
          { ep: 'cpu', adapter: 'AMD EPYC', software: false, label: 'cpu' },
          { ep: 'webgpu', adapter: 'NVIDIA H200', software: false, label: 'webgpu (NVIDIA H200)' },
          {
            ep: 'cuda',
            device: '0',
            adapter: 'NVIDIA H200',
            software: false,
            label: 'cuda:0 (NVIDIA H200)',
          },
          {
            ep: 'cuda',
            device: '1',
            adapter: 'NVIDIA H200',
            software: false,
            label: 'cuda:1 (NVIDIA H200)',
          },
        ],
      });
    if (method === 'job.add') {
      added.push(params);
      return answer;
    }
    return unavailable();
  });
  return { client, added };
}

/** The form's own message (the market part of the page may show one too). */
function formAlert() {
  return within(screen.getByRole('form', { name: 'Add a private job' })).findByRole('alert');
}

function showPage(client: ApiClient) {
  render(
    <AgentProvider client={client}>
      <JobsPage />
    </AgentProvider>,
  );
}

function fill(model: string, inputs: string) {
  fireEvent.change(screen.getByLabelText('Model (.onnx)'), { target: { value: model } });
  fireEvent.change(screen.getByLabelText(/^Inputs, one per line/), { target: { value: inputs } });
  fireEvent.click(screen.getByRole('button', { name: 'Add job' }));
}

describe('JobsPage: add a private job', () => {
  it('refuses a relative path in the form, saying why, and sends nothing', async () => {
    const { client, added } = fakeClient({ ok: true, value: {} });
    showPage(client);
    fill('model.onnx', 'x=/data/x.npy');
    const alert = await formAlert();
    expect(alert.textContent).toContain('Give the full path (e.g. /home/you/model.onnx)');
    expect(alert.textContent).toContain('"model.onnx"');
    expect(alert.textContent).toContain('the agent does not know which folder you mean');
    fill('/data/model.onnx', 'x=batches/x.npy');
    expect((await formAlert()).textContent).toContain('"batches/x.npy"');
    expect(added).toEqual([]);
  });

  it("shows the agent's answer for a file that is not there, on the field it is about", async () => {
    const missing =
      'The model: no file at /data/model.onnx. Check the path; it must be on the computer Roost runs on';
    const { client, added } = fakeClient({
      ok: false,
      error: { code: 'INVALID_PARAMS', message: missing },
    });
    showPage(client);
    fill('/data/model.onnx', 'x=/data/x.npy');
    // The agent's sentence alone: no generic "That value is not accepted." before it.
    expect((await formAlert()).textContent).toBe(missing);
    expect(added).toEqual([{ model: '/data/model.onnx', inputs: { x: '/data/x.npy' } }]);
    const model = screen.getByLabelText('Model (.onnx)');
    expect(model.getAttribute('aria-invalid')).toBe('true');
    expect(model.getAttribute('aria-describedby')).toBe('add-job-problem');
    expect(screen.getByLabelText(/^Inputs, one per line/).getAttribute('aria-invalid')).toBeNull();
  });

  it('marks the inputs field for a bad input line, and the model field when it is empty', async () => {
    const { client, added } = fakeClient({ ok: true, value: {} });
    showPage(client);
    fill('/data/model.onnx', 'just-a-path.npy');
    expect((await formAlert()).textContent).toBe(
      'Write each input as name=/path/to/file.npy (got "just-a-path.npy").',
    );
    expect(screen.getByLabelText(/^Inputs, one per line/).getAttribute('aria-invalid')).toBe(
      'true',
    );
    fill('', 'x=/data/x.npy');
    expect((await formAlert()).textContent).toBe('Give the model file.');
    expect(screen.getByLabelText('Model (.onnx)').getAttribute('aria-invalid')).toBe('true');
    expect(added).toEqual([]);
  });
});

describe('JobsPage: the accelerator of a private job', () => {
  it('leaves the choice to the agent unless the owner pins one of the accelerators that work here', async () => {
    const { client, added } = fakeClient({ ok: true, value: {} });
    showPage(client);
    const select = screen.getByLabelText('Accelerator');
    // One entry per provider (two CUDA devices make one), after the agent's choice.
    await screen.findByRole('option', { name: 'Only webgpu (NVIDIA H200)' });
    expect(
      within(select)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([
      'Best that works here (GPU first, then CPU)',
      'Only cpu',
      'Only webgpu (NVIDIA H200)',
      'Only cuda:0 (NVIDIA H200)',
    ]);
    fill('/data/model.onnx', 'x=/data/x.npy');
    await waitFor(() => expect(added).toHaveLength(1));
    await screen.findByRole('button', { name: 'Add job' });
    fireEvent.change(select, { target: { value: 'webgpu' } });
    fill('/data/model.onnx', 'x=/data/x.npy');
    await waitFor(() => expect(added).toHaveLength(2));
    expect(added).toEqual([
      { model: '/data/model.onnx', inputs: { x: '/data/x.npy' } },
      { model: '/data/model.onnx', inputs: { x: '/data/x.npy' }, executionProviders: ['webgpu'] },
    ]);
  });
});

describe('JobsPage: the GPU of a private job', () => {
  /** Every answer the page asked for so far is in (a setTimeout runs after their promises). */
  const settled = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));

  it('offers each GPU by name where there are two or more, and sends the one picked', async () => {
    // One GPU: nothing to choose, the agent places the job on it.
    showPage(fakeClient(ok({}), [rtx3070(1)]).client);
    await screen.findByRole('option', { name: 'Only webgpu (NVIDIA H200)' });
    await settled();
    expect(screen.queryByLabelText('GPU')).toBeNull();
    cleanup();

    // A third chip with no accelerator working is not offered: a job pinned to it would fail.
    const noDriver: DetectedGpu = {
      ...rtx3060([{ ep: 'cuda', ok: false, reason: 'no driver' }]),
      id: 'pci-0000:05:00.0',
      displayName: 'NVIDIA GeForce RTX 3060',
    };
    const { client, added } = fakeClient(ok({}), [rtx3070(1), rtx3070(2), noDriver]);
    showPage(client);
    const select = (await screen.findByLabelText('GPU')) as HTMLSelectElement;
    expect(
      within(select)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual([
      'Any free GPU',
      'Split the batch over all 2 GPUs (2 jobs at once)',
      'Only NVIDIA GeForce RTX 3070 #1',
      'Only NVIDIA GeForce RTX 3070 #2',
    ]);
    // Any free GPU is the default, and sends no device: the agent takes the next free one.
    expect(select.value).toBe('');
    fill('/data/model.onnx', 'x=/data/x.npy');
    await waitFor(() => expect(added).toHaveLength(1));
    await screen.findByRole('button', { name: 'Add job' });
    fireEvent.change(select, { target: { value: 'pci-0000:02:00.0' } });
    fill('/data/model.onnx', 'x=/data/x.npy');
    await waitFor(() => expect(added).toHaveLength(2));
    await screen.findByRole('button', { name: 'Add job' });
    // A folder of inputs over both GPUs: two jobs of half the batch each, at once.
    fireEvent.change(select, { target: { value: 'split' } });
    fill('/data/model.onnx', 'x=/data/frames');
    await waitFor(() => expect(added).toHaveLength(3));
    await screen.findByRole('button', { name: 'Add job' });
    // The CPU runs on no GPU: with it, the GPU is not asked for.
    fireEvent.change(screen.getByLabelText('Accelerator'), { target: { value: 'cpu' } });
    expect(select.disabled).toBe(true);
    fill('/data/model.onnx', 'x=/data/x.npy');
    await waitFor(() => expect(added).toHaveLength(4));
    expect(added).toEqual([
      { model: '/data/model.onnx', inputs: { x: '/data/x.npy' } },
      { model: '/data/model.onnx', inputs: { x: '/data/x.npy' }, device: 'pci-0000:02:00.0' },
      { model: '/data/model.onnx', inputs: { x: '/data/frames' }, split: 2 },
      { model: '/data/model.onnx', inputs: { x: '/data/x.npy' }, executionProviders: ['cpu'] },
    ]);
  });

  it('marks the GPU field when the agent no longer has the GPU picked', async () => {
    const refusal =
      'There is no device "pci-0000:02:00.0" here that can run jobs: give one of pci-0000:01:00.0, cpu (roost detect shows which accelerators work on each GPU; roost work status lists the ids).';
    const { client } = fakeClient(
      { ok: false, error: { code: 'INVALID_PARAMS', message: refusal } },
      [rtx3070(1), rtx3070(2)],
    );
    showPage(client);
    const select = await screen.findByLabelText('GPU');
    fireEvent.change(select, { target: { value: 'pci-0000:02:00.0' } });
    fill('/data/model.onnx', 'x=/data/x.npy');
    expect((await formAlert()).textContent).toBe(refusal);
    expect(select.getAttribute('aria-invalid')).toBe('true');
    expect(select.getAttribute('aria-describedby')).toBe('add-job-problem');
  });
});

describe('isFullPath', () => {
  it('knows full paths on Linux, macOS and Windows', () => {
    for (const p of ['/home/you/m.onnx', 'C:\\models\\m.onnx', 'd:/m.onnx', '\\\\nas\\m.onnx'])
      expect(isFullPath(p)).toBe(true);
    for (const p of ['m.onnx', './m.onnx', '../m.onnx', '~/m.onnx', 'models/m.onnx'])
      expect(isFullPath(p)).toBe(false);
  });
});

describe('JobsPage: the queue stays true when answers and events cross', () => {
  const job = (state: 'fetching' | 'failed', updatedAt: string) => ({
    id: 'job-1',
    name: 'classifier.onnx',
    origin: 'private' as const,
    state,
    progress: {
      stage: state === 'failed' ? ('done' as const) : ('checking' as const),
      setsDone: 0,
      setsTotal: 1,
    },
    attempts: 0,
    ...(state === 'failed'
      ? { error: { code: 'input-invalid' as const, message: 'the model has no input "input"' } }
      : {}),
    createdAt: '2026-11-26T09:00:00.000Z',
    updatedAt,
  });

  it('keeps a failure the event brought when an older list answer comes after it', async () => {
    let answerList: (value: unknown) => void = () => undefined;
    let lists = 0;
    const { client, emit } = fakeAgentClient((method) => {
      if (method === 'job.list')
        // The first answer comes at once (empty); the one after Add job waits.
        return lists++ === 0 ? ok({ jobs: [] }) : new Promise((resolve) => (answerList = resolve));
      if (method === 'job.add') return ok(job('fetching', '2026-11-26T09:00:00.000Z'));
      return unavailable();
    });
    showPage(client);
    await screen.findByText(/^No jobs yet/);
    fill('/data/model.onnx', 'input=/data/x.npy');
    // The job fails 11 ms after it was added: its event arrives before the list answer.
    await waitFor(() => expect(lists).toBe(2));
    emit({
      event: 'job.stateChanged',
      payload: { job: job('failed', '2026-11-26T09:00:00.011Z') },
    } as never);
    answerList(ok({ jobs: [job('fetching', '2026-11-26T09:00:00.000Z')] }));
    await waitFor(() => expect(screen.getByTestId('jobs').textContent).toContain('Failed'));
    expect(screen.getByTestId('jobs').textContent).not.toContain('Fetching');
    // The reason as a sentence, as the rest of the page writes them.
    expect(screen.getByTestId('jobs').querySelector('.field-error')?.textContent).toBe(
      'The model has no input "input".',
    );
  });
});

describe('JobsPage: the queue in words', () => {
  it('names the accelerator a job ran on as people know it, and a market job by its number', async () => {
    const { client } = fakeAgentClient((method) => {
      if (method === 'job.list')
        return ok({
          jobs: [
            {
              id: 'job-2',
              name: 'market job 7',
              origin: 'market',
              state: 'done',
              progress: { stage: 'done', setsDone: 1, setsTotal: 1 },
              attempts: 1,
              executionProvider: 'webgpu',
              createdAt: '2026-11-26T09:00:00.000Z',
              updatedAt: '2026-11-26T09:00:01.000Z',
            },
          ],
        });
      return unavailable();
    });
    showPage(client);
    const row = await screen.findByText('market job 7');
    const text = row.closest('li')?.textContent ?? '';
    expect(text).toContain('from the market');
    expect(text).toContain('· WebGPU');
    expect(text).not.toMatch(/· webgpu/);
  });
});

describe('JobsPage: run a job again', () => {
  const job = (id: string, origin: 'private' | 'market', state: 'done' | 'failed' | 'running') => ({
    id,
    name: origin === 'market' ? 'market job 7' : `job ${id}`,
    origin,
    state,
    progress: { stage: state, setsDone: 1, setsTotal: 1 },
    attempts: 1,
    createdAt: '2026-11-26T09:00:00.000Z',
    updatedAt: '2026-11-26T09:00:01.000Z',
  });

  it('offers Run again on finished private jobs only, and says what it did', async () => {
    const again: unknown[] = [];
    let answer: unknown = ok({ ...job('c', 'private', 'running'), state: 'queued' });
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'job.list')
        return ok({
          jobs: [
            job('a', 'private', 'failed'),
            job('b', 'private', 'running'),
            job('m', 'market', 'done'),
          ],
        });
      if (method === 'job.runAgain') {
        again.push(params);
        return answer;
      }
      return unavailable();
    });
    showPage(client);
    await screen.findByText('job a');
    expect(
      screen
        .getAllByRole('button', { name: /^Run again/ })
        .map((b) => b.getAttribute('aria-label')),
    ).toEqual(['Run again job a']);
    fireEvent.click(screen.getByRole('button', { name: 'Run again job a' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      'Queued job a again, as a new job.',
    );
    expect(again).toEqual([{ id: 'a' }]);
    // The agent's refusal, in its words.
    answer = {
      ok: false,
      error: {
        code: 'JOB_STATE',
        message: 'Job a is still running; run it again once it has finished, or cancel it first.',
      },
    };
    fireEvent.click(screen.getByRole('button', { name: 'Run again job a' }));
    await waitFor(() =>
      expect(screen.getAllByRole('alert').map((a) => a.textContent)).toContain(
        'The job cannot do that now. Job a is still running; run it again once it has finished, or cancel it first.',
      ),
    );
  });
});

describe('JobsPage: where jobs run', () => {
  const summary = (
    id: string,
    extra: Record<string, unknown> & { state: 'done' | 'running' | 'fetching' },
  ) => ({
    id,
    origin: 'private',
    progress: { stage: extra.state === 'done' ? 'done' : 'running', setsDone: 1, setsTotal: 4 },
    attempts: 1,
    createdAt: '2026-11-26T09:00:00.000Z',
    updatedAt: '2026-11-26T09:00:01.000Z',
    removable: extra.state === 'done',
    ...extra,
  });
  const gpu = { id: 'pci-0000:02:00.0', name: 'NVIDIA GeForce RTX 3070 #2' };

  it('names the GPU a job ran on beside its accelerator, in the list and in its details', async () => {
    const resnet = summary('job-1', {
      name: 'resnet',
      state: 'done',
      executionProvider: 'cuda',
      device: gpu,
    });
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'job.list')
        return ok({
          jobs: [
            resnet,
            summary('job-2', {
              name: 'small',
              state: 'done',
              executionProvider: 'cpu',
              device: { id: 'cpu', name: 'the CPU' },
            }),
          ],
        });
      if (method === 'job.show' && (params as { id: string }).id === 'job-1')
        return ok({
          ...resnet,
          jobDir: '/var/lib/roost/jobs/job-1',
          fallbacks: [],
          history: [
            { at: '2026-11-27T09:00:00.000Z', state: 'queued', message: 'submitted' },
            {
              at: '2026-11-27T09:00:05.000Z',
              state: 'running',
              message: 'the worker stopped (exit code 134); it starts again from set 2',
            },
            { at: '2026-11-27T09:01:00.000Z', state: 'done', message: 'done' },
          ],
          result: {
            receipt: {
              outputs: [],
              // The card's own name: the device names it already.
              adapter: { name: 'NVIDIA GeForce RTX 3070', software: false },
              timings: { fetchMs: 1, sessionMs: 100, runMs: 12, totalMs: 359 },
            },
            signature: { signer: '0xabc' },
          },
        });
      return unavailable();
    });
    showPage(client);
    const row = (await screen.findByText('resnet')).closest('li')!;
    expect(row.textContent).toContain('· CUDA on NVIDIA GeForce RTX 3070 #2');
    // The CPU provider on the CPU is just "CPU".
    const small = screen.getByText('small').closest('li')!;
    expect(small.textContent).toMatch(/· CPU(?! on)/);

    fireEvent.click(within(row).getByRole('button', { name: 'Details' }));
    const detail = await within(row).findByTestId('job-detail');
    await within(detail).findByText('Ran on');
    expect(within(detail).getByText('Ran on').nextElementSibling?.textContent).toBe(
      'CUDA on NVIDIA GeForce RTX 3070 #2',
    );
    // What happened, step by step: folded until asked for.
    const steps = within(detail).getByText('What happened, step by step (3)').closest('details')!;
    expect(steps.open).toBe(false);
    expect(
      [...steps.querySelectorAll('li')].map((li) =>
        li.textContent?.slice(li.querySelector('time')!.textContent!.length + 1),
      ),
    ).toEqual([
      'Queued — submitted',
      'Running — the worker stopped (exit code 134); it starts again from set 2',
      'Done',
    ]);
  });

  /** A finished CPU job 'resnet' with these outputs, as job.show answers for it. */
  const finishedWith = (
    outputs: { name: string; file: string; shape: number[]; bytes: number }[],
  ) => {
    const done = summary('job-1', { name: 'resnet', state: 'done', executionProvider: 'cpu' });
    return {
      done,
      detail: {
        ...done,
        jobDir: '/var/lib/roost/jobs/job-1',
        fallbacks: [],
        history: [],
        result: {
          receipt: {
            outputs: outputs.map((o) => ({ set: 0, dtype: 'float32', ...o })),
            timings: { fetchMs: 1, sessionMs: 100, runMs: 12, totalMs: 359 },
          },
          signature: { signer: '0xabc' },
        },
      },
    };
  };
  const y = { name: 'y', file: 'y.npy', shape: [1, 1000], bytes: 4128 };

  it("downloads a finished job's outputs, one or all in a zip, and says why when it can't", async () => {
    const { done, detail: answer } = finishedWith([y]);
    const asked: unknown[] = [];
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'job.list') return ok({ jobs: [done] });
      if (method === 'job.show') return ok(answer);
      if (method === 'job.download') {
        asked.push(params);
        if ((params as { file?: string }).file === undefined)
          return {
            ok: false,
            error: {
              code: 'TOO_LARGE',
              message:
                "That is 80 MB, more than the page downloads at once (64 MB). The files are in the job's folder /var/lib/roost/jobs/job-1 on the machine Roost runs on.",
            },
          };
        return ok({
          fileName: 'y.npy',
          mediaType: 'application/octet-stream',
          bytes: 3,
          content: btoa('npy'),
        });
      }
      return unavailable();
    });
    const { saved, restore } = catchSavedFiles();
    try {
      showPage(client);
      const row = (await screen.findByText('resnet')).closest('li')!;
      fireEvent.click(within(row).getByRole('button', { name: 'Details' }));
      const detail = await within(row).findByTestId('job-detail');
      expect((await within(detail).findByText('y.npy')).closest('tr')!.textContent).toContain(
        '4 KB',
      );
      fireEvent.click(within(detail).getByRole('button', { name: 'Download y.npy' }));
      await waitFor(() => expect(saved).toHaveLength(1));
      expect(saved[0]!.name).toBe('y.npy');
      expect(await saved[0]!.text).toBe('npy');
      expect(asked[0]).toEqual({ id: 'job-1', file: 'y.npy' });

      fireEvent.click(within(detail).getByRole('button', { name: 'Download all (.zip)' }));
      const problem = await within(detail).findByRole('alert');
      expect(problem.textContent).toContain('more than the page downloads at once');
      expect(saved).toHaveLength(1);
    } finally {
      restore();
    }
  });

  it('on the dashboard of roost serve, asks for a link and lets the browser download from it', async () => {
    const { done, detail: answer } = finishedWith([y]);
    const asked: unknown[] = [];
    const { client } = fakeAgentClient(
      (method, params) => {
        if (method === 'job.list') return ok({ jobs: [done] });
        if (method === 'job.show') return ok(answer);
        if (method === 'job.download') {
          asked.push(params);
          return ok({
            fileName: 'roost-job-resnet.zip',
            mediaType: 'application/zip',
            bytes: 90_000_000,
            link: `/download/${'t'.repeat(43)}`,
            expiresAt: '2026-11-27T12:01:00.000Z',
          });
        }
        return unavailable();
      },
      { linkUrl: (path) => `http://127.0.0.1:7787${path}` },
    );
    const { saved, followed, restore } = catchSavedFiles();
    try {
      showPage(client);
      const row = (await screen.findByText('resnet')).closest('li')!;
      fireEvent.click(within(row).getByRole('button', { name: 'Details' }));
      const detail = await within(row).findByTestId('job-detail');
      fireEvent.click(await within(detail).findByRole('button', { name: 'Download all (.zip)' }));
      await waitFor(() => expect(followed).toHaveLength(1));
      expect(asked).toEqual([{ id: 'job-1', as: 'link' }]);
      expect(followed[0]).toEqual({
        href: `http://127.0.0.1:7787/download/${'t'.repeat(43)}`,
        name: 'roost-job-resnet.zip',
      });
      expect(saved).toEqual([]);
      expect(within(detail).queryByRole('alert')).toBeNull();
    } finally {
      restore();
    }
  });

  it('previews an output under its row, NaN first, and hides it again', async () => {
    const { done, detail: answer } = finishedWith([
      y,
      { name: 'z', file: 'z.npy', shape: [2], bytes: 136 },
    ]);
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'job.list') return ok({ jobs: [done] });
      if (method === 'job.show') return ok(answer);
      if (method === 'job.outputPreview') {
        if ((params as { file: string }).file === 'z.npy')
          return {
            ok: false,
            error: { code: 'NOT_FOUND', message: 'z.npy is not in the job folder.' },
          };
        return ok({
          file: 'y.npy',
          dtype: 'float32',
          shape: [1, 1000],
          count: 1000,
          min: -0.0312345678,
          max: 0.98,
          mean: 0.001,
          nan: 3,
          infinite: 0,
          first: ['0.1', 'NaN', '0.25'],
        });
      }
      return unavailable();
    });
    showPage(client);
    const row = (await screen.findByText('resnet')).closest('li')!;
    fireEvent.click(within(row).getByRole('button', { name: 'Details' }));
    const detail = await within(row).findByTestId('job-detail');
    const toggle = await within(detail).findByRole('button', { name: 'Preview y.npy' });
    fireEvent.click(toggle);
    const shown = await within(detail).findByTestId('preview-y.npy');
    expect(shown.textContent).toBe(
      '3 values are NaN. 1,000 values · min -0.0312346 · max 0.98 · mean 0.001 · first: 0.1, NaN, 0.25, …',
    );
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    fireEvent.click(within(detail).getByRole('button', { name: 'Preview z.npy' }));
    expect((await within(detail).findByTestId('preview-z.npy')).textContent).toContain(
      'z.npy is not in the job folder.',
    );
    fireEvent.click(toggle);
    await waitFor(() => expect(within(detail).queryByTestId('preview-y.npy')).toBeNull());
  });

  it('says why a job waits for its GPU, in words', async () => {
    const { client, emit } = fakeAgentClient((method) => {
      if (method === 'job.list')
        return ok({
          jobs: [
            summary('job-1', {
              name: 'resnet',
              state: 'fetching',
              progress: { stage: 'checking', setsDone: 0, setsTotal: 4 },
              deviceWanted: { id: 'pci-0000:02:00.0', name: 'NVIDIA GeForce RTX 3070 #2' },
            }),
          ],
        });
      return unavailable();
    });
    showPage(client);
    const row = (await screen.findByText('resnet')).closest('li')!;
    emit({
      event: 'job.progress',
      payload: {
        jobId: 'job-1',
        progress: {
          stage: 'waiting',
          setsDone: 0,
          setsTotal: 4,
          message: 'waiting for a free GPU: all 2 that run CUDA are busy',
        },
      },
    });
    expect(row.querySelector('.job-progress')?.textContent).toBe(
      'Waiting for a free GPU: all 2 that run CUDA are busy',
    );
    // Its files are fetched: it is not "Fetching files" any more.
    expect(row.querySelector('.state-pill')?.textContent).toBe('Waiting');
    // It asked for one GPU: the row says so, so the wait is not read as a free GPU ignored.
    expect(row.textContent).toContain('· for NVIDIA GeForce RTX 3070 #2 only');
  });

  it('says how long a running job has left, at the pace the page watched', async () => {
    const { client, emit } = fakeAgentClient((method) =>
      method === 'job.list'
        ? ok({
            jobs: [
              summary('job-1', {
                name: 'frames',
                state: 'running',
                progress: { stage: 'running', setsDone: 100, setsTotal: 1000 },
              }),
            ],
          })
        : unavailable(),
    );
    showPage(client);
    const row = (await screen.findByText('frames')).closest('li')!;
    const clock = vi.spyOn(performance, 'now');
    const progress = (at: number, setsDone: number) => {
      clock.mockReturnValue(at);
      act(() =>
        emit({
          event: 'job.progress',
          payload: { jobId: 'job-1', progress: { stage: 'running', setsDone, setsTotal: 1000 } },
        }),
      );
    };
    try {
      progress(1_000, 100);
      progress(3_000, 120);
      // Two seconds say too little.
      expect(row.querySelector('.job-progress')?.textContent).toBe('running, 120/1000 (12 %)');
      // 50 sets in 10 s, 850 to go.
      progress(11_000, 150);
      expect(row.querySelector('.job-progress')?.textContent).toBe(
        'running, 150/1000 (15 %) · about 3 min left',
      );
    } finally {
      clock.mockRestore();
    }
  });
});

describe('JobsPage: removing finished jobs', () => {
  const DAY = 86_400_000;
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
  const summary = (
    id: string,
    extra: {
      name?: string;
      origin?: 'private' | 'market';
      state?: 'done' | 'running' | 'failed';
      daysAgo?: number;
      outputBytes?: number;
      /** As the agent says; by default a finished private job is, a market job is not. */
      removable?: boolean;
    } = {},
  ) => {
    const state = extra.state ?? 'done';
    const finishedAt = at(extra.daysAgo ?? 1);
    const origin = extra.origin ?? 'private';
    return {
      id,
      ...(extra.name ? { name: extra.name } : {}),
      origin,
      state,
      progress: { stage: state === 'running' ? 'running' : 'done', setsDone: 1, setsTotal: 1 },
      attempts: 1,
      createdAt: finishedAt,
      updatedAt: finishedAt,
      ...(state === 'running' ? {} : { finishedAt }),
      outputBytes: extra.outputBytes ?? 0,
      removable: extra.removable ?? (origin === 'private' && state !== 'running'),
    };
  };

  /** An agent listing `jobs`; job.remove answers with `answer(params)` and is recorded. */
  /** `unlisted`: old jobs the agent has beyond those the page lists (it lists the newest 200). */
  function agentWith(
    jobs: unknown[],
    answer: (params: unknown) => unknown,
    unlisted?: { id: string; bytes: number }[],
  ) {
    const removals: unknown[] = [];
    let listed = jobs;
    const fake = fakeAgentClient((method, params) => {
      if (method === 'job.list') return ok({ jobs: listed });
      if (method === 'job.remove') {
        // Asked first what "older than" would take: the agent counts every job it has.
        const ask = params as { finishedBefore?: string; dryRun?: boolean };
        if (ask.dryRun) {
          const before = Date.parse(ask.finishedBefore as string);
          const taken = (listed as ResultOf<'job.list'>['jobs']).filter(
            (j) => j.removable && Date.parse(j.finishedAt ?? j.updatedAt) < before,
          );
          return ok({
            removed: [...taken.map((j) => j.id), ...(unlisted ?? []).map((u) => u.id)],
            bytesFreed:
              taken.reduce((n, j) => n + (j.outputBytes ?? 0), 0) +
              (unlisted ?? []).reduce((n, u) => n + u.bytes, 0),
            dryRun: true,
          });
        }
        removals.push(params);
        const r = answer(params) as { ok: boolean; value?: { removed: string[] } };
        if (r.ok) {
          const gone = new Set(r.value?.removed);
          listed = listed.filter((j) => !gone.has((j as { id: string }).id));
        }
        return r;
      }
      return unavailable();
    });
    return { ...fake, removals };
  }

  it('asks in place before removing a finished private job, with the size of its outputs', async () => {
    const { client, removals } = agentWith(
      [
        summary('job-run', { name: 'long run', state: 'running' }),
        summary('job-res', { name: 'resnet', outputBytes: 12 * 2 ** 20 }),
        summary('job-mkt', { name: 'market job 7', origin: 'market' }),
      ],
      () => ok({ removed: ['job-res'], bytesFreed: 12 * 2 ** 20 + 4096 }),
    );
    showPage(client);
    const row = (await screen.findByText('resnet')).closest('li')!;
    // Only the finished private job has Remove: not the running one, not the market job whose
    // lease may still need it.
    expect(
      screen.getAllByRole('button', { name: /^Remove (long run|resnet|market job 7)$/ }),
    ).toEqual([within(row).getByRole('button', { name: 'Remove resnet' })]);

    const open = () => fireEvent.click(within(row).getByRole('button', { name: 'Remove resnet' }));
    open();
    let question = within(row).getByRole('group', { name: 'Remove resnet' });
    expect(question.textContent).toContain('Remove job resnet and its outputs (12 MB)?');
    // The keyboard lands on the question's first button; Keep puts it back on the row's.
    expect(document.activeElement).toBe(within(question).getByRole('button', { name: 'Remove' }));
    fireEvent.click(within(question).getByRole('button', { name: 'Keep' }));
    expect(within(row).queryByRole('group')).toBeNull();
    expect(document.activeElement).toBe(within(row).getByRole('button', { name: 'Remove resnet' }));
    // Escape is Keep too.
    open();
    fireEvent.keyDown(within(row).getByRole('group', { name: 'Remove resnet' }), { key: 'Escape' });
    expect(within(row).queryByRole('group')).toBeNull();
    expect(removals).toEqual([]);

    open();
    question = within(row).getByRole('group', { name: 'Remove resnet' });
    fireEvent.click(within(question).getByRole('button', { name: 'Remove' }));
    expect(await screen.findByRole('status')).toHaveProperty(
      'textContent',
      'Removed job resnet, freed 12 MB.',
    );
    expect(removals).toEqual([{ ids: ['job-res'] }]);
    expect(screen.queryByText('resnet')).toBeNull();
    expect(screen.getByText('long run')).toBeTruthy();
  });

  it("shows the agent's refusal in the question and removes nothing from the list", async () => {
    const { client } = agentWith([summary('job-res', { name: 'resnet' })], () => ({
      ok: false,
      error: { code: 'JOB_STATE', message: 'Job resnet (job-res) is running: cancel it first.' },
    }));
    showPage(client);
    const row = (await screen.findByText('resnet')).closest('li')!;
    fireEvent.click(within(row).getByRole('button', { name: 'Remove resnet' }));
    fireEvent.click(within(within(row).getByRole('group')).getByRole('button', { name: 'Remove' }));
    expect((await within(row).findByRole('alert')).textContent).toContain(
      'Job resnet (job-res) is running: cancel it first.',
    );
    expect(screen.getByText('resnet')).toBeTruthy();
  });

  it('counts the finished private jobs older than the age chosen before it asks, and removes by that time', async () => {
    const { client, removals } = agentWith(
      [
        summary('job-new', { name: 'new', daysAgo: 2 }),
        summary('job-10', { name: 'ten days', daysAgo: 10, outputBytes: 2 ** 20 }),
        summary('job-40', { name: 'forty days', daysAgo: 40, outputBytes: 2 * 2 ** 20 }),
        summary('job-mkt', { name: 'market job 7', origin: 'market', daysAgo: 100 }),
      ],
      () => ok({ removed: ['job-10', 'job-40'], bytesFreed: 3 * 2 ** 20 }),
    );
    showPage(client);
    await screen.findByText('forty days');
    const age = screen.getByLabelText('Remove finished jobs older than');
    const ask = () =>
      fireEvent.click(
        screen.getByRole('button', { name: /^Remove finished jobs older than \d+ days$/ }),
      );
    expect((age as HTMLSelectElement).value).toBe('30');
    ask();
    let question = await screen.findByRole('group', {
      name: 'Remove finished jobs older than 30 days',
    });
    expect(question.textContent).toContain(
      'Remove 1 finished job older than 30 days, with its outputs (2 MB)? Market jobs stay while their lease runs; what they paid stays.',
    );
    expect(within(question).getByRole('button', { name: 'Remove 1 job' })).toBeTruthy();

    fireEvent.change(age, { target: { value: '90' } });
    expect(screen.queryByRole('group', { name: /older than/ })).toBeNull();
    ask();
    expect((await screen.findByRole('status')).textContent).toBe(
      'No finished job is older than 90 days: nothing to remove.',
    );

    fireEvent.change(age, { target: { value: '7' } });
    ask();
    question = await screen.findByRole('group', {
      name: 'Remove finished jobs older than 7 days',
    });
    expect(question.textContent).toContain(
      'Remove 2 finished jobs older than 7 days, with their outputs (3 MB)? Market jobs stay while their lease runs; what they paid stays.',
    );
    const asked = Date.now();
    fireEvent.click(within(question).getByRole('button', { name: 'Remove 2 jobs' }));
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toBe('Removed 2 finished jobs, freed 3 MB.'),
    );
    expect(removals).toHaveLength(1);
    const before = Date.parse((removals[0] as { finishedBefore: string }).finishedBefore);
    expect(Math.abs(before - (asked - 7 * DAY))).toBeLessThan(5000);
    expect(screen.queryByText('forty days')).toBeNull();
    expect(screen.queryByText('ten days')).toBeNull();
    expect(screen.getByText('new')).toBeTruthy();
    expect(screen.getByText('market job 7')).toBeTruthy();
  });

  it('offers Remove on a market job once its lease is done with it, and learns when that is', async () => {
    const paid = summary('job-paid', { name: 'market job 7', origin: 'market', removable: true });
    const running = summary('job-live', { name: 'market job 8', origin: 'market', daysAgo: 40 });
    const { client, emit, removals } = agentWith([paid, running], () =>
      ok({ removed: ['job-paid'], bytesFreed: 4096 }),
    );
    showPage(client);
    const row = (await screen.findByText('market job 7')).closest('li')!;
    expect(
      screen
        .getAllByRole('button', { name: /^Remove market job \d$/ })
        .map((b) => b.getAttribute('aria-label')),
    ).toEqual(['Remove market job 7']);
    // "Older than 30 days" passes over the market job whose lease still runs.
    fireEvent.click(
      screen.getByRole('button', { name: 'Remove finished jobs older than 30 days' }),
    );
    expect((await screen.findByRole('status')).textContent).toBe(
      'No finished job is older than 30 days: nothing to remove.',
    );

    fireEvent.click(within(row).getByRole('button', { name: 'Remove market job 7' }));
    const question = within(row).getByRole('group', { name: 'Remove market job 7' });
    expect(question.textContent).toContain(
      'Remove market job 7 and its outputs (0 bytes)? Its folder goes; its lease and what it paid stay.',
    );
    fireEvent.click(within(question).getByRole('button', { name: 'Remove' }));
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toBe('Removed market job 7, freed 4 KB.'),
    );
    expect(removals).toEqual([{ ids: ['job-paid'] }]);
    expect(screen.queryByText('market job 7')).toBeNull();

    // Its lease is paid: the agent now says the other job may go, and the page asks again.
    Object.assign(running, { removable: true });
    emit({
      event: 'market.lease',
      payload: { jobId: '8', state: 'paid', localJobId: 'job-live' },
    } as never);
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Remove market job 8' })).toBeTruthy(),
    );
  });

  it('counts old jobs the page does not list, as the agent has them', async () => {
    const { client, removals } = agentWith(
      [summary('job-40', { name: 'forty days', daysAgo: 40, outputBytes: 2 ** 20 })],
      () => ok({ removed: ['job-40', 'job-old1', 'job-old2'], bytesFreed: 3 * 2 ** 20 }),
      [
        { id: 'job-old1', bytes: 2 ** 20 },
        { id: 'job-old2', bytes: 2 ** 20 },
      ],
    );
    showPage(client);
    await screen.findByText('forty days');
    fireEvent.click(
      screen.getByRole('button', { name: 'Remove finished jobs older than 30 days' }),
    );
    const question = await screen.findByRole('group', {
      name: 'Remove finished jobs older than 30 days',
    });
    // Not "at least 1": the agent counted the two older jobs beyond the newest the page lists.
    expect(question.textContent).toContain(
      'Remove 3 finished jobs older than 30 days, with their outputs (3 MB)?',
    );
    expect(removals).toEqual([]);
    fireEvent.click(within(question).getByRole('button', { name: 'Remove 3 jobs' }));
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toBe('Removed 3 finished jobs, freed 3 MB.'),
    );
  });

  it('drops jobs removed elsewhere (roost job remove) when the agent says so', async () => {
    const { client, emit } = agentWith(
      [summary('job-a', { name: 'first' }), summary('job-b', { name: 'second' })],
      () => unavailable(),
    );
    showPage(client);
    await screen.findByText('first');
    emit({ event: 'job.removed', payload: { ids: ['job-a'], bytesFreed: 10 } });
    expect(screen.queryByText('first')).toBeNull();
    expect(screen.getByText('second')).toBeTruthy();
  });
});

describe('JobsPage: which jobs the queue shows', () => {
  type State = 'queued' | 'fetching' | 'running' | 'done' | 'failed' | 'cancelled';
  const job = (n: number, state: State) => ({
    id: `job-${n}`,
    name: `${state} ${n}`,
    origin: 'private',
    state,
    progress: { stage: state === 'done' ? 'done' : 'running', setsDone: 0, setsTotal: 1 },
    attempts: 1,
    createdAt: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
    updatedAt: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
    removable: state === 'done' || state === 'failed' || state === 'cancelled',
  });
  /** 3 running, 450 done, 2 failed: the agent answers each list as asked, with the counts. */
  function agentWithMany() {
    const all = [
      ...Array.from({ length: 450 }, (_, k) => job(k, 'done')),
      job(450, 'failed'),
      job(451, 'failed'),
      ...Array.from({ length: 3 }, (_, k) => job(452 + k, 'running')),
    ].reverse();
    const asked: { states?: State[]; limit?: number }[] = [];
    const counts = { queued: 0, fetching: 0, running: 3, done: 450, failed: 2, cancelled: 0 };
    const fake = fakeAgentClient((method, params) => {
      if (method !== 'job.list') return unavailable();
      const p = params as { states?: State[]; limit?: number };
      asked.push(p);
      const jobs = all.filter((j) => !p.states || p.states.includes(j.state));
      return ok({ jobs: jobs.slice(0, p.limit ?? 200), counts });
    });
    return { ...fake, asked };
  }
  const rows = () =>
    within(screen.getByTestId('jobs'))
      .getAllByRole('listitem')
      .map((li) => li.querySelector('strong')?.textContent);

  it('shows only the failed jobs, with how many of each kind there are', async () => {
    const { client, asked } = agentWithMany();
    showPage(client);
    const filter = await screen.findByRole('group', { name: 'Show jobs' });
    expect(
      within(filter)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['All 455', 'Waiting or running 3', 'Done 450', 'Failed 2', 'Cancelled 0']);
    expect(
      within(filter).getByRole('button', { name: 'All 455' }).getAttribute('aria-pressed'),
    ).toBe('true');
    expect(screen.getByText(/255 older jobs are not shown/)).toBeTruthy();
    fireEvent.click(within(filter).getByRole('button', { name: 'Failed 2' }));
    await waitFor(() => expect(rows()).toEqual(['failed 451', 'failed 450']));
    expect(asked.at(-1)).toEqual({ states: ['failed'], limit: 200 });
    expect(screen.queryByText(/older jobs? (is|are) not shown/)).toBeNull();
    fireEvent.click(within(filter).getByRole('button', { name: 'Cancelled 0' }));
    expect(await screen.findByText('No job was cancelled.')).toBeTruthy();
    fireEvent.click(within(filter).getByRole('button', { name: 'Waiting or running 3' }));
    await waitFor(() => expect(rows()).toEqual(['running 454', 'running 453', 'running 452']));
    expect(asked.at(-1)).toEqual({ states: ['queued', 'fetching', 'running'], limit: 200 });
  });

  it('shows older jobs on Show more, up to the most one list gives', async () => {
    const { client, asked } = agentWithMany();
    showPage(client);
    const filter = await screen.findByRole('group', { name: 'Show jobs' });
    fireEvent.click(within(filter).getByRole('button', { name: 'Done 450' }));
    await waitFor(() => expect(rows()).toHaveLength(200));
    expect(screen.getByText(/250 older jobs are not shown/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Show more' }));
    await waitFor(() => expect(rows()).toHaveLength(400));
    expect(asked.at(-1)).toEqual({ states: ['done'], limit: 400 });
    fireEvent.click(screen.getByRole('button', { name: 'Show more' }));
    await waitFor(() => expect(rows()).toHaveLength(450));
    expect(screen.queryByRole('button', { name: 'Show more' })).toBeNull();
    expect(rows()[449]).toBe('done 0');
  });

  it('leaves the filter out while every job is of one kind', async () => {
    const { client } = fakeAgentClient((method) =>
      method === 'job.list'
        ? ok({
            jobs: [job(1, 'done'), job(2, 'done')],
            counts: { queued: 0, fetching: 0, running: 0, done: 2, failed: 0, cancelled: 0 },
          })
        : unavailable(),
    );
    showPage(client);
    await screen.findByText('done 2');
    expect(screen.queryByRole('group', { name: 'Show jobs' })).toBeNull();
  });
});

describe('JobsPage: the queue', () => {
  it('says where each queued job is in line, and puts one at the front on Run next', async () => {
    const queued = (n: number, place: number) => ({
      id: `job-${n}`,
      name: `batch ${n}`,
      origin: 'private',
      state: 'queued',
      progress: { stage: 'queued', setsDone: 0, setsTotal: 10 },
      attempts: 0,
      createdAt: new Date(Date.UTC(2026, 10, 27, 9, n)).toISOString(),
      updatedAt: new Date(Date.UTC(2026, 10, 27, 9, n)).toISOString(),
      removable: false,
      queuePlace: place,
    });
    let listed = [queued(3, 3), queued(2, 2), queued(1, 1)];
    const moved: unknown[] = [];
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'job.list') return ok({ jobs: listed });
      if (method === 'job.runNext') {
        moved.push(params);
        listed = [queued(3, 1), queued(2, 3), queued(1, 2)].map((j) => ({
          ...j,
          updatedAt: '2026-11-27T10:00:00.000Z',
        }));
        return ok(listed[0]);
      }
      return unavailable();
    });
    showPage(client);
    const row = (name: string) => screen.getByText(name).closest('li')!;
    await screen.findByText('batch 3');
    expect(row('batch 1').textContent).toContain('next in line');
    expect(row('batch 3').textContent).toContain('3rd in line');
    // The next one has nowhere to move.
    expect(within(row('batch 1')).queryByRole('button', { name: 'Run next batch 1' })).toBeNull();
    fireEvent.click(within(row('batch 3')).getByRole('button', { name: 'Run next batch 3' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      'Job batch 3 is next in line: it takes the next free GPU.',
    );
    expect(moved).toEqual([{ id: 'job-3' }]);
    await waitFor(() => expect(row('batch 3').textContent).toContain('next in line'));
    expect(row('batch 2').textContent).toContain('3rd in line');
  });

  it('cancels every queued job at once from the waiting ones, after asking', async () => {
    const job = (n: number, state: 'queued' | 'running' | 'done' | 'cancelled') => ({
      id: `job-${n}`,
      name: `batch ${n}`,
      origin: 'private',
      state,
      progress: { stage: state, setsDone: 0, setsTotal: 10 },
      attempts: 0,
      createdAt: new Date(Date.UTC(2026, 10, 27, 9, n)).toISOString(),
      updatedAt: new Date(Date.UTC(2026, 10, 27, 9, n)).toISOString(),
      removable: state === 'done' || state === 'cancelled',
    });
    let all = [job(4, 'queued'), job(3, 'queued'), job(2, 'running'), job(1, 'done')];
    const count = () => ({
      queued: all.filter((j) => j.state === 'queued').length,
      fetching: 0,
      running: all.filter((j) => j.state === 'running').length,
      done: all.filter((j) => j.state === 'done').length,
      failed: 0,
      cancelled: all.filter((j) => j.state === 'cancelled').length,
    });
    const asked: string[] = [];
    const { client, emit } = fakeAgentClient((method, params) => {
      asked.push(method);
      if (method === 'job.list') {
        const p = params as { states?: string[] };
        return ok({
          jobs: all.filter((j) => !p.states || p.states.includes(j.state)),
          counts: count(),
        });
      }
      if (method === 'job.cancelQueued') {
        all = all.map((j) =>
          j.state === 'queued'
            ? { ...job(Number(j.id.slice(4)), 'cancelled'), updatedAt: '2026-11-27T10:00:00.000Z' }
            : j,
        );
        // The agent tells every page of each one it cancelled.
        queueMicrotask(() => {
          for (const j of all.filter((k) => k.state === 'cancelled'))
            act(() => emit({ event: 'job.stateChanged', payload: { job: j } } as never));
        });
        return ok({ cancelled: ['job-4', 'job-3'] });
      }
      return unavailable();
    });
    showPage(client);
    const filter = await screen.findByRole('group', { name: 'Show jobs' });
    // Only among the waiting ones.
    expect(screen.queryByRole('button', { name: 'Cancel every queued job…' })).toBeNull();
    fireEvent.click(within(filter).getByRole('button', { name: 'Waiting or running 3' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel every queued job…' }));
    const question = screen.getByRole('group', { name: 'Cancel every queued job' });
    expect(question.textContent).toContain(
      'None of them has started; running jobs and market jobs go on.',
    );
    fireEvent.click(within(question).getByRole('button', { name: 'Keep them' }));
    expect(asked).not.toContain('job.cancelQueued');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel every queued job…' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel them' }));
    expect((await screen.findByRole('status')).textContent).toBe('Cancelled 2 queued jobs.');
    await waitFor(() =>
      expect(
        within(screen.getByTestId('jobs'))
          .getAllByRole('listitem')
          .map((li) => li.querySelector('strong')?.textContent),
      ).toEqual(['batch 2']),
    );
    expect(screen.queryByRole('button', { name: 'Cancel every queued job…' })).toBeNull();
  });
});
