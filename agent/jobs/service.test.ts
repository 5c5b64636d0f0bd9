import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Wallet } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { identityModel, mlpModel } from '../../test/fixtures/jobs/models.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import type { ProviderSigner } from '../wallet/signer.ts';
import { openJournal } from './journal.ts';
import { verifyReceipt } from './receipt.ts';
import {
  jobDetailSchema,
  jobProgressEventSchema,
  jobStateChangedSchema,
  jobSummarySchema,
  jobWords,
} from './schema.ts';
import type { Artifact, JobEvent, JobSpec } from './schema.ts';
import { createJobService, jobLabel, outputFileNames } from './service.ts';
import type { JobService, JobServiceOptions, MarketJobRemoval } from './service.ts';
import { fakeSpawner, float32Npy, writingWorker } from './testing/fake-worker.ts';
import type { FakeWorkerScript } from './testing/fake-worker.ts';

const wallet = new Wallet('0x' + '42'.repeat(32));
const signer: ProviderSigner = {
  address: wallet.address,
  signMessage: (m) => wallet.signMessage(m),
};
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const cleanups: (() => Promise<void>)[] = [];
const services: JobService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  for (const c of cleanups.splice(0)) await c();
});

interface Env {
  root: string;
  dataDir: string;
  file(name: string, bytes: Uint8Array): Promise<{ uri: string; sha256: string; bytes: number }>;
  start(
    script: FakeWorkerScript | FakeWorkerScript[],
    extra?: Partial<JobServiceOptions>,
  ): Promise<{
    service: JobService;
    spawner: ReturnType<typeof fakeSpawner>;
    events: JobEvent[];
  }>;
}

let fileCounter = 0;

async function env(): Promise<Env> {
  const dir = await tempDir('roost-jobs-');
  cleanups.push(dir.remove);
  const dataDir = join(dir.path, 'data');
  return {
    root: dir.path,
    dataDir,
    async file(name, bytes) {
      // A fresh name each time: a job may still be reading the last file of this name.
      const path = join(dir.path, 'files', `${fileCounter++}-${name}`);
      await mkdir(join(dir.path, 'files'), { recursive: true });
      await writeFile(path, bytes);
      return { uri: pathToFileURL(path).href, sha256: sha(bytes), bytes: bytes.length };
    },
    async start(script, extra = {}) {
      const spawner = fakeSpawner(script);
      const events: JobEvent[] = [];
      const service = await createJobService({
        dataDir,
        signer,
        spawnWorker: spawner.spawn,
        retryDelayMs: () => 1,
        onEvent: (e) => events.push(e),
        ...extra,
      });
      services.push(service);
      return { service, spawner, events };
    },
  };
}

/** A spec for the identity model: x float32 [N] → y; `sets` input sets. */
async function identitySpec(e: Env, sets = 1, extra: Partial<JobSpec> = {}): Promise<JobSpec> {
  const model = await e.file('identity.onnx', identityModel('float32', ['N']));
  const inputs = [];
  for (let s = 0; s < sets; s++)
    inputs.push({ x: await e.file(`x${s}.npy`, float32Npy([s, s + 1])) });
  return {
    format: 'roost.job/1',
    model,
    inputs: sets === 1 ? (inputs[0] as JobSpec['inputs']) : inputs,
    executionProviders: ['webgpu', 'cpu'],
    ...extra,
  };
}

describe('a job in the log and the Activity list', () => {
  it('is named once as a job, whatever its name says', () => {
    expect(jobLabel(undefined, 'job-1')).toBe('job job-1');
    expect(jobLabel('resnet batch', 'job-1')).toBe('job resnet batch (job-1)');
    expect(jobLabel('market job 7', 'job-1')).toBe('market job 7 (job-1)');
    expect(jobLabel('Job for the lab', 'job-1')).toBe('Job for the lab (job-1)');
    // In a sentence without the id, as the Jobs page and the GPU cards say it.
    expect(jobWords({ id: 'job-1' })).toBe('job job-1');
    expect(jobWords({ id: 'job-1', name: 'resnet batch' })).toBe('job resnet batch');
    expect(jobWords({ id: 'job-1', name: 'market job 7' })).toBe('market job 7');
  });
});

