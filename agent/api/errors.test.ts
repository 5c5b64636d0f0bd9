import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeZodError } from './errors.ts';

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
    expect(words({ n: 2, mode: 'c', name: 'X' })).toBe('mode must be one of "a", "b" (got "c")');
    expect(words({ n: 2, mode: 'a', name: 'x' })).toBe('name must be capital letters (got "x")');
    expect(words({ mode: 'a', name: 'X' })).toBe('n is required (a number)');
    expect(words({ n: 2, mode: 'a', name: 'X', extra: 1 })).toBe('params has unknown key "extra"');
  });

  it('joins several problems', () => {
    expect(words({ n: 'x', mode: 'a', name: 'X', more: 1, other: 2 })).toBe(
      'n must be a number (got "x"); params has unknown keys "more", "other"',
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
