import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { JobsPage } from '../pages/JobsPage.tsx';
import { parseInputSets } from '../pages/job-paths.ts';
import type { ApiClient } from '../api/transport.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

const inspection = (model: string) => ({
  model,
  bytes: 1234,
  inputs: [
    { name: 'x', dtype: 'float32', shape: ['batch', 3], isTensor: true },
    { name: 'mask', dtype: 'int64', shape: [1, 3], isTensor: true },
    { name: 'state', dtype: 'seq(float)', shape: [], isTensor: false },
  ],
  outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 2], isTensor: true }],
  opsets: [{ domain: '', version: 17 }],
  externalFiles: [],
  nodeCount: 3,
});

type Upload = NonNullable<ApiClient['upload']>;

/**
 * An agent that hands out upload links into /srv/roost/uploads/<n>/ and reads any model; records
 * every call. `upload` / `pathOf` make it the dashboard of roost serve or the desktop app.
 */
function agentWith(options: {
  upload?: Upload;
  pathOf?: (file: File) => string;
  answers?: Record<string, unknown>;
}) {
  const calls: [string, unknown][] = [];
  let folders = 0;
  const { client } = fakeAgentClient(
    (method, params) => {
      calls.push([method, params]);
      if (options.answers && method in options.answers) return options.answers[method];
      if (method === 'job.list') return ok({ jobs: [] });
      if (method === 'job.uploadFiles') {
        const folder = `/srv/roost/uploads/${++folders}`;
        const { files } = params as { files: { name: string }[] };
        return ok({
          folder,
          files: files.map((f, k) => ({
            name: f.name,
            path: `${folder}/${f.name}`,
            link: `/upload/${String(k).padStart(43, 'T')}`,
          })),
          expiresAt: '2026-11-27T12:01:00.000Z',
        });
      }
      if (method === 'job.inspectModel') return ok(inspection((params as { model: string }).model));
      return unavailable();
    },
    {
      ...(options.upload ? { upload: options.upload } : {}),
      ...(options.pathOf ? { pathOf: options.pathOf } : {}),
    },
  );
  render(
    <AgentProvider client={client}>
      <JobsPage />
    </AgentProvider>,
  );
  return calls;
}

const file = (name: string, bytes = 10) => new File([new Uint8Array(bytes)], name);
const form = () => screen.getByRole('form', { name: 'Add a private job' });
const inputsField = () => screen.getByLabelText<HTMLTextAreaElement>(/^Inputs, one per line/);
const modelField = () => screen.getByLabelText<HTMLInputElement>('Model (.onnx)');
function choose(label: string, files: File[]) {
  fireEvent.change(within(form()).getByTestId(`choose-${label}`), { target: { files } });
}

/** Uploads that answer as roost serve would, each held until `release` is called. */
function heldUploads(pathOf = (link: string, name: string) => `/srv/${name}`) {
  const sent: [string, string][] = [];
  const waiting: (() => void)[] = [];
  const upload: Upload = (link, blob, onProgress) => {
    const name = (blob as File).name;
    sent.push([link, name]);
    onProgress?.(blob.size / 2);
    return new Promise((resolve) =>
      waiting.push(() =>
        resolve(
          ok({ path: pathOf(link, name), bytes: blob.size, sha256: '0'.repeat(64) }) as never,
        ),
      ),
    );
  };
  return {
    upload,
    sent,
    async release() {
      await waitFor(() => expect(waiting.length).toBeGreaterThan(0));
      waiting.shift()!();
    },
  };
}