describe('the job service', () => {
  it('runs a job: queued → fetching → running → done, with a signed receipt', async () => {
    const e = await env();
    const lines: string[] = [];
    const log = (level: string) => (m: string) => lines.push(`${level} ${m}`);
    const { service, spawner, events } = await e.start(writingWorker(), {
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    });
    const spec = await identitySpec(e, 3, { name: 'identity of three' });
    const submitted = await service.submit(spec);
    expect(submitted).toMatchObject({
      ok: true,
      value: { state: 'queued', progress: { setsTotal: 3 } },
    });
    if (!submitted.ok) return;
    const done = await service.wait(submitted.value.id);
    expect(done).toMatchObject({
      ok: true,
      value: { state: 'done', executionProvider: 'webgpu', attempts: 1 },
    });
    if (!done.ok) return;
    const states = events
      .filter((ev) => ev.type === 'job.stateChanged')
      .map((ev) => ev.type === 'job.stateChanged' && ev.payload.job.state);
    expect(states).toEqual(['queued', 'fetching', 'running', 'done']);
    // Activity (info and up) says the job came and what came of it, by its name; the steps
    // between go to the log file.
    const id = submitted.value.id;
    expect(lines.filter((l) => l.includes(id) && !l.startsWith('debug'))).toEqual([
      expect.stringMatching(/^info job identity of three \(job-[\w-]+\): queued: /),
      `info job identity of three (${id}): done: 3 outputs on WebGPU`,
    ]);
    expect(lines.filter((l) => l.startsWith('debug') && l.includes(id))).toHaveLength(2);
    expect(
      events.some((ev) => ev.type === 'job.progress' && ev.payload.progress.setsDone === 3),
    ).toBe(true);
    const receipt = JSON.parse(readFileSync(join(done.value.jobDir, 'result.json'), 'utf8'));
    expect(verifyReceipt(receipt)).toMatchObject({ ok: true, signer: wallet.address });
    expect(receipt.receipt.outputs.map((o: { file: string }) => o.file)).toEqual([
      '0/y.npy',
      '1/y.npy',
      '2/y.npy',
    ]);
    const first = readFileSync(join(done.value.jobDir, 'out', '0', 'y.npy'));
    expect(receipt.receipt.outputs[0].sha256).toBe(sha(first));
    expect(receipt.receipt.inputs).toHaveLength(3);
    expect(done.value.result?.receipt.executionProvider).toBe('webgpu');
    expect(done.value.history.map((h) => h.state)).toEqual([
      'queued',
      'fetching',
      'running',
      'done',
    ]);
    // The worker got the job's folders, never the data folder or the key.
    const launch = spawner.workers[0]?.launch;
    expect(launch?.inputsDir).toBe(join(done.value.jobDir, 'in'));
    expect(launch?.outDir).toBe(join(done.value.jobDir, 'out'));
    expect(JSON.stringify(spawner.workers[0]?.received)).not.toContain('signing-key');
  });

  it('labels a job whose spec names none, beside the spec: the spec and its hash stay as given', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const spec = await identitySpec(e, 1);
    const labelled = await service.submit(spec, { name: 'market job 7' });
    if (!labelled.ok) throw new Error(labelled.error.message);
    const plain = await service.submit(spec);
    if (!plain.ok) throw new Error(plain.error.message);
    expect(labelled.value.name).toBe('market job 7');
    expect(plain.value.name).toBeUndefined();
    const [a, b] = [service.show(labelled.value.id), service.show(plain.value.id)];
    if (!a.ok || !b.ok) throw new Error('show');
    expect(a.value.spec).toEqual(b.value.spec);
    expect(a.value.spec.name).toBeUndefined();
    // A name the spec gives wins.
    const named = await service.submit({ ...spec, name: 'mine' }, { name: 'market job 8' });
    expect(named).toMatchObject({ ok: true, value: { name: 'mine' } });
    for (const id of [labelled.value.id, plain.value.id]) await service.wait(id);
    if (named.ok) await service.wait(named.value.id);
  });

  it('answers in the shapes schema.ts declares (what the API contract reuses)', async () => {
    const e = await env();
    const { service, events } = await e.start(writingWorker());
    const submitted = await service.submit(await identitySpec(e, 2));
    if (!submitted.ok) throw new Error('not submitted');
    expect(jobSummarySchema.parse(submitted.value)).toEqual(submitted.value);
    const done = await service.wait(submitted.value.id);
    if (!done.ok) throw new Error('no job');
    expect(jobDetailSchema.parse(done.value)).toEqual(done.value);
    for (const s of service.list()) expect(jobSummarySchema.parse(s)).toEqual(s);
    for (const ev of events) {
      if (ev.type === 'job.stateChanged') jobStateChangedSchema.parse(ev.payload);
      else jobProgressEventSchema.parse(ev.payload);
    }
  });

  it('refuses bad specs before they are queued', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const spec = await identitySpec(e);
    expect(await service.submit({ ...spec, format: 'roost.job/9' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-spec' },
    });
    expect(await service.submit(spec, { origin: 'market' })).toMatchObject({
      ok: false,
      error: { code: 'uri-not-allowed' },
    });
    expect(await service.submit({ ...spec, limits: { maxSeconds: 100_000 } })).toMatchObject({
      ok: false,
      error: { code: 'too-large' },
    });
    expect(await service.submit({ ...spec, limits: { maxModelBytes: 10 } })).toMatchObject({
      ok: false,
      error: { code: 'too-large' },
    });
    const mixed = {
      ...spec,
      inputs: [
        { x: (spec.inputs as Record<string, never>).x },
        { z: (spec.inputs as Record<string, never>).x },
      ],
    };
    expect(await service.submit(mixed)).toMatchObject({
      ok: false,
      error: { code: 'invalid-spec' },
    });
    expect(service.list()).toEqual([]);
  });

  it('refuses relative paths and names a missing file, in words', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    expect(await service.specFromFiles({ model: 'model.onnx', inputs: { x: '/x.npy' } })).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message:
          'Give the full path (e.g. /home/you/model.onnx), not "model.onnx": the agent does not know which folder you mean',
      },
    });
    const gone = join(e.root, 'gone.onnx');
    expect(await service.specFromFiles({ model: gone, inputs: { x: '/x.npy' } })).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: `The model: no file at ${gone}. Check the path; it must be on the computer Roost runs on`,
      },
    });
    // An input says which one; a folder is not a file.
    const model = join(e.root, 'm.onnx');
    await writeFile(model, 'x');
    expect(
      await service.specFromFiles({ model, inputs: [{ x: model }, { x: join(e.root, 'no.npy') }] }),
    ).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: `Input "x" of set 2: no file at ${join(e.root, 'no.npy')}. Check the path; it must be on the computer Roost runs on`,
      },
    });
    expect(await service.specFromFiles({ model: e.root, inputs: { x: model } })).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: `The model: ${e.root} is a folder; give the path of the file itself`,
      },
    });
    expect(await service.submit({ format: 'roost.job/1', model: 5 })).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: 'model must be an object with uri, sha256 and bytes (got 5); inputs is missing',
      },
    });
  });

  it('runs a private job from files on the GPU paths that work here, then the CPU, unless it names its own', async () => {
    const e = await env();
    const probeResults = [
      { ep: 'cuda', ok: false, status: 'failed', reason: 'no CUDA libraries' },
      { ep: 'tensorrt', ok: true, status: 'ok', adapter: { name: 'Test GPU', software: false } },
      { ep: 'webgpu', ok: true, status: 'ok', adapter: { name: 'Test GPU', software: false } },
      { ep: 'cpu', ok: true, status: 'ok', adapter: { name: 'Test CPU', software: false } },
    ];
    let disabled: 'webgpu'[] = [];
    const { service } = await e.start(writingWorker(), {
      probeResults,
      disabledProviders: () => disabled,
    });
    const model = fileURLToPath(
      (await e.file('identity.onnx', identityModel('float32', ['N']))).uri,
    );
    const x = fileURLToPath((await e.file('x.npy', float32Npy([1, 2]))).uri);
    const request = { model, inputs: { x } };
    // TensorRT only when asked by name (its engine build can take minutes).
    expect(await service.specFromFiles(request)).toMatchObject({
      ok: true,
      value: { executionProviders: ['webgpu', 'cpu'] },
    });
    expect(
      await service.specFromFiles({ ...request, executionProviders: ['tensorrt', 'cpu'] }),
    ).toMatchObject({ ok: true, value: { executionProviders: ['tensorrt', 'cpu'] } });
    disabled = ['webgpu'];
    expect(await service.specFromFiles(request)).toMatchObject({
      ok: true,
      value: { executionProviders: ['cpu'] },
    });
  });

  it('runs a private job on the CPU where the only GPU path is a software renderer', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker(), {
      probeResults: [
        {
          ep: 'webgpu',
          ok: false,
          status: 'software-adapter',
          adapter: { name: 'llvmpipe', software: true },
        },
        { ep: 'cpu', ok: true, status: 'ok', adapter: { name: 'Test CPU', software: false } },
      ],
    });
    const model = fileURLToPath(
      (await e.file('identity.onnx', identityModel('float32', ['N']))).uri,
    );
    const x = fileURLToPath((await e.file('x.npy', float32Npy([1, 2]))).uri);
    expect(await service.specFromFiles({ model, inputs: { x } })).toMatchObject({
      ok: true,
      value: { executionProviders: ['cpu'] },
    });
  });

  it('fails a bad model or a mismatched input without starting a worker', async () => {
    const e = await env();
    const { service, spawner } = await e.start(writingWorker());
    const broken = await service.submit({
      ...(await identitySpec(e)),
      model: await e.file('bad.onnx', new Uint8Array([1, 2, 3])),
    });
    const wrongDtype = await service.submit({
      ...(await identitySpec(e)),
      model: await e.file('int.onnx', identityModel('int32', ['N'])),
    });
    const wrongName = await service.submit({
      ...(await identitySpec(e)),
      inputs: { nope: await e.file('n.npy', float32Npy([1])) },
    });
    const wrongSize = await service.submit({
      ...(await identitySpec(e)),
      inputs: { x: await e.file('t.npy', float32Npy([1, 2]).subarray(0, 134)) },
    });
    const results = [];
    for (const s of [broken, wrongDtype, wrongName, wrongSize]) {
      if (!s.ok) throw new Error(s.error.message);
      results.push(await service.wait(s.value.id));
    }
    expect(results.map((r) => r.ok && r.value.error?.code)).toEqual([
      'model-invalid',
      'input-invalid',
      'input-invalid',
      'input-invalid',
    ]);
    expect(results[1]?.ok && results[1].value.error?.message).toMatch(
      /is float32, but the model wants int32: save it as int32 \(with numpy: np\.save\(file, a\.astype\("int32"\)\)\) and add the job again$/,
    );
    expect(spawner.workers).toHaveLength(0);
  });

  it('refuses an artifact whose bytes do not match its hash', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const spec = await identitySpec(e);
    const submitted = await service.submit({
      ...spec,
      model: { ...spec.model, sha256: 'f'.repeat(64) },
    });
    if (!submitted.ok) throw new Error('not submitted');
    expect(await service.wait(submitted.value.id)).toMatchObject({
      ok: true,
      value: { state: 'failed', error: { code: 'hash-mismatch' } },
    });
  });

  it('starts a new worker after a crash, and resumes from the last finished set', async () => {
    const e = await env();
    const { service, spawner } = await e.start([writingWorker({ failAtSet: 2 }), writingWorker()]);
    const submitted = await service.submit(await identitySpec(e, 4));
    if (!submitted.ok) throw new Error('not submitted');
    const done = await service.wait(submitted.value.id);
    expect(done).toMatchObject({ ok: true, value: { state: 'done', attempts: 2 } });
    const second = spawner.workers[1]?.received[0];
    expect(second?.type === 'run' && second.plan.startSet).toBe(2);
  });

  it('fails a job whose worker keeps crashing, with the reason', async () => {
    const e = await env();
    const { service, spawner } = await e.start(writingWorker({ failAtSet: 0 }), { maxAttempts: 2 });
    const submitted = await service.submit(await identitySpec(e));
    if (!submitted.ok) throw new Error('not submitted');
    const failed = await service.wait(submitted.value.id);
    expect(failed).toMatchObject({
      ok: true,
      value: { state: 'failed', attempts: 2, error: { code: 'worker-crashed' } },
    });
    if (failed.ok) expect(failed.value.error?.message).toMatch(/SIGSEGV.*after 2 attempts/);
    expect(spawner.workers).toHaveLength(2);
  });

  it('cancels a queued job and a running one (killing its worker)', async () => {
    const e = await env();
    const { service, spawner } = await e.start(writingWorker({ hangAtSet: 0 }), {
      autoStart: false,
    });
    const a = await service.submit(await identitySpec(e));
    if (!a.ok) throw new Error('not submitted');
    expect(await service.cancel(a.value.id)).toMatchObject({
      ok: true,
      value: { state: 'cancelled' },
    });
    expect(await service.cancel(a.value.id)).toMatchObject({
      ok: false,
      error: {
        code: 'bad-state',
        message: `Job ${a.value.id} is already cancelled: there is nothing to cancel.`,
      },
    });
    const b = await service.submit(await identitySpec(e));
    if (!b.ok) throw new Error('not submitted');
    service.start();
    await new Promise<void>((resolve) => {
      const off = service.subscribe((ev) => {
        if (ev.type === 'job.progress' && ev.payload.progress.stage === 'running') {
          off();
          resolve();
        }
      });
    });
    expect(await service.cancel(b.value.id)).toMatchObject({
      ok: true,
      value: { state: 'cancelled' },
    });
    expect(spawner.workers[0]?.killed).toBe(true);
    expect(service.activeWorkers()).toBe(0);
  });

  it('leaves out the providers turned off in Settings, read at each job', async () => {
    const e = await env();
    const probeResults = [
      {
        ep: 'webgpu',
        ok: true,
        status: 'ok',
        // As the probe names WebGPU's adapter where Mesa does not list it (an NVIDIA-only machine).
        adapter: { name: 'Test GPU', software: false, inferredFrom: 'vulkan-driver' as const },
      },
      { ep: 'cpu', ok: true, status: 'ok', adapter: { name: 'Test CPU', software: false } },
    ];
    let disabled: ('webgpu' | 'cpu')[] = ['webgpu'];
    const { service, spawner } = await e.start(writingWorker(), {
      probeResults,
      disabledProviders: () => disabled,
    });
    const spec = { ...(await identitySpec(e)), executionProviders: ['webgpu', 'cpu'] as const };
    const first = await service.submit({
      ...spec,
      executionProviders: [...spec.executionProviders],
    });
    if (!first.ok) throw new Error('not submitted');
    expect(await service.wait(first.value.id)).toMatchObject({
      ok: true,
      value: {
        executionProvider: 'cpu',
        fallbacks: [{ ep: 'webgpu', reason: 'turned off in Settings → Accelerators' }],
      },
    });
    const run = spawner.workers[0]?.received[0];
    expect(run?.type === 'run' && run.plan.executionProviders).toEqual(['cpu']);
    // Read at each job: turned back on, webgpu is offered first again.
    disabled = [];
    const second = await service.submit({
      ...spec,
      executionProviders: [...spec.executionProviders],
    });
    if (!second.ok) throw new Error('not submitted');
    const secondDone = await service.wait(second.value.id);
    const again = spawner.workers[1]?.received[0];
    expect(again?.type === 'run' && again.plan.executionProviders).toEqual(['webgpu', 'cpu']);
    // The signed receipt says the adapter was inferred, as the probe did.
    expect(secondDone.ok && secondDone.value.result?.receipt.adapter).toEqual({
      name: 'Test GPU (inferred from the installed Vulkan driver)',
      software: false,
    });
  });

  it('skips providers the probe found broken and records why', async () => {
    const e = await env();
    const probeResults = [
      { ep: 'webgpu', ok: false, status: 'failed', reason: 'no Vulkan driver' },
      { ep: 'cpu', ok: true, status: 'ok', adapter: { name: 'Test CPU', software: false } },
    ];
    const { service, spawner } = await e.start(writingWorker(), { probeResults });
    const submitted = await service.submit(await identitySpec(e));
    if (!submitted.ok) throw new Error('not submitted');
    const done = await service.wait(submitted.value.id);
    expect(done).toMatchObject({
      ok: true,
      value: {
        state: 'done',
        executionProvider: 'cpu',
        fallbacks: [{ ep: 'webgpu', reason: expect.stringMatching(/no Vulkan driver/) }],
      },
    });
    const run = spawner.workers[0]?.received[0];
    expect(run?.type === 'run' && run.plan.executionProviders).toEqual(['cpu']);
    if (done.ok)
      expect(done.value.result?.receipt.adapter).toEqual({ name: 'Test CPU', software: false });

    const none = await service.submit({
      ...(await identitySpec(e)),
      executionProviders: ['webgpu'],
    });
    if (!none.ok) throw new Error('not submitted');
    expect(await service.wait(none.value.id)).toMatchObject({
      ok: true,
      value: {
        state: 'failed',
        error: {
          code: 'no-execution-provider',
          message: expect.stringMatching(/can run here: WebGPU: .*no Vulkan driver/),
        },
      },
    });
  });

  it('removes files the worker was not asked to write, and refuses outputs it lied about', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker({ extraFile: 'evil.sh' }));
    const submitted = await service.submit(await identitySpec(e));
    if (!submitted.ok) throw new Error('not submitted');
    const done = await service.wait(submitted.value.id);
    expect(done).toMatchObject({ ok: true, value: { state: 'done' } });
    if (done.ok) expect(existsSync(join(done.value.jobDir, 'out', 'evil.sh'))).toBe(false);

    const liar: FakeWorkerScript = (w, m) => {
      if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v' });
      w.send({
        type: 'set-done',
        set: 0,
        runMs: 1,
        outputs: [
          { name: 'y', file: '../../../../etc/passwd', dtype: 'float32', shape: [1], bytes: 1 },
        ],
      });
    };
    const second = await e.start(liar);
    await services[0]?.close();
    const lied = await second.service.submit(await identitySpec(e));
    if (!lied.ok) throw new Error('not submitted');
    expect(await second.service.wait(lied.value.id)).toMatchObject({
      ok: true,
      value: { state: 'failed', error: { code: 'worker-protocol' } },
    });
  });

  it('recovers after a crash of the agent: resumes running jobs, fails the ones interrupted too often', async () => {
    const e = await env();
    const spec = await identitySpec(e, 2);
    // What a killed agent leaves behind: two jobs marked running in the journal.
    await mkdir(join(e.dataDir, 'jobs'), { recursive: true });
    const journal = openJournal(join(e.dataDir, 'jobs', 'jobs.sqlite'));
    for (const [id, attempts] of [
      ['job-resume', 1],
      ['job-tired', 3],
    ] as const) {
      journal.insert(
        { id, origin: 'private', spec, specSha256: 'a'.repeat(64), setsTotal: 2 },
        'submitted',
      );
      journal.transition(id, ['queued'], 'fetching', {}, 'fetching');
      journal.transition(id, ['fetching'], 'running', { attempts }, 'running');
    }
    journal.close();
    const { service } = await e.start(writingWorker());
    expect(service.recovered).toEqual({ resumed: ['job-resume'], failed: ['job-tired'] });
    expect(await service.wait('job-resume')).toMatchObject({
      ok: true,
      value: { state: 'done', attempts: 2 },
    });
    expect(service.show('job-tired')).toMatchObject({
      ok: true,
      value: { state: 'failed', error: { code: 'interrupted' } },
    });
  });

  it('puts a running job back in the queue when it closes, to resume at the next start', async () => {
    const e = await env();
    const first = await e.start(writingWorker({ hangAtSet: 1 }));
    const submitted = await first.service.submit(await identitySpec(e, 3));
    if (!submitted.ok) throw new Error('not submitted');
    await new Promise<void>((resolve) => {
      const off = first.service.subscribe((ev) => {
        if (ev.type === 'job.progress' && ev.payload.progress.setsDone === 1) {
          off();
          resolve();
        }
      });
    });
    await first.service.close();
    const second = await e.start(writingWorker());
    const done = await second.service.wait(submitted.value.id);
    expect(done).toMatchObject({ ok: true, value: { state: 'done', attempts: 1 } });
    const plan = second.spawner.workers[0]?.received[0];
    expect(plan?.type === 'run' && plan.plan.startSet).toBe(1);
  });

  it('runs a finished private job again as a new job, from the cache when its files have gone', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const spec = await identitySpec(e, 2, { name: 'twice' });
    const first = await service.submit(spec, { exportTo: join(e.root, 'out') });
    if (!first.ok) throw new Error(first.error.message);
    // Not while it is queued or running.
    const early = await service.runAgain(first.value.id);
    expect(early).toMatchObject({ ok: false, error: { code: 'bad-state' } });
    if (!early.ok)
      expect(early.error.message).toMatch(
        new RegExp(
          `^Job ${first.value.id} is still (queued|fetching|running); run it again once it has finished, or cancel it first\\.$`,
        ),
      );
    const done = await service.wait(first.value.id);
    expect(done).toMatchObject({ ok: true, value: { state: 'done' } });
    // The files it was made from are gone: the new job takes them from the cache by hash.
    await rm(join(e.root, 'files'), { recursive: true });
    const again = await service.runAgain(first.value.id);
    if (!again.ok) throw new Error(again.error.message);
    expect(again.value.id).not.toBe(first.value.id);
    expect(again.value).toMatchObject({ state: 'queued', name: 'twice', origin: 'private' });
    const second = await service.wait(again.value.id);
    expect(second).toMatchObject({
      ok: true,
      value: { state: 'done', exportedTo: join(e.root, 'out'), progress: { setsDone: 2 } },
    });
    if (second.ok && done.ok) {
      expect(second.value.result?.receipt.specSha256).toBe(done.value.result?.receipt.specSha256);
      expect(second.value.result?.receipt.outputs.map((o) => o.sha256)).toEqual(
        done.value.result?.receipt.outputs.map((o) => o.sha256),
      );
    }
    // The first job is as it was.
    expect(service.show(first.value.id)).toMatchObject({ ok: true, value: { state: 'done' } });
    expect(await service.runAgain('job-none')).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'No job job-none.' },
    });
  });

  it('takes a queued job moved to the front (Run next) before those queued earlier', async () => {
    const e = await env();
    const { service, events } = await e.start(writingWorker(), { autoStart: false });
    const ids: string[] = [];
    for (const name of ['first', 'second', 'urgent']) {
      const r = await service.submit(await identitySpec(e, 1, { name }));
      if (!r.ok) throw new Error(r.error.message);
      ids.push(r.value.id);
    }
    const [first, second, urgent] = ids as [string, string, string];
    const places = () =>
      service
        .list({ states: ['queued'] })
        .map((j) => [j.name, j.queuePlace])
        .reverse();
    expect(places()).toEqual([
      ['first', 1],
      ['second', 2],
      ['urgent', 3],
    ]);
    const moved = service.runNext(urgent);
    expect(moved).toMatchObject({ ok: true, value: { id: urgent, queuePlace: 1 } });
    // The page hears it: the job's summary with its new place.
    expect(events.at(-1)).toMatchObject({
      type: 'job.stateChanged',
      payload: { job: { id: urgent, queuePlace: 1 } },
    });
    expect(service.show(first)).toMatchObject({ ok: true, value: { queuePlace: 2 } });
    service.start();
    for (const id of ids) await service.wait(id);
    const startedAt = ids.map((id) => {
      const shown = service.show(id);
      return shown.ok ? Date.parse(shown.value.startedAt ?? '') : NaN;
    });
    // One at a time here: urgent, then first, then second.
    expect(startedAt[2]).toBeLessThanOrEqual(startedAt[0]!);
    expect(startedAt[0]).toBeLessThanOrEqual(startedAt[1]!);
    const starts = events
      .filter((ev) => ev.type === 'job.stateChanged' && ev.payload.job.state === 'fetching')
      .map((ev) => (ev.type === 'job.stateChanged' ? ev.payload.job.id : ''));
    expect(starts).toEqual([urgent, first, second]);
    // Only a queued job moves, said in words.
    expect(service.runNext(urgent)).toEqual({
      ok: false,
      error: {
        code: 'bad-state',
        message: `Job ${urgent} is done already; roost job rerun ${urgent} queues it again.`,
      },
    });
    expect(service.runNext('job-none')).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'No job job-none.' },
    });
    expect(second).toBeDefined();
  });

  it('cancels every queued private job at once, and leaves a market job its lease', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker(), { autoStart: false });
    const spec = await identitySpec(e, 1);
    // A market job's files come over http (never started here, so never fetched).
    const http = (a: { sha256: string; bytes: number }) => ({
      ...a,
      uri: `http://127.0.0.1:9/${a.sha256}`,
    });
    const marketSpec = {
      ...spec,
      model: http(spec.model),
      inputs: { x: http((spec.inputs as Record<string, JobSpec['model']>).x!) },
    };
    const ids: string[] = [];
    for (const origin of ['private', 'private', 'market'] as const) {
      const r = await service.submit(origin === 'market' ? marketSpec : spec, { origin });
      if (!r.ok) throw new Error(r.error.message);
      ids.push(r.value.id);
    }
    // A market job keeps its place: first, in the order claimed.
    expect(service.runNext(ids[2]!)).toEqual({
      ok: false,
      error: {
        code: 'bad-state',
        message: `Job ${ids[2]} is a market job: market jobs run first, in the order Roost claimed them, each before its lease's deadline.`,
      },
    });
    const cancelled = await service.cancelQueued();
    expect(cancelled.sort()).toEqual([ids[0], ids[1]].sort());
    expect(service.list({ states: ['queued'] }).map((j) => j.id)).toEqual([ids[2]]);
    expect(await service.cancelQueued()).toEqual([]);
  });

  it('runs no market job again: it ran for its lease', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const spec = await identitySpec(e, 1);
    const market = await service.submit(
      {
        ...spec,
        // A market job's files come over http(s); nothing answers here, so it fails at fetch.
        model: { ...spec.model, uri: 'http://127.0.0.1:9/m.onnx' },
        inputs: {
          x: { ...(spec.inputs as Record<string, Artifact>).x!, uri: 'http://127.0.0.1:9/x.npy' },
        },
      },
      { origin: 'market' },
    );
    if (!market.ok) throw new Error(market.error.message);
    await service.wait(market.value.id);
    expect(await service.runAgain(market.value.id)).toEqual({
      ok: false,
      error: {
        code: 'bad-state',
        message: `Job ${market.value.id} came from the market and ran for its lease; only a private job can be run again.`,
      },
    });
  });

  it('runs local files now and copies the outputs where asked (roost job run)', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const model = await e.file('m.onnx', mlpModel());
    const x = await e.file(
      'x.npy',
      float32Npy(
        Array.from({ length: 64 }, (_, i) => i / 64),
        [1, 64],
      ),
    );
    const seen: string[] = [];
    const ran = await service.run(
      {
        model: fileURLToPath(model.uri),
        inputs: { x: fileURLToPath(x.uri) },
        outDir: join(e.root, 'results'),
        executionProviders: ['cpu'],
      },
      { onProgress: (p) => seen.push(p.stage) },
    );
    expect(ran).toMatchObject({
      ok: true,
      value: { state: 'done', exportedTo: join(e.root, 'results') },
    });
    expect(existsSync(join(e.root, 'results', 'probs.npy'))).toBe(true);
    expect(existsSync(join(e.root, 'results', 'logits.npy'))).toBe(true);
    expect(
      verifyReceipt(JSON.parse(readFileSync(join(e.root, 'results', 'result.json'), 'utf8'))).ok,
    ).toBe(true);
    expect(seen).toContain('running');
    expect(seen.at(-1)).toBe('done');
    expect(
      await service.run({ model: join(e.root, 'nope.onnx'), inputs: { x: 'x.npy' } }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid-spec' },
    });
  });

  it('answers list, show and cancel of unknown jobs as data', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    expect(service.show('job-nope')).toMatchObject({
      ok: false,
      error: { code: 'not-found', message: 'No job job-nope.' },
    });
    expect(await service.cancel('job-nope')).toMatchObject({
      ok: false,
      error: { code: 'not-found', message: 'No job job-nope.' },
    });
    expect(service.list()).toEqual([]);
    await service.close();
    expect(await service.submit({})).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });
});

