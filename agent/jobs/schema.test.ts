import { describe, expect, it } from 'vitest';
import {
  diskWords,
  durationWords,
  inputSetsOf,
  jobSpecJsonSchema,
  jobRemoveParamsSchema,
  jobSpecSchema,
  jobTimeWords,
  leftWords,
  queuePlaceWords,
  remainingMs,
  sandboxWords,
} from './schema.ts';
import { canonicalJson } from './util.ts';

const H = 'a'.repeat(64);
const spec = {
  format: 'roost.job/1',
  model: { uri: 'https://example.com/m.onnx', sha256: H, bytes: 10 },
  inputs: { x: { uri: 'https://example.com/x.npy', sha256: H, bytes: 128 } },
};

describe('roost.job/1', () => {
  it('accepts a minimal spec and a batch', () => {
    expect(jobSpecSchema.safeParse(spec).success).toBe(true);
    const batch = jobSpecSchema.parse({ ...spec, inputs: [spec.inputs, spec.inputs] });
    expect(inputSetsOf(batch)).toHaveLength(2);
    expect(inputSetsOf(jobSpecSchema.parse(spec))).toHaveLength(1);
  });

  it.each([
    ['an unknown format', { ...spec, format: 'roost.job/2' }],
    ['an unknown key', { ...spec, extra: 1 }],
    ['an ftp URI', { ...spec, model: { ...spec.model, uri: 'ftp://x/m' } }],
    ['an upper-case hash', { ...spec, model: { ...spec.model, sha256: H.toUpperCase() } }],
    ['a negative size', { ...spec, model: { ...spec.model, bytes: -1 } }],
    ['a fractional size', { ...spec, model: { ...spec.model, bytes: 1.5 } }],
    ['no inputs', { ...spec, inputs: {} }],
    ['an empty batch', { ...spec, inputs: [] }],
    ['a repeated provider', { ...spec, executionProviders: ['cpu', 'cpu'] }],
    ['an unknown provider', { ...spec, executionProviders: ['rocm'] }],
    ['a control character in a name', { ...spec, outputs: ['a\nb'] }],
    [
      'external data outside the model folder',
      {
        ...spec,
        model: {
          ...spec.model,
          externalData: [{ path: '../w.bin', uri: 'https://x', sha256: H, bytes: 1 }],
        },
      },
    ],
    [
      'an absolute external data path',
      {
        ...spec,
        model: {
          ...spec.model,
          externalData: [{ path: '/etc/passwd', uri: 'https://x', sha256: H, bytes: 1 }],
        },
      },
    ],
    ['a zero time limit', { ...spec, limits: { maxSeconds: 0 } }],
  ])('refuses %s', (_what, bad) => {
    expect(jobSpecSchema.safeParse(bad).success).toBe(false);
  });

  it('exports a JSON Schema that names the format and the artifact fields', () => {
    const schema = jobSpecJsonSchema() as {
      $schema: string;
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(schema.$schema).toContain('2020-12');
    expect(schema.required).toEqual(expect.arrayContaining(['format', 'model', 'inputs']));
    expect(JSON.stringify(schema.properties.format)).toContain('roost.job/1');
    expect(JSON.stringify(schema.properties.model)).toContain('"pattern":"^[0-9a-f]{64}$"');
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe('a job in words', () => {
  it('writes durations in the unit that suits them', () => {
    expect(durationWords(0.35)).toBe('0.3 ms');
    expect(durationWords(12.4)).toBe('12 ms');
    expect(durationWords(540)).toBe('540 ms');
    expect(durationWords(1250)).toBe('1.25 s');
    expect(durationWords(12_540)).toBe('12.5 s');
    expect(durationWords(185_000)).toBe('3 min 05 s');
    expect(durationWords(7_620_000)).toBe('2 h 07 min');
    expect(durationWords(-1)).toBe('\u2014');
    expect(jobTimeWords({ totalMs: 359, runMs: 1.2 })).toBe('359 ms (running the model 1.2 ms)');
  });

  it('names the sandbox layers that held', () => {
    expect(sandboxWords({ scrubbedEnv: true, permissionModel: true, bwrap: true })).toBe(
      'clean environment, file permissions, no network, own process space',
    );
    expect(sandboxWords({ scrubbedEnv: true, permissionModel: false, bwrap: false })).toBe(
      'clean environment',
    );
    expect(sandboxWords({ scrubbedEnv: false, permissionModel: false, bwrap: false })).toBe('none');
  });
});

describe('removing jobs', () => {
  it('says disk space as people read it', () => {
    expect(diskWords(0)).toBe('0 bytes');
    expect(diskWords(1)).toBe('1 byte');
    expect(diskWords(1023)).toBe('1023 bytes');
    expect(diskWords(1024)).toBe('1 KB');
    expect(diskWords(12.4 * 1024)).toBe('12 KB');
    expect(diskWords(340 * 2 ** 20)).toBe('340 MB');
    expect(diskWords(1.2 * 2 ** 30)).toBe('1.2 GB');
    expect(diskWords(9.97 * 2 ** 30)).toBe('10 GB');
  });

  it('takes ids or a time, not both, not neither, and no other key', () => {
    expect(jobRemoveParamsSchema.safeParse({ ids: ['job-a'] }).success).toBe(true);
    expect(
      jobRemoveParamsSchema.safeParse({ finishedBefore: '2026-01-01T00:00:00+02:00' }).success,
    ).toBe(true);
    for (const bad of [
      {},
      { ids: [] },
      { ids: ['job-a'], finishedBefore: '2026-01-01T00:00:00Z' },
      { finishedBefore: '30d' },
      { finishedBefore: 1767225600000 },
      { ids: ['job-a'], force: true },
      { ids: Array.from({ length: 1001 }, (_, i) => `job-${i}`) },
    ])
      expect(jobRemoveParamsSchema.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(
        false,
      );
    // Giving neither is not answered as if both were given.
    for (const neither of [{}, { ids: ['job-a'], finishedBefore: '2026-01-01T00:00:00Z' }])
      expect(jobRemoveParamsSchema.safeParse(neither).error?.issues[0]?.message).toBe(
        'needs ids or finishedBefore: one of them, not both',
      );
  });
});

describe('how long a running job has left', () => {
  it('goes by the pace the page watched, once it watched long enough', () => {
    const start = { at: 0, setsDone: 100 };
    // 50 sets in 10 s, 850 to go: 170 s.
    expect(remainingMs(start, 10_000, { setsDone: 150, setsTotal: 1000 })).toBe(170_000);
    expect(remainingMs(start, 4_000, { setsDone: 150, setsTotal: 1000 })).toBeUndefined();
    expect(remainingMs(start, 10_000, { setsDone: 100, setsTotal: 1000 })).toBeUndefined();
    expect(remainingMs(start, 10_000, { setsDone: 1000, setsTotal: 1000 })).toBeUndefined();
  });

  it('says it no more precisely than it is known', () => {
    expect(leftWords(3_000)).toBe('about 10 s left');
    expect(leftWords(44_000)).toBe('about 40 s left');
    expect(leftWords(170_000)).toBe('about 3 min left');
    expect(leftWords(59 * 60_000)).toBe('about 59 min left');
    expect(leftWords(130 * 60_000)).toBe('about 2 h 10 min left');
    expect(leftWords(120 * 60_000)).toBe('about 2 h left');
    expect(leftWords(178 * 60_000)).toBe('about 3 h left');
  });
});

describe('a queued job in line', () => {
  it('says its place as people say it', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].map(queuePlaceWords)).toEqual([
      'next in line',
      '2nd in line',
      '3rd in line',
      '4th in line',
      '11th in line',
      '12th in line',
      '13th in line',
      '21st in line',
      '22nd in line',
      '23rd in line',
      '101st in line',
      '111th in line',
    ]);
  });
});
