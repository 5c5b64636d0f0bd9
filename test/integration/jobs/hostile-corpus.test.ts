/**
 * The hostile corpus (test/fixtures/jobs/hostile.ts): over 200 malformed and hostile models,
 * inputs and specs, all through one real job service with real sandboxed workers. Each must
 * end in a clear error (a code it may end in and words that say what is wrong), the agent must
 * stay up and still run a good job afterwards, and no worker process may be left behind.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobService } from '../../../agent/jobs/service.ts';
import { createNodeWorkerSpawner } from '../../../agent/jobs/spawner.ts';
import { encodeNpy } from '../../../worker/npy.ts';
import { hostileCorpus } from '../../fixtures/jobs/hostile.ts';
import type { HostileFile } from '../../fixtures/jobs/hostile.ts';
import { identityModel, randomFloats } from '../../fixtures/jobs/models.ts';
import { jobsLab, processesMentioning } from './support.ts';
import type { JobsLab } from './support.ts';

const corpus = hostileCorpus();
let workersStarted = 0;
let lab: JobsLab;
let service: JobService;
beforeAll(async () => {
  lab = await jobsLab();
  const real = createNodeWorkerSpawner();
  service = await lab.service({
    concurrency: 2,
    maxAttempts: 1,
    defaults: { maxSeconds: 30 },
    spawnWorker: (launch) => {
      workersStarted++;
      return real(launch);
    },
  });
});
afterAll(async () => {
  await lab.cleanup();
});

async function artifact(name: string, file: HostileFile) {
  const written = await lab.file(name, file.bytes);
  return {
    uri: file.missing ? pathToFileURL(join(lab.root, 'does-not-exist', name)).href : written.uri,
    sha256: file.declaredSha256 ?? createHash('sha256').update(file.bytes).digest('hex'),
    bytes: file.declaredBytes ?? file.bytes.length,
  };
}

describe('the hostile corpus', () => {
  it('has at least 200 cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
  });

  it(
    'gives each case a clear error, and leaves the agent up and no worker behind',
    { timeout: 300_000 },
    async () => {
      const outcomes = await Promise.all(
        corpus.map(async (c, index) => {
          const inputs = [];
          for (const [s, set] of c.inputs.entries()) {
            const out: Record<string, unknown> = {};
            for (const [name, file] of Object.entries(set))
              out[name] = await artifact(`c${index}-s${s}-${name}.npy`, file);
            inputs.push(out);
          }
          const model = await artifact(`c${index}.onnx`, c.model);
          const externalData = [];
          for (const e of c.externalData ?? [])
            externalData.push({
              path: e.path,
              ...(await artifact(`c${index}-${e.path.replace(/\W/g, '_')}`, e)),
            });
          let spec: unknown = {
            format: 'roost.job/1',
            model: externalData.length ? { ...model, externalData } : model,
            inputs: inputs.length === 1 ? inputs[0] : inputs,
            ...(c.outputs ? { outputs: c.outputs } : {}),
          };
          if (c.mutateSpec) spec = c.mutateSpec(spec as Record<string, unknown>);
          const submitted = await service.submit(spec);
          if (!submitted.ok) return { c, state: 'refused', error: submitted.error };
          const done = await service.wait(submitted.value.id);
          if (!done.ok) return { c, state: 'lost', error: done.error };
          return { c, state: done.value.state, error: done.value.error };
        }),
      );
      const problems: string[] = [];
      const byCode = new Map<string, number>();
      for (const o of outcomes) {
        const code = o.error?.code ?? '(none)';
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
        if (o.state === 'done' || o.state === 'lost' || !o.error) {
          problems.push(`${o.c.name}: ended ${o.state} without an error`);
        } else if (!o.c.expect.includes(o.error.code)) {
          problems.push(
            `${o.c.name}: ${o.error.code} (${o.error.message.slice(0, 160)}), expected ${o.c.expect.join('/')}`,
          );
        } else if (o.error.message.length < 15) {
          problems.push(`${o.c.name}: an unclear message "${o.error.message}"`);
        }
      }
      console.log(
        `hostile corpus: ${outcomes.length} cases, ${workersStarted} reached a worker; ${[...byCode].map(([k, v]) => `${k} ${v}`).join(', ')}`,
      );
      for (const o of outcomes.filter((x) =>
        /calls itself|Add of float|MatMul of incompatible|matmul|Reshape/.test(x.c.name),
      )) {
        console.log(`  ${o.c.name}: ${o.error?.code}: ${o.error?.message.slice(0, 200)}`);
      }
      expect(problems).toEqual([]);
      expect(service.activeWorkers()).toBe(0);
      expect(processesMentioning(lab.dataDir)).toEqual([]);

      // The agent is still up and runs a good job.
      const ok = await service.submit({
        format: 'roost.job/1',
        model: await artifact('good.onnx', { bytes: identityModel('float32', ['N', 4]) }),
        inputs: {
          x: await artifact('good.npy', {
            bytes: encodeNpy('float32', [2, 4], randomFloats(8, 1)),
          }),
        },
      });
      if (!ok.ok) throw new Error(ok.error.message);
      expect(await service.wait(ok.value.id)).toMatchObject({ ok: true, value: { state: 'done' } });
    },
  );
});