describe('output file names', () => {
  it('are safe and unique', () => {
    expect(outputFileNames(['y', '/model/out:0', '../x', 'Y', 'y', ''])).toEqual([
      'y.npy',
      '_model_out_0.npy',
      '__x.npy',
      'Y_1.npy',
      'y_2.npy',
      'output_5.npy',
    ]);
  });
});

describe('removing finished jobs', () => {
  /** Runs a job of one input set to its end; its id. */
  async function finishedJob(service: JobService, e: Env, name?: string): Promise<string> {
    const submitted = await service.submit(await identitySpec(e, 1, name ? { name } : {}));
    if (!submitted.ok) throw new Error(submitted.error.message);
    const done = await service.wait(submitted.value.id);
    if (!done.ok || done.value.state !== 'done') throw new Error('the job did not finish');
    return submitted.value.id;
  }

  /** What deleting a folder gives back, counted by hand: files with no other name. */
  async function soleFiles(dir: string): Promise<{ bytes: number; linked: string[] }> {
    let bytes = 0;
    const linked: string[] = [];
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const info = await lstat(path);
      if (info.nlink > 1) linked.push(path.slice(dir.length + 1));
      else bytes += info.size;
    }
    return { bytes, linked };
  }

  function running(service: JobService, id: () => string | undefined): Promise<void> {
    return new Promise((resolve) => {
      const off = service.subscribe((ev) => {
        if (
          ev.type === 'job.stateChanged' &&
          ev.payload.job.id === id() &&
          ev.payload.job.state === 'running'
        ) {
          off();
          resolve();
        }
      });
    });
  }

  it('removes the folder and the journal rows, says the space freed, and tells the pages', async () => {
    const e = await env();
    const lines: string[] = [];
    const log = (level: string) => (m: string) => lines.push(`${level} ${m}`);
    const { service, events } = await e.start(writingWorker(), {
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    });
    const id = await finishedJob(service, e, 'resnet batch');
    const kept = await finishedJob(service, e);
    const dir = join(e.dataDir, 'jobs', id);
    const { bytes, linked } = await soleFiles(dir);
    // The inputs are hard links to the download cache: removing the job does not free them.
    expect(linked.length).toBeGreaterThan(0);
    expect(linked.every((p) => p.startsWith('in'))).toBe(true);
    expect(bytes).toBeGreaterThan(0);

    const removed = await service.remove({ ids: [id] });
    expect(removed).toEqual({ ok: true, value: { removed: [id], bytesFreed: bytes } });
    expect(existsSync(dir)).toBe(false);
    expect(service.show(id)).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(service.list().map((j) => j.id)).toEqual([kept]);
    const journal = openJournal(join(e.dataDir, 'jobs', 'jobs.sqlite'));
    expect(journal.history(id)).toEqual([]);
    expect(journal.setOutputs(id)).toEqual([]);
    journal.close();
    // The other job, the cache and the journal are all still there.
    expect(existsSync(join(e.dataDir, 'jobs', kept, 'result.json'))).toBe(true);
    expect((await readdir(join(e.dataDir, 'jobs', 'cache'))).length).toBeGreaterThan(0);
    expect(events.filter((ev) => ev.type === 'job.removed')).toEqual([
      { type: 'job.removed', payload: { ids: [id], bytesFreed: bytes } },
    ]);
    expect(lines.filter((l) => l.includes('removed'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^info removed finished job resnet batch \\(${id}\\), freed \\d+(\\.\\d)? (bytes|KB)$`,
        ),
      ),
    ]);
  });

  it('refuses a job that is not finished, and then removes nothing of the others', async () => {
    const e = await env();
    const { service, events } = await e.start([writingWorker(), writingWorker({ hangAtSet: 0 })]);
    const done = await finishedJob(service, e);
    // The job's id is known once submit answers; its first events may come before.
    const submitted: { id?: string } = {};
    const started = running(service, () => submitted.id);
    const busy = await service.submit(await identitySpec(e, 1, { name: 'long run' }));
    if (!busy.ok) throw new Error(busy.error.message);
    const busyId = (submitted.id = busy.value.id);
    await started;

    const refused = await service.remove({ ids: [done, busyId] });
    expect(refused).toEqual({
      ok: false,
      error: {
        code: 'bad-state',
        message: `Job long run (${busyId}) is running: cancel it first, then remove it. Nothing was removed.`,
      },
    });
    expect(existsSync(join(e.dataDir, 'jobs', done, 'result.json'))).toBe(true);
    expect(service.show(done).ok).toBe(true);
    expect(service.show(busyId)).toMatchObject({ ok: true, value: { state: 'running' } });
    expect(events.some((ev) => ev.type === 'job.removed')).toBe(false);

    // Cancelled, it is finished: both go.
    await service.cancel(busyId);
    const both = await service.remove({ ids: [done, busyId] });
    expect(both).toMatchObject({ ok: true, value: { removed: [done, busyId] } });
    expect(existsSync(join(e.dataDir, 'jobs', busyId))).toBe(false);
  });

  it('refuses an unknown id, and an id that is a path, removing nothing', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const done = await finishedJob(service, e);
    expect(await service.remove({ ids: [done, 'job-nosuch-00000000'] })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'No job job-nosuch-00000000. Nothing was removed.' },
    });
    // A file beside the data folder that a crafted id would reach.
    await writeFile(join(e.root, 'keep.txt'), 'mine');
    for (const id of ['../../keep.txt', '..', 'cache', 'jobs.sqlite', `${done}/out`]) {
      const r = await service.remove({ ids: [done, id] });
      expect(r, id).toMatchObject({ ok: false, error: { code: 'not-found' } });
      if (!r.ok) expect(r.error.message).toMatch(/job ids look like job-.*Nothing was removed\.$/);
    }
    expect(readFileSync(join(e.root, 'keep.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(e.dataDir, 'jobs', 'cache'))).toBe(true);
    expect(existsSync(join(e.dataDir, 'jobs', done, 'result.json'))).toBe(true);
    expect(await service.remove({ ids: [] })).toMatchObject({
      ok: false,
      error: { code: 'invalid-spec', message: 'ids must not be empty.' },
    });
    expect(
      await service.remove({ ids: [done], finishedBefore: '2026-01-01T00:00:00Z' }),
    ).toMatchObject({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: expect.stringContaining('ids or finishedBefore: one of them'),
      },
    });
    expect(existsSync(join(e.dataDir, 'jobs', done))).toBe(true);
  });

  it('never follows a symlink out of the jobs folder, nor touches a row whose id is a path', async () => {
    const e = await env();
    const outside = join(e.root, 'precious');
    await mkdir(outside);
    await writeFile(join(outside, 'thesis.txt'), 'years of work');
    const { service } = await e.start(writingWorker());
    const linkedOut = await finishedJob(service, e);
    const replaced = await finishedJob(service, e);
    // A link inside a job's folder, and a job folder that is itself a link.
    await symlink(outside, join(e.dataDir, 'jobs', linkedOut, 'out', 'link'));
    await rm(join(e.dataDir, 'jobs', replaced), { recursive: true });
    await symlink(outside, join(e.dataDir, 'jobs', replaced));
    const r = await service.remove({ ids: [linkedOut, replaced] });
    expect(r).toMatchObject({ ok: true, value: { removed: [linkedOut, replaced] } });
    expect(readFileSync(join(outside, 'thesis.txt'), 'utf8')).toBe('years of work');
    expect(existsSync(join(e.dataDir, 'jobs', replaced))).toBe(false);
    await service.close();

    // A journal row no Roost would write, naming a folder outside jobs/: left alone by id and
    // by date.
    const journal = openJournal(join(e.dataDir, 'jobs', 'jobs.sqlite'));
    const spec = await identitySpec(e);
    journal.insert(
      { id: '../precious', origin: 'private', spec, specSha256: 'a'.repeat(64), setsTotal: 1 },
      'crafted',
    );
    journal.transition('../precious', ['queued'], 'cancelled', {}, 'cancelled');
    journal.close();
    const again = await e.start(writingWorker());
    expect(await again.service.remove({ ids: ['../precious'] })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(
      await again.service.remove({ finishedBefore: new Date(Date.now() + 60_000).toISOString() }),
    ).toEqual({ ok: true, value: { removed: [], bytesFreed: 0 } });
    expect(readFileSync(join(outside, 'thesis.txt'), 'utf8')).toBe('years of work');
  });

  /** A market job that finished (failed: its artifacts cannot be fetched), named "market job n". */
  async function finishedMarketJob(service: JobService, e: Env, n: number): Promise<string> {
    const spec = await identitySpec(e);
    const http = (a: { sha256: string; bytes: number }) => ({
      ...a,
      uri: `http://127.0.0.1:9/${a.sha256}`,
    });
    const market = await service.submit(
      {
        ...spec,
        model: http(spec.model),
        inputs: { x: http((spec.inputs as Record<string, JobSpec['model']>).x!) },
      },
      { origin: 'market', name: `market job ${n}` },
    );
    if (!market.ok) throw new Error(market.error.message);
    expect(await service.wait(market.value.id)).toMatchObject({
      ok: true,
      value: { state: 'failed' },
    });
    return market.value.id;
  }
  const unfetchable = {
    fetch: async () => new Response('gone', { status: 404 }),
    fetchAttempts: 1,
  };

  it('keeps market jobs when nothing says their lease is done with them', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker(), unfetchable);
    const market = await finishedMarketJob(service, e, 7);
    const mine = await finishedJob(service, e);
    expect(service.list().map((j) => [j.id, j.removable])).toEqual([
      [mine, true],
      [market, false],
    ]);
    expect(await service.remove({ ids: [mine, market] })).toEqual({
      ok: false,
      error: {
        code: 'market-job-kept',
        message: `Market job 7 (${market}) is a market job, and Roost keeps it with its lease, which may still need its result. Nothing was removed.`,
      },
    });
    expect(service.show(mine).ok).toBe(true);
    const swept = await service.remove({
      finishedBefore: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(swept).toMatchObject({ ok: true, value: { removed: [mine] } });
    expect(service.show(market)).toMatchObject({ ok: true, value: { state: 'failed' } });
    expect(existsSync(join(e.dataDir, 'jobs', market))).toBe(true);
  });

  it('removes a market job once its lease is done with it, and says when the others can go', async () => {
    const e = await env();
    /** What the market says of each local job: its lease is done with it, or why not. */
    const leases = new Map<string, MarketJobRemoval>();
    const asked: string[] = [];
    const { service, events } = await e.start(writingWorker(), {
      ...unfetchable,
      canRemoveMarketJob: (id) => {
        asked.push(id);
        return leases.get(id) ?? { ok: true };
      },
    });
    const paid = await finishedMarketJob(service, e, 7);
    const live = await finishedMarketJob(service, e, 8);
    const broken = await finishedMarketJob(service, e, 9);
    const mine = await finishedJob(service, e);
    const stillRunning = {
      ok: false as const,
      reason: 'its lease is still running: it can be removed once it is paid or has ended',
    };
    leases.set(live, stillRunning);
    leases.set(broken, { ok: false, reason: 'its lease could not be read' });
    // The list says which ones Remove takes; a private job is not asked about.
    expect(service.list().map((j) => [j.id, j.removable])).toEqual([
      [mine, true],
      [broken, false],
      [live, false],
      [paid, true],
    ]);
    expect(asked).not.toContain(mine);

    // By id: one whose lease still runs refuses the whole call, saying when it can go.
    expect(await service.remove({ ids: [paid, live] })).toEqual({
      ok: false,
      error: {
        code: 'market-job-kept',
        message: `Market job 8 (${live}) is a market job, and its lease is still running: it can be removed once it is paid or has ended. Nothing was removed.`,
      },
    });
    expect(existsSync(join(e.dataDir, 'jobs', paid))).toBe(true);
    const one = await service.remove({ ids: [paid] });
    expect(one).toMatchObject({ ok: true, value: { removed: [paid] } });
    expect(existsSync(join(e.dataDir, 'jobs', paid))).toBe(false);
    expect(service.show(paid)).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(events.filter((ev) => ev.type === 'job.removed').at(-1)).toMatchObject({
      payload: { ids: [paid] },
    });

    // A check that throws keeps the job, saying why.
    leases.delete(broken);
    await service.close();
    const throwing = await e.start(writingWorker(), {
      canRemoveMarketJob: () => {
        throw new Error('database is locked');
      },
    });
    expect(await throwing.service.remove({ ids: [broken] })).toMatchObject({
      ok: false,
      error: {
        code: 'market-job-kept',
        message: `Market job 9 (${broken}) is a market job, and its lease could not be read (database is locked). Nothing was removed.`,
      },
    });
    expect(throwing.service.list().find((j) => j.id === broken)?.removable).toBe(false);
    await throwing.service.close();

    // By date: the market jobs whose lease is done go with the private ones; the others stay.
    leases.set(live, stillRunning);
    const again = await e.start(writingWorker(), {
      canRemoveMarketJob: (id) => leases.get(id) ?? { ok: true },
    });
    const swept = await again.service.remove({
      finishedBefore: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(swept).toMatchObject({ ok: true });
    if (swept.ok) expect([...swept.value.removed].sort()).toEqual([broken, mine].sort());
    expect(again.service.list().map((j) => j.id)).toEqual([live]);
    expect(existsSync(join(e.dataDir, 'jobs', live))).toBe(true);
  });

  it('removes the jobs that finished before a time, and says when there are none', async () => {
    const e = await env();
    let clock = Date.UTC(2026, 0, 1);
    const { service, events } = await e.start(writingWorker(), { now: () => new Date(clock) });
    const old = await finishedJob(service, e);
    clock = Date.UTC(2026, 2, 1);
    const recent = await finishedJob(service, e);
    const r = await service.remove({ finishedBefore: '2026-02-01T00:00:00+01:00' });
    expect(r).toMatchObject({ ok: true, value: { removed: [old] } });
    expect(service.list().map((j) => j.id)).toEqual([recent]);
    expect(await service.remove({ finishedBefore: '2026-02-01T00:00:00Z' })).toEqual({
      ok: true,
      value: { removed: [], bytesFreed: 0 },
    });
    expect(events.filter((ev) => ev.type === 'job.removed')).toHaveLength(1);
  });

  it('finishes a removal the agent was killed in, and lives with a folder no row names', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const id = await finishedJob(service, e);
    // Killed after the folder went and before the row did: the job is still listed.
    await rm(join(e.dataDir, 'jobs', id), { recursive: true });
    expect(service.list().map((j) => j.id)).toEqual([id]);
    expect(service.show(id)).toMatchObject({ ok: true, value: { state: 'done' } });
    expect(await service.remove({ ids: [id] })).toEqual({
      ok: true,
      value: { removed: [id], bytesFreed: 0 },
    });
    // A folder without a row (copied in by hand, or left by an older Roost) breaks nothing.
    await mkdir(join(e.dataDir, 'jobs', 'job-orphan-1', 'out'), { recursive: true });
    expect(service.list()).toEqual([]);
    expect(await service.remove({ ids: ['job-orphan-1'] })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(existsSync(join(e.dataDir, 'jobs', 'job-orphan-1'))).toBe(true);
    const next = await finishedJob(service, e);
    expect(service.list().map((j) => j.id)).toEqual([next]);
  });
});

/** Workers that start their run only when the test says so. */
function gatedWorkers() {
  const held: (() => void)[] = [];
  const script: FakeWorkerScript = (w, m) => {
    if (m !== 'start' && m.type === 'run') {
      held.push(() => void writingWorker()(w, m));
      return;
    }
    return writingWorker()(w, m);
  };
  return { script, held };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('jobs on a machine with two GPUs', () => {
  const GPU1 = 'pci-0000:01:00.0';
  const GPU2 = 'pci-0000:02:00.0';
  const labels: Record<string, string> = { [GPU1]: 'RTX 3070 #1', [GPU2]: 'RTX 3070 #2' };
  const probeResults = [
    {
      ep: 'cuda',
      ok: true,
      status: 'ok',
      deviceIndex: 0,
      adapter: { name: 'GeForce RTX 3070 (bus 01)', software: false, gpuId: GPU1 },
    },
    {
      ep: 'cuda',
      ok: true,
      status: 'ok',
      deviceIndex: 1,
      adapter: { name: 'GeForce RTX 3070 (bus 02)', software: false, gpuId: GPU2 },
    },
    { ep: 'cpu', ok: true, status: 'ok', adapter: { name: 'Test CPU', software: false } },
  ];

  const planOf = (spawner: ReturnType<typeof fakeSpawner>, i: number) => {
    const run = spawner.workers[i]?.received[0];
    return run?.type === 'run' ? run.plan : undefined;
  };

  it('runs one job on each GPU at once, and the next when one is free', async () => {
    const e = await env();
    const gated = gatedWorkers();
    const { service, spawner } = await e.start(gated.script, {
      probeResults,
      gpuName: (id) => labels[id],
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const submitted = await service.submit(
        await identitySpec(e, 1, { executionProviders: ['cuda', 'cpu'] }),
      );
      if (!submitted.ok) throw new Error('not submitted');
      ids.push(submitted.value.id);
    }
    await until('two workers', () => gated.held.length === 2);
    const plans = [planOf(spawner, 0), planOf(spawner, 1)];
    expect(
      plans.map((p) => p?.deviceIndexes).sort((a, b) => (a?.cuda ?? 0) - (b?.cuda ?? 0)),
    ).toEqual([{ cuda: 0 }, { cuda: 1 }]);
    expect(plans[0]?.executionProviders).toEqual(['cuda', 'cpu']);
    const stageOf = (id: string) => service.list().find((j) => j.id === id)?.progress;
    await until('one job to wait', () => ids.some((id) => stageOf(id)?.stage === 'waiting'));
    // The third job waits for a GPU; it does not drain onto the CPU.
    const waiting = ids.find((id) => stageOf(id)?.stage === 'waiting') as string;
    expect(stageOf(waiting)).toMatchObject({
      stage: 'waiting',
      message: 'waiting for a free GPU: all 2 that run CUDA are busy',
    });
    const onFirst = plans.findIndex((p) => p?.deviceIndexes?.cuda === 0);
    const onSecond = 1 - onFirst;
    const firstJob = plans[onFirst]?.jobId as string;
    const secondJob = plans[onSecond]?.jobId as string;
    expect(service.list().find((j) => j.id === secondJob)?.device).toEqual({
      id: GPU2,
      name: 'RTX 3070 #2',
    });
    // The first GPU frees up: the waiting job takes it.
    gated.held[onFirst]?.();
    expect(await service.wait(firstJob)).toMatchObject({ ok: true, value: { state: 'done' } });
    await until('a third worker', () => gated.held.length === 3);
    expect(planOf(spawner, 2)).toMatchObject({ jobId: waiting, deviceIndexes: { cuda: 0 } });
    gated.held[onSecond]?.();
    gated.held[2]?.();
    const done = await service.wait(secondJob);
    expect(done).toMatchObject({
      ok: true,
      value: { state: 'done', device: { id: GPU2, name: 'RTX 3070 #2' } },
    });
    // The receipt names the card it ran on, not the first card that does CUDA.
    expect(done.ok && done.value.result?.receipt.adapter).toEqual({
      name: 'GeForce RTX 3070 (bus 02)',
      software: false,
    });
    expect(done.ok && done.value.history.map((h) => h.message)).toContain(
      'running on CUDA or CPU on RTX 3070 #2',
    );
    expect(await service.wait(waiting)).toMatchObject({
      ok: true,
      value: { state: 'done', device: { id: GPU1 } },
    });
  });

  it('keeps a job on the GPU it asked for, and refuses a GPU that is not here', async () => {
    const e = await env();
    const gated = gatedWorkers();
    const { service, spawner } = await e.start(gated.script, {
      probeResults,
      gpuName: (id) => labels[id],
    });
    const spec = await identitySpec(e, 1, { executionProviders: ['cuda', 'cpu'] });
    // As `roost detect` shows the card: by its bus address.
    const pinned = await service.submit(spec, { device: '0000:02:00.0' });
    expect(pinned).toMatchObject({
      ok: true,
      value: { deviceWanted: { id: GPU2, name: 'RTX 3070 #2' } },
    });
    await until('the pinned job to start', () => gated.held.length === 1);
    expect(planOf(spawner, 0)?.deviceIndexes).toEqual({ cuda: 1 });
    const again = await service.submit(
      await identitySpec(e, 1, { executionProviders: ['cuda', 'cpu'] }),
      { device: GPU2 },
    );
    if (!again.ok) throw new Error('not submitted');
    await until(
      'it to wait',
      () => service.list().find((j) => j.id === again.value.id)?.progress.stage === 'waiting',
    );
    // GPU #1 is free, but the job asked for #2: it waits for #2.
    expect(service.list().find((j) => j.id === again.value.id)?.progress.message).toBe(
      'waiting for RTX 3070 #2, busy with another job',
    );
    const nowhere = await service.submit(spec, { device: 'pci-0000:09:00.0' });
    expect(nowhere).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: `There is no device "pci-0000:09:00.0" here that can run jobs: give one of ${GPU1}, ${GPU2}, cpu (roost detect shows which accelerators work on each GPU; roost work status lists the ids).`,
      },
    });
    expect(service.list()).toHaveLength(2);
    gated.held[0]?.();
    await until('the second pinned job to start', () => gated.held.length === 2);
    expect(planOf(spawner, 1)?.deviceIndexes).toEqual({ cuda: 1 });
    gated.held[1]?.();
    expect(await service.wait(again.value.id)).toMatchObject({
      ok: true,
      value: { state: 'done' },
    });
  });

  it('cancels a job while it waits for a GPU, and keeps market jobs off a paused GPU', async () => {
    const e = await env();
    const gated = gatedWorkers();
    let paused = GPU1;
    // Market jobs come by http: these answer from the files the spec was made of.
    const files = new Map<string, string>();
    const served = (a: JobSpec['model']) => {
      files.set(a.sha256, fileURLToPath(a.uri));
      return { ...a, uri: `http://127.0.0.1:9/${a.sha256}` };
    };
    const { service, spawner } = await e.start(gated.script, {
      fetch: async (url) =>
        new Response(readFileSync(files.get(String(url).split('/').at(-1) as string) as string)),
      probeResults,
      gpuName: (id) => labels[id],
      avoidDevice: (device, origin) => origin === 'market' && device.id === paused,
    });
    const local = await identitySpec(e, 1, { executionProviders: ['cuda', 'cpu'] });
    const market = await service.submit(
      {
        ...local,
        model: served(local.model),
        inputs: { x: served((local.inputs as Record<string, JobSpec['model']>).x!) },
      },
      { origin: 'market', name: 'market job 1' },
    );
    if (!market.ok) throw new Error('not submitted');
    await until('the market job to start', () => gated.held.length === 1);
    // GPU #1 is paused for market work: the market job went to #2.
    expect(planOf(spawner, 0)?.deviceIndexes).toEqual({ cuda: 1 });
    // So the market holds one lease of a CUDA job (GPU #2), a private job may use both.
    expect(await service.places(['cuda', 'cpu'], 'market')).toBe(1);
    expect(await service.places(['cuda', 'cpu'], 'private')).toBe(2);
    const filler = await service.submit(await identitySpec(e, 1, { executionProviders: ['cuda'] }));
    if (!filler.ok) throw new Error('not submitted');
    await until('the private job to start', () => gated.held.length === 2);
    expect(planOf(spawner, 1)?.deviceIndexes).toEqual({ cuda: 0 });
    const waiting = await service.submit(
      await identitySpec(e, 1, { executionProviders: ['cuda'] }),
    );
    if (!waiting.ok) throw new Error('not submitted');
    await until(
      'it to wait',
      () => service.list().find((j) => j.id === waiting.value.id)?.progress.stage === 'waiting',
    );
    expect(await service.cancel(waiting.value.id)).toMatchObject({ ok: true });
    expect(await service.wait(waiting.value.id)).toMatchObject({
      ok: true,
      value: { state: 'cancelled', error: { code: 'cancelled' } },
    });
    paused = '';
    for (const release of gated.held) release();
    expect(await service.wait(market.value.id)).toMatchObject({
      ok: true,
      value: { state: 'done' },
    });
    expect(await service.wait(filler.value.id)).toMatchObject({
      ok: true,
      value: { state: 'done' },
    });
    // The cancelled job never got a worker.
    expect(spawner.workers).toHaveLength(2);
  });
});

describe('a folder of inputs', () => {
  /** `<root>/<folder>/<name>.npy` for each name, and the model. */
  async function folders(e: Env, layout: Record<string, string[]>) {
    const model = join(e.root, 'identity.onnx');
    await writeFile(model, identityModel('float32', ['N']));
    for (const [folder, names] of Object.entries(layout)) {
      await mkdir(join(e.root, folder), { recursive: true });
      for (const [i, name] of names.entries())
        await writeFile(join(e.root, folder, name), float32Npy([i, i + 1]));
    }
    return model;
  }

  it('is a batch: one input set per .npy file, in name order, paired by name across folders', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const model = await folders(e, {
      xs: ['img10.npy', 'img2.npy', 'img1.npy', 'notes.txt', '.hidden.npy'],
      masks: ['img1.npy', 'img2.npy', 'img10.npy'],
    });
    const lut = join(e.root, 'lut.npy');
    await writeFile(lut, float32Npy([7]));
    const spec = await service.specFromFiles({
      model,
      inputs: { x: join(e.root, 'xs'), mask: join(e.root, 'masks') + '/', lut },
    });
    if (!spec.ok) throw new Error(spec.error.message);
    const sets = spec.value.inputs as Record<string, { uri: string }>[];
    const path = (uri: string) => fileURLToPath(uri).slice(e.root.length + 1);
    // img2 before img10; the text file and the hidden file are not inputs; the one file goes
    // into every set.
    expect(sets.map((s) => [path(s.x!.uri), path(s.mask!.uri), path(s.lut!.uri)])).toEqual([
      ['xs/img1.npy', 'masks/img1.npy', 'lut.npy'],
      ['xs/img2.npy', 'masks/img2.npy', 'lut.npy'],
      ['xs/img10.npy', 'masks/img10.npy', 'lut.npy'],
    ]);
  });

  it('says which file a folder lacks, and refuses an empty folder or a folder beside other sets', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const model = await folders(e, {
      xs: ['a.npy', 'b.npy'],
      masks: ['a.npy'],
      empty: ['readme.txt'],
    });
    expect(
      await service.specFromFiles({
        model,
        inputs: { x: join(e.root, 'xs'), mask: join(e.root, 'masks') },
      }),
    ).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: `Input "mask": its folder ${join(e.root, 'masks')} has no b.npy, which the folder of input "x" has. Folders given together are paired by file name (one input set per name): give each the same files.`,
      },
    });
    expect(await service.specFromFiles({ model, inputs: { x: join(e.root, 'empty') } })).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: `Input "x": the folder ${join(e.root, 'empty')} holds no .npy files.`,
      },
    });
    const batch = await service.specFromFiles({
      model,
      inputs: [{ x: join(e.root, 'xs', 'a.npy') }, { x: join(e.root, 'xs') }],
    });
    expect(batch).toMatchObject({
      ok: false,
      error: {
        message: expect.stringMatching(/^Input "x": .* is a folder\. A folder is a whole batch/),
      },
    });
  });

  it('runs as a batch, and the copied outputs come with sets.csv naming each set’s inputs', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const model = await folders(e, { 'my inputs': ['b.npy', 'a,1.npy'] });
    const out = join(e.root, 'results');
    const ran = await service.run({
      model,
      inputs: { x: join(e.root, 'my inputs') },
      outDir: out,
      executionProviders: ['cpu'],
    });
    expect(ran).toMatchObject({ ok: true, value: { state: 'done', progress: { setsTotal: 2 } } });
    expect(existsSync(join(out, '0', 'y.npy'))).toBe(true);
    expect(existsSync(join(out, '1', 'y.npy'))).toBe(true);
    expect(readFileSync(join(out, 'sets.csv'), 'utf8')).toBe(
      `set,x\r\n0,"${join(e.root, 'my inputs', 'a,1.npy')}"\r\n1,${join(e.root, 'my inputs', 'b.npy')}\r\n`,
    );
  });
});

