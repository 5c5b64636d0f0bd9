import { TINY_SUITE } from '../bench/suite.ts';
import { TEST_PROTOCOL } from '../bench/protocol.ts';
import { describe, expect, it } from 'vitest';
import {
  defaultSettings,
  errorCodes,
  eventNames,
  events,
  methodNames,
  methods,
  resultSchema,
  settingsPatchSchema,
  settingsSchema,
} from './contract.ts';
import { createAgent } from '../agent.ts';
import { createRouter, type Handlers } from './router.ts';
import { createLogger } from '../log.ts';
import { tempDir } from '../../test/support/temp-dir.ts';

describe('the API contract', () => {
  it('names methods domain.verb and events domain.noun', () => {
    for (const name of methodNames) expect(name).toMatch(/^[a-z]+\.[a-z][A-Za-z]*$/);
    for (const name of eventNames) expect(name).toMatch(/^[a-z]+\.[a-z][A-Za-z]*$/);
    expect(methodNames).toEqual(
      expect.arrayContaining(['agent.status', 'agent.version', 'settings.get', 'settings.update']),
    );
    expect(eventNames).toContain('agent.log');
  });

  it('gives every method a summary, params and a result schema', () => {
    for (const name of methodNames) {
      const spec = methods[name];
      expect(spec.summary.length, name).toBeGreaterThan(10);
      expect(typeof spec.params.safeParse).toBe('function');
      expect(typeof spec.result.safeParse).toBe('function');
    }
  });

  it('has defaults that satisfy the settings schema', () => {
    expect(settingsSchema.parse(defaultSettings)).toEqual(defaultSettings);
  });

  it('refuses unknown keys in a settings patch, and fills in nothing', () => {
    expect(settingsPatchSchema.safeParse({ work: { idleMinutes: 5 } }).data).toEqual({
      work: { idleMinutes: 5 },
    });
    expect(settingsPatchSchema.safeParse({ work: { idle: 5 } }).success).toBe(false);
    expect(settingsPatchSchema.safeParse({ gpu: {} }).success).toBe(false);
  });

  it('shapes results as ok/value or ok/error with a known code', () => {
    const schema = resultSchema(settingsSchema);
    expect(schema.safeParse({ ok: true, value: defaultSettings }).success).toBe(true);
    expect(schema.safeParse({ ok: false, error: { code: 'INTERNAL', message: 'x' } }).success).toBe(
      true,
    );
    expect(schema.safeParse({ ok: false, error: { code: 'NOPE', message: 'x' } }).success).toBe(
      false,
    );
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
  });

  it('has a payload schema for every event', () => {
    expect(
      events['agent.log'].safeParse({
        level: 'info',
        subsystem: 'x',
        message: 'm',
        at: new Date().toISOString(),
      }).success,
    ).toBe(true);
    expect(
      events['agent.log'].safeParse({ level: 'loud', subsystem: 'x', message: 'm', at: '' })
        .success,
    ).toBe(false);
  });
});

describe('handlers', () => {
  it('the agent serves every method of the contract', async () => {
    const dir = await tempDir();
    // bench.run really runs: the tiny suite keeps it to seconds.
    const agent = await createAgent({
      dataDir: dir.path,
      host: 'test',
      bench: { suite: TINY_SUITE, protocol: TEST_PROTOCOL },
    });
    expect([...agent.router.methods].sort()).toEqual([...methodNames].sort());
    for (const name of methodNames) {
      const result = await agent.router.call(name, {});
      // Params may be refused, but never because the method has no handler.
      if (!result.ok) expect(result.error.code, name).not.toMatch(/UNKNOWN_METHOD|INTERNAL/);
    }
    await agent.close();
    await dir.remove();
    // Every method runs for real, bench.run and the accelerator probe included.
  }, 60_000);

  it('a router missing a handler does not start', () => {
    const log = createLogger({});
    const partial = { 'agent.status': () => undefined } as unknown as Handlers;
    expect(() => createRouter(partial, log)).toThrow(/No handler for agent\.version/);
  });
});
