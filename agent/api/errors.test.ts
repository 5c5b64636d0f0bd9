import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeZodError, fieldName } from './errors.ts';
import { jobSpecSchema } from '../jobs/schema.ts';
import { defaultNotificationSettings, notificationSettingsSchema } from '../notify/schema.ts';

describe('describeZodError', () => {
  const schema = z
    .object({
      n: z.number().int().min(1).max(10),
      mode: z.enum(['a', 'b']),
      name: z.string().regex(/^[A-Z]+$/, 'must be capital letters'),
    })
    .strict();

  function words(input: unknown): string {
    const r = schema.safeParse(input);
    if (r.success) throw new Error('expected failure');
    return describeZodError(r.error, input);
  }

  it('names the field, the rule and the value given', () => {
    expect(words({ n: 11, mode: 'a', name: 'X' })).toBe('n must be at most 10 (got 11)');
    expect(words({ n: 0, mode: 'a', name: 'X' })).toBe('n must be at least 1 (got 0)');
    expect(words({ n: 2, mode: 'c', name: 'X' })).toBe('unknown mode "c": use one of a, b');
    expect(words({ n: 2, mode: 'a', name: 'x' })).toBe('name must be capital letters (got "x")');
    expect(words({ mode: 'a', name: 'X' })).toBe('n is missing');
    expect(words({ n: 2, mode: 'a', name: 'X', extra: 1 })).toBe(
      'the request has unknown key "extra"',
    );
  });

  it('joins several problems', () => {
    expect(words({ n: 'x', mode: 'a', name: 'X', more: 1, other: 2 })).toBe(
      'n must be a number (got "x"); the request has unknown keys "more", "other"',
    );
  });
});

describe('describeZodError and secrets', () => {
  it('never quotes a password, a recovery phrase or a key back', () => {
    const schema = z.object({
      password: z.string().min(8),
      mnemonic: z.string().max(5),
      privateKey: z.string().regex(/^0x/),
    });
    const input = { password: 'hunter2', mnemonic: 'abandon ability able', privateKey: 'deadbeef' };
    const r = schema.safeParse(input);
    if (r.success) throw new Error('expected failure');
    const text = describeZodError(r.error, input);
    expect(text).toContain('password must be at least 8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abandon');
    expect(text).not.toContain('deadbeef');
  });
});

describe('describeZodError in words a spec author reads', () => {
  function spec(input: unknown): string {
    const r = jobSpecSchema.safeParse(input);
    if (r.success) throw new Error('expected failure');
    return describeZodError(r.error, input, 'the job spec');
  }
  const H = 'a'.repeat(64);
  const file = { uri: 'file:///data/x.npy', sha256: H, bytes: 8 };

  it('says what a field must be, and what is missing, without zod wording', () => {
    const text = spec({ format: 'roost.job/1', model: 5 });
    expect(text).toBe(
      'model must be an object with uri, sha256 and bytes (got 5); inputs is missing',
    );
    expect(text).not.toMatch(/Invalid input|a object/);
  });

  it('names an unknown execution provider and the ones to use', () => {
    expect(
      spec({
        format: 'roost.job/1',
        model: file,
        inputs: { x: file },
        executionProviders: ['tpu'],
      }),
    ).toBe('unknown execution provider "tpu": use one of cpu, webgpu, cuda, tensorrt, dml, coreml');
  });

  it('names an unknown kind of notice, in what is shown and in what the webhook is sent', () => {
    for (const field of ['shown', 'kinds'] as const) {
      const input = { ...defaultNotificationSettings, [field]: ['job-done', 'jobs-done'] };
      const r = notificationSettingsSchema.safeParse(input);
      expect(r.success).toBe(false);
      expect(describeZodError(r.error!, input)).toBe(
        'unknown kind of notice "jobs-done": use one of job-done, job-failed, payment, bench-done, needs-you',
      );
    }
  });

  it('looks into the form of a union that was meant, and says so when none was', () => {
    expect(spec({ format: 'roost.job/1', model: file, inputs: [{ x: file }, { x: 5 }] })).toBe(
      'x of input set 2 must be an object with uri, sha256 and bytes (got 5)',
    );
    expect(spec({ format: 'roost.job/1', model: file, inputs: 7 })).toMatch(
      /^inputs must be an object of named inputs .* or a list of them \(got 7\)$/,
    );
  });

  it('says which value a literal must have, and when a list is empty', () => {
    expect(spec({ format: 'roost.job/2', model: file, inputs: { x: file }, outputs: [] })).toBe(
      'format must be "roost.job/1" (got "roost.job/2"); outputs must not be empty',
    );
  });

  it('spells out five problems and counts the rest', () => {
    const inputs = Array.from({ length: 8 }, () => ({ x: 1 }));
    const text = spec({ format: 'roost.job/1', model: file, inputs });
    expect(text.split('; ')).toHaveLength(6);
    expect(text).toMatch(/; and 3 more problems$/);
  });

  it('names list items by what they are, from 1', () => {
    expect(fieldName(['executionProviders', 0], 'x')).toBe('execution provider 1');
    expect(fieldName(['inputs', 1, 'x', 'sha256'], 'x')).toBe('x.sha256 of input set 2');
    expect(fieldName(['model', 'externalData', 0, 'path'], 'x')).toBe(
      'path of external data file 1 of model',
    );
    expect(fieldName(['work', 'idleMinutes'], 'x')).toBe('work.idleMinutes');
    expect(fieldName([], 'the request')).toBe('the request');
  });
});