describe('a batch split into jobs', () => {
  it('runs as parts at once, one per GPU, their outputs numbered as one batch', async () => {
    const e = await env();
    const gated = gatedWorkers();
    const { service, spawner } = await e.start(gated.script, {
      probeResults: [
        {
          ep: 'cuda',
          ok: true,
          status: 'ok',
          deviceIndex: 0,
          adapter: { name: 'A', software: false, gpuId: 'pci-a' },
        },
        {
          ep: 'cuda',
          ok: true,
          status: 'ok',
          deviceIndex: 1,
          adapter: { name: 'B', software: false, gpuId: 'pci-b' },
        },
        { ep: 'cpu', ok: true, status: 'ok' },
      ],
    });
    const model = join(e.root, 'identity.onnx');
    await writeFile(model, identityModel('float32', ['N']));
    await mkdir(join(e.root, 'xs'));
    for (let i = 0; i < 5; i++) await writeFile(join(e.root, 'xs', `x${i}.npy`), float32Npy([i]));
    const out = join(e.root, 'results');
    const running = service.run({
      model,
      inputs: { x: join(e.root, 'xs') },
      outDir: out,
      executionProviders: ['cuda', 'cpu'],
      name: 'scan',
      split: 2,
    });
    // Both parts run at once, each on a GPU of its own, before either finishes.
    await until('both parts to run', () => gated.held.length === 2);
    for (const release of gated.held) release();
    const ran = await running;
    if (!ran.ok) throw new Error(ran.error.message);
    expect(ran.value.parts?.map((p) => [p.name, p.state, p.progress.setsTotal])).toEqual([
      ['scan (part 1 of 2)', 'done', 3],
      ['scan (part 2 of 2)', 'done', 2],
    ]);
    // Both parts had a GPU of their own.
    expect(ran.value.parts?.map((p) => p.device?.id).sort()).toEqual(['pci-a', 'pci-b']);
    expect(
      spawner.workers
        .map((w) => (w.received[0]?.type === 'run' ? w.received[0].plan.deviceIndexes?.cuda : -1))
        .sort(),
    ).toEqual([0, 1]);
    // Set folders 0 to 4 in one folder, each part's signed result, and one sets.csv.
    for (let set = 0; set < 5; set++)
      expect(existsSync(join(out, String(set), 'y.npy'))).toBe(true);
    expect(existsSync(join(out, 'result-sets-0-2.json'))).toBe(true);
    expect(existsSync(join(out, 'result-sets-3-4.json'))).toBe(true);
    expect(readFileSync(join(out, 'sets.csv'), 'utf8').split('\r\n').slice(0, 6)).toEqual([
      'set,x',
      ...[0, 1, 2, 3, 4].map((i) => `${i},${join(e.root, 'xs', `x${i}.npy`)}`),
    ]);
    // The part that ran sets 3 and 4 wrote its own set 1 as set 4 of the batch.
    const part2 = ran.value.parts?.[1];
    expect(readFileSync(join(out, '4', 'y.npy'))).toEqual(
      readFileSync(join(part2!.jobDir, 'out', '1', 'y.npy')),
    );
  });

  it('refuses a split batch whose output folder cannot be written, leaving nothing queued', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const model = join(e.root, 'identity.onnx');
    await writeFile(model, identityModel('float32', ['N']));
    await mkdir(join(e.root, 'xs'));
    for (let i = 0; i < 4; i++) await writeFile(join(e.root, 'xs', `x${i}.npy`), float32Npy([i]));
    // A file where the output folder should be.
    const out = join(e.root, 'taken');
    await writeFile(out, 'not a folder');
    const added = await service.add({
      model,
      inputs: { x: join(e.root, 'xs') },
      outDir: out,
      split: 2,
    });
    expect(added.ok).toBe(false);
    if (added.ok) return;
    expect(added.error.code).toBe('io-error');
    expect(added.error.message).toMatch(
      new RegExp(`^the output folder ${out} could not be written: .*; nothing was queued$`),
    );
    // The parts queued before the folder was found wanting are gone again.
    expect(service.list()).toEqual([]);
    expect(readFileSync(out, 'utf8')).toBe('not a folder');
  });

  it('refuses to split one input set, queueing nothing', async () => {
    const e = await env();
    const { service } = await e.start(writingWorker());
    const spec = await identitySpec(e);
    const one = await service.add({
      model: fileURLToPath(spec.model.uri),
      inputs: { x: fileURLToPath((spec.inputs as Record<string, { uri: string }>).x!.uri) },
      split: 4,
    });
    expect(one).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message:
          'Splitting needs a batch of at least two input sets (a folder of .npy files, or an input given more than once); this job has one.',
      },
    });
    expect(service.list()).toEqual([]);
  });
});