describe('choosing a job’s files on the browser dashboard (sent to Roost)', () => {
  it('sends the model with its weights, fills in its path and shows what it takes', async () => {
    const uploads = heldUploads();
    const calls = agentWith({ upload: uploads.upload });
    expect(
      within(form()).getByText(
        /Files you choose or drop here are sent to the computer Roost runs on/,
      ),
    );
    choose('the model', [file('m.onnx.data', 4096), file('m.onnx', 1024)]);
    // Both go in one ask (one folder, side by side), and the page shows how far it has got.
    await uploads.release();
    const status = await within(form()).findByRole('status');
    expect(status.textContent).toBe('Sending 1 of 2 files to Roost: 3 KB of 5 KB');
    await uploads.release();
    await waitFor(() => expect(modelField().value).toBe('/srv/m.onnx'));
    expect(calls.find(([m]) => m === 'job.uploadFiles')?.[1]).toEqual({
      files: [
        { name: 'm.onnx', bytes: 1024 },
        { name: 'm.onnx.data', bytes: 4096 },
      ],
    });
    expect(uploads.sent.map(([, name]) => name)).toEqual(['m.onnx', 'm.onnx.data']);
    expect(uploads.sent[0]![0]).toMatch(/^\/upload\/T+0$/);
    const takes = await screen.findByTestId('job-model-takes');
    expect(calls.filter(([m]) => m === 'job.inspectModel').map(([, p]) => p)).toEqual([
      { model: '/srv/m.onnx' },
    ]);
    expect(takes.textContent).toContain(
      'This model takes 3 inputs and gives y (float32 [batch, 2]).',
    );
    expect(takes.textContent).toContain('x float32 [batch, 3]');
    expect(takes.textContent).toContain(
      'state seq(float) [] (not a tensor: no .npy file can carry it)',
    );
    expect(
      within(takes)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Choose x files…', 'Choose x folder…', 'Choose mask files…', 'Choose mask folder…']);
  });

  it("puts each input's chosen files in name order, one input set per file", async () => {
    const upload: Upload = (_link, blob) =>
      Promise.resolve(
        ok({
          path: `/srv/${(blob as File).name}`,
          bytes: blob.size,
          sha256: '0'.repeat(64),
        }) as never,
      );
    agentWith({ upload });
    fireEvent.change(modelField(), { target: { value: '/data/m.onnx' } });
    fireEvent.blur(modelField());
    await screen.findByTestId('job-model-takes');
    fireEvent.change(inputsField(), { target: { value: 'x=/data/old.npy\nmask=/data/m0.npy' } });
    choose('files for input x', [file('x10.npy'), file('x2.npy'), file('x1.npy')]);
    await waitFor(() =>
      expect(inputsField().value).toBe(
        'mask=/data/m0.npy\nx=/srv/x1.npy\nx=/srv/x2.npy\nx=/srv/x10.npy',
      ),
    );
    // What does not fit yet is said under the field as it changes.
    expect(screen.getByTestId('job-input-sets').textContent).toBe(
      '3 input sets; set 1 has no mask, set 2 has no mask.',
    );
    choose('files for input mask', [file('m2.npy'), file('m1.npy'), file('m3.npy')]);
    await waitFor(() => expect(inputsField().value).toContain('mask=/srv/m3.npy'));
    expect(screen.getByTestId('job-input-sets').textContent).toBe(
      '3 input sets, each with every input the model takes.',
    );
    const parsed = parseInputSets(inputsField().value);
    expect(parsed).toEqual({
      ok: true,
      sets: [
        { x: '/srv/x1.npy', mask: '/srv/m1.npy' },
        { x: '/srv/x2.npy', mask: '/srv/m2.npy' },
        { x: '/srv/x10.npy', mask: '/srv/m3.npy' },
      ],
    });
  });

  it('stops sending at Stop sending, saying nothing is wrong and leaving the field as it was', async () => {
    const signals: AbortSignal[] = [];
    const upload: Upload = (_link, _blob, _progress, signal) =>
      new Promise((resolve) => {
        signals.push(signal!);
        signal!.addEventListener('abort', () =>
          resolve({
            ok: false,
            error: { code: 'UNAVAILABLE', message: 'The upload was stopped.' },
          }),
        );
      });
    agentWith({ upload });
    fireEvent.change(modelField(), { target: { value: '/data/typed.onnx' } });
    choose('the model', [file('big.onnx', 5000)]);
    fireEvent.click(await within(form()).findByRole('button', { name: 'Stop sending' }));
    await waitFor(() => expect(within(form()).queryByRole('status')).toBeNull());
    expect(signals.map((s) => s.aborted)).toEqual([true]);
    expect(within(form()).queryByRole('alert')).toBeNull();
    expect(modelField().value).toBe('/data/typed.onnx');
    expect(within(form()).getByRole('button', { name: 'Choose model…' })).toBeTruthy();
  });

  it('says why Roost refused the files, and leaves the field as it was', async () => {
    const calls = agentWith({
      upload: () => Promise.reject(new Error('no upload expected')),
      answers: {
        'job.uploadFiles': {
          ok: false,
          error: {
            code: 'TOO_LARGE',
            message:
              'The files are 9 GB, and the disk Roost keeps its data on has 2 GB free. Free some space, or give the files’ paths on this computer instead.',
          },
        },
      },
    });
    fireEvent.change(modelField(), { target: { value: '/data/typed.onnx' } });
    choose('the model', [file('big.onnx')]);
    const alert = await within(form()).findByRole('alert');
    expect(alert.textContent).toContain('has 2 GB free');
    expect(modelField().value).toBe('/data/typed.onnx');
    expect(modelField().getAttribute('aria-invalid')).toBe('true');
    expect(calls.some(([m]) => m === 'job.inspectModel')).toBe(false);
  });

  it("says what is wrong with a model Roost can't read, on the model field", async () => {
    agentWith({
      upload: () => Promise.reject(new Error('no upload expected')),
      answers: {
        'job.inspectModel': {
          ok: false,
          error: {
            code: 'INVALID_PARAMS',
            message:
              'No model at /data/gone.onnx. Check the path; the file must be on the computer Roost runs on.',
          },
        },
      },
    });
    fireEvent.change(modelField(), { target: { value: '/data/gone.onnx' } });
    fireEvent.blur(modelField());
    expect((await within(form()).findByRole('alert')).textContent).toBe(
      'No model at /data/gone.onnx. Check the path; the file must be on the computer Roost runs on.',
    );
    expect(modelField().getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByTestId('job-model-takes')).toBeNull();
  });
});

describe('choosing a job’s files in the desktop app (used where they are)', () => {
  it('fills in the chosen files’ own paths and sends nothing', async () => {
    const paths = new Map<File, string>();
    const model = file('net.onnx');
    paths.set(model, '/home/ana/models/net.onnx');
    const calls = agentWith({ pathOf: (f) => paths.get(f) ?? '' });
    expect(within(form()).queryByText(/Files you choose or drop here are sent/)).toBeNull();
    choose('the model', [model]);
    await waitFor(() => expect(modelField().value).toBe('/home/ana/models/net.onnx'));
    await screen.findByTestId('job-model-takes');
    const x = [file('b.npy'), file('a.npy')];
    paths.set(x[0]!, '/home/ana/x/b.npy');
    paths.set(x[1]!, '/home/ana/x/a.npy');
    choose('files for input x', x);
    await waitFor(() =>
      expect(inputsField().value).toBe('x=/home/ana/x/a.npy\nx=/home/ana/x/b.npy'),
    );
    expect(calls.some(([m]) => m === 'job.uploadFiles')).toBe(false);
    // A file with no path here (dragged from a website, say): what to do instead.
    choose('files for input mask', [file('pasted.npy')]);
    expect((await within(form()).findByRole('alert')).textContent).toContain(
      'pasted.npy is not a file on this computer',
    );
    expect(inputsField().value).toBe('x=/home/ana/x/a.npy\nx=/home/ana/x/b.npy');
  });
});

describe('dropping files on the form', () => {
  it('takes a model dropped on its field and .npy files dropped on an input, and nothing elsewhere', async () => {
    const paths = new Map<File, string>();
    const pathOf = (f: File) => paths.get(f) ?? '';
    const calls = agentWith({ pathOf });
    const model = file('net.onnx');
    paths.set(model, '/home/ana/net.onnx');
    const row = modelField().parentElement!;
    const drag = (files: File[]) => ({ dataTransfer: { files, types: ['Files'], dropEffect: '' } });
    fireEvent.dragOver(row, drag([model]));
    expect(row.classList.contains('drop-over')).toBe(true);
    fireEvent.drop(row, drag([model]));
    expect(row.classList.contains('drop-over')).toBe(false);
    await waitFor(() => expect(modelField().value).toBe('/home/ana/net.onnx'));
    await screen.findByTestId('job-model-takes');
    const x = [file('x2.npy'), file('x1.npy')];
    paths.set(x[0]!, '/home/ana/x2.npy');
    paths.set(x[1]!, '/home/ana/x1.npy');
    fireEvent.drop(screen.getByTestId('input-x'), drag(x));
    await waitFor(() => expect(inputsField().value).toBe('x=/home/ana/x1.npy\nx=/home/ana/x2.npy'));
    // Dragged text is not files: the row lets the browser handle it.
    const text = { dataTransfer: { files: [], types: ['text/plain'], dropEffect: '' } };
    expect(fireEvent.dragOver(screen.getByTestId('input-mask'), text)).toBe(true);
    // The sequence input carries no file, so it takes no drop.
    expect(screen.queryByTestId('input-state')).toBeNull();
    expect(calls.some(([m]) => m === 'job.uploadFiles')).toBe(false);
  });
});

describe('a folder for an input (one input set per .npy file in it)', () => {
  /** A file as a folder picker lists it: with its path from the chosen folder. */
  const listed = (path: string) => {
    const f = file(path.split('/').pop()!);
    Object.defineProperty(f, 'webkitRelativePath', { value: path });
    return f;
  };
  const chooseFolder = (label: string, files: File[]) =>
    fireEvent.change(within(form()).getByTestId(`choose-folder-${label}`), {
      target: { files },
    });
  const sets = () => screen.getByTestId('job-input-sets').textContent;
  /** A drop's entries, as Chromium gives them: a folder lists its files once, then nothing. */
  const dropOf = (items: { folder?: File[]; file: File }[]) => ({
    dataTransfer: {
      types: ['Files'],
      dropEffect: '',
      files: items.map((i) => i.file),
      items: items.map(({ folder, file: self }) => ({
        kind: 'file',
        getAsFile: () => self,
        webkitGetAsEntry: () =>
          folder
            ? {
                name: self.name,
                isFile: false,
                isDirectory: true,
                createReader: () => {
                  let listed = false;
                  return {
                    readEntries: (done: (entries: unknown[]) => void) => {
                      const part = listed
                        ? []
                        : folder.map((f) => ({
                            name: f.name,
                            isFile: true,
                            isDirectory: false,
                            file: (give: (f: File) => void) => give(f),
                          }));
                      listed = true;
                      done(part);
                    },
                  };
                },
              }
            : { name: self.name, isFile: true, isDirectory: false },
      })),
    },
  });

  it('sends a chosen folder’s own .npy files from a browser and names their folder once', async () => {
    // Each upload lands in the folder of the latest ask, as Roost's links do.
    const held = heldUploads(
      (_link, name) =>
        `/srv/roost/uploads/${calls.filter(([m]) => m === 'job.uploadFiles').length}/${name}`,
    );
    const calls = agentWith({ upload: held.upload });
    fireEvent.change(modelField(), { target: { value: '/data/net.onnx' } });
    fireEvent.blur(modelField());
    await screen.findByTestId('job-model-takes');
    chooseFolder('files for input x', [
      listed('scans/x10.npy'),
      listed('scans/notes.txt'),
      listed('scans/old/x0.npy'),
      listed('scans/x2.npy'),
    ]);
    expect(await within(form()).findByText(/Sending 0 of 2 files to Roost/)).toBeTruthy();
    await held.release();
    await held.release();
    await waitFor(() => expect(inputsField().value).toBe('x=/srv/roost/uploads/1'));
    expect(held.sent.map(([, name]) => name)).toEqual(['x2.npy', 'x10.npy']);
    expect(calls.find(([m]) => m === 'job.uploadFiles')?.[1]).toEqual({
      files: [
        { name: 'x2.npy', bytes: 10 },
        { name: 'x10.npy', bytes: 10 },
      ],
    });
    expect(sets()).toBe('2 input sets, one per .npy file in the folder of x; none has mask.');
    // The one line stays the folder's when files are chosen for another input.
    chooseFolder('files for input mask', [listed('masks/x10.npy')]);
    await held.release();
    await waitFor(() =>
      expect(inputsField().value).toBe('x=/srv/roost/uploads/1\nmask=/srv/roost/uploads/2'),
    );
    expect(sets()).toBe(
      'The folders of x and mask hold 2 and 1 .npy files: folders given together are paired by file name, so give each the same files.',
    );
  });

  it('says a folder with no .npy files of its own is not a batch, and changes nothing', async () => {
    const calls = agentWith({ upload: () => Promise.reject(new Error('no upload expected')) });
    fireEvent.change(modelField(), { target: { value: '/data/net.onnx' } });
    fireEvent.blur(modelField());
    await screen.findByTestId('job-model-takes');
    fireEvent.change(inputsField(), { target: { value: 'x=/data/x.npy' } });
    chooseFolder('files for input x', [listed('scans/old/x0.npy'), listed('scans/a.txt')]);
    expect((await within(form()).findByRole('alert')).textContent).toContain(
      'The folder scans holds no .npy files (only the files directly in it count',
    );
    expect(inputsField().value).toBe('x=/data/x.npy');
    expect(inputsField().getAttribute('aria-invalid')).toBe('true');
    expect(calls.some(([m]) => m === 'job.uploadFiles')).toBe(false);
  });

  it('uses a dropped folder where it is in the desktop app; refuses one on the model', async () => {
    const paths = new Map<File, string>();
    const calls = agentWith({ pathOf: (f) => paths.get(f) ?? '' });
    fireEvent.change(modelField(), { target: { value: '/home/ana/net.onnx' } });
    fireEvent.blur(modelField());
    await screen.findByTestId('job-model-takes');
    const scans = file('scans', 0);
    paths.set(scans, '/home/ana/scans');
    const inScans = [file('x1.npy'), file('x2.npy'), file('x3.npy'), file('readme.md')];
    fireEvent.drop(screen.getByTestId('input-x'), dropOf([{ folder: inScans, file: scans }]));
    await waitFor(() => expect(inputsField().value).toBe('x=/home/ana/scans'));
    expect(sets()).toBe('3 input sets, one per .npy file in the folder of x; none has mask.');
    // A folder with files beside it, on an input: which of them would be the batch?
    const loose = file('m.npy');
    paths.set(loose, '/home/ana/m.npy');
    fireEvent.drop(
      screen.getByTestId('input-mask'),
      dropOf([{ folder: inScans, file: scans }, { file: loose }]),
    );
    expect((await within(form()).findByRole('alert')).textContent).toBe(
      'Drop one folder, or .npy files, not both: a folder is a whole batch (one input set per .npy file in it).',
    );
    expect(inputsField().value).toBe('x=/home/ana/scans');
    // The model is one file: a folder dropped on it is refused in words.
    fireEvent.drop(modelField().parentElement!, dropOf([{ folder: inScans, file: scans }]));
    await waitFor(() =>
      expect(within(form()).getByRole('alert').textContent).toBe(
        "scans is a folder: drop the model's .onnx file (with its external data files, if it has them).",
      ),
    );
    expect(modelField().value).toBe('/home/ana/net.onnx');
    expect(calls.some(([m]) => m === 'job.uploadFiles')).toBe(false);
  });
});

it('offers no Choose button where the page can take no files', () => {
  agentWith({});
  expect(within(form()).queryByRole('button', { name: /^Choose/ })).toBeNull();
  expect(modelField()).toBeTruthy();
});
