import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { JobsPage } from './JobsPage.tsx';
import { isFullPath } from './job-paths.ts';
import type { ApiClient } from '../api/transport.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

/** An agent with no jobs; `job.add` answers with `answer` and records what it was sent. */
function fakeClient(answer: unknown) {
  const added: unknown[] = [];
  const { client } = fakeAgentClient((method, params) => {
    if (method === 'job.list') return ok({ jobs: [] });
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
