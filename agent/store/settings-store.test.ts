import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SettingsStore, SETTINGS_FILE, type Migration } from './settings-store.ts';
import { defaultSettings } from '../api/contract.ts';
import { ApiFailure } from '../api/errors.ts';
import { createLogger } from '../log.ts';
import { tempDir } from '../../test/support/temp-dir.ts';

const log = createLogger({});
const fixedNow = () => new Date('2026-11-25T10:00:00.000Z');
let dir: { path: string; remove: () => Promise<void> };
const file = () => join(dir.path, SETTINGS_FILE);
const store = (extra: Partial<ConstructorParameters<typeof SettingsStore>[0]> = {}) =>
  new SettingsStore({ dataDir: dir.path, log, now: fixedNow, ...extra });

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

describe('SettingsStore', () => {
  it('starts from the defaults and writes them with mode 0600', async () => {
    const s = store();
    expect(await s.load()).toEqual([]);
    expect(s.get()).toEqual(defaultSettings);
    const onDisk = JSON.parse(await readFile(file(), 'utf8'));
    expect(onDisk).toEqual({ format: 1, settings: defaultSettings });
    if (process.platform !== 'win32') expect((await stat(file())).mode & 0o777).toBe(0o600);
  });

  it('keeps an update across a reload, and only the fields named', async () => {
    const s = store();
    await s.load();
    await s.update({ pricing: { currency: 'USD' } });
    await s.update({ work: { idleMinutes: 25 } });
    const again = store();
    expect(await again.load()).toEqual([]);
    expect(again.get().work.idleMinutes).toBe(25);
    expect(again.get().pricing).toEqual({ ...defaultSettings.pricing, currency: 'USD' });
    expect(again.get().work.mode).toBe(defaultSettings.work.mode);
  });

  it('changes nothing, in memory or on disk, when an update is invalid', async () => {
    const s = store();
    await s.load();
    const before = await readFile(file(), 'utf8');
    await expect(s.update({ work: { idleMinutes: 9000 } })).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    });
    await expect(s.update({ work: { nap: true } } as never)).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    });
    await expect(s.update({ network: { name: 'custom' } })).rejects.toMatchObject({
      code: 'SETTINGS_INVALID',
      message: expect.stringMatching(/network\.rpcUrl is needed/),
    });
    expect(await readFile(file(), 'utf8')).toBe(before);
    expect(s.get()).toEqual(defaultSettings);
  });

  it('accepts a custom network once it has an RPC URL and a market address', async () => {
    const s = store();
    await s.load();
    const saved = await s.update({
      network: {
        name: 'custom',
        rpcUrl: 'https://rpc.example.org',
        marketAddress: '0x' + 'ab'.repeat(20),
      },
    });
    expect(saved.network.name).toBe('custom');
    await expect(s.update({ network: { rpcUrl: 'ftp://x' } })).rejects.toBeInstanceOf(ApiFailure);
  });

  it('loads a file from before network.tokens: not said, no warning, the rest kept', async () => {
    const old = {
      format: 1,
      settings: {
        network: {
          name: 'custom',
          rpcUrl: 'http://10.0.0.5:8545',
          marketAddress: '0x' + 'ab'.repeat(20),
        },
        pricing: { currency: 'USD' },
      },
    };
    await writeFile(file(), JSON.stringify(old));
    const s = store();
    expect(await s.load()).toEqual([]);
    expect(s.get().network).toEqual({ ...old.settings.network, tokens: 'unknown' });
    expect(s.get().pricing.currency).toBe('USD');
    expect(await readdir(dir.path)).toEqual([SETTINGS_FILE]);
  });

  it("keeps the user's word on a custom network's tokens, and refuses a word it doesn't know", async () => {
    const s = store();
    await s.load();
    await s.update({
      network: {
        name: 'custom',
        rpcUrl: 'http://10.0.0.5:8545',
        marketAddress: '0x' + 'ab'.repeat(20),
        tokens: 'test',
      },
    });
    const before = await readFile(file(), 'utf8');
    await expect(s.update({ network: { tokens: 'worthless' } } as never)).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
      message: expect.stringMatching(/network\.tokens/),
    });
    expect(await readFile(file(), 'utf8')).toBe(before);
    const again = store();
    expect(await again.load()).toEqual([]);
    expect(again.get().network.tokens).toBe('test');
  });

  it('keeps a corrupt file as a backup, restores the defaults and says so', async () => {
    await writeFile(file(), '{"format":1,"settings":{"work":');
    const s = store();
    const warnings = await s.load();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.code).toBe('SETTINGS_CORRUPT');
    const backup = `${file()}.corrupt-2026-11-25T10-00-00-000Z`;
    expect(warnings[0]!.message).toContain(backup);
    expect(await readFile(backup, 'utf8')).toBe('{"format":1,"settings":{"work":');
    expect(s.get()).toEqual(defaultSettings);
    expect(JSON.parse(await readFile(file(), 'utf8')).settings).toEqual(defaultSettings);
  });

  it('treats a file of the wrong shape (an array, a string) as corrupt', async () => {
    await writeFile(file(), '[1,2,3]');
    expect((await store().load())[0]?.code).toBe('SETTINGS_CORRUPT');
    await writeFile(file(), '"hello"');
    expect((await store().load())[0]?.code).toBe('SETTINGS_CORRUPT');
  });

  it('resets only the fields that are invalid, keeping the rest', async () => {
    await writeFile(
      file(),
      JSON.stringify({
        format: 1,
        settings: {
          work: { idleMinutes: -3, mode: 'always' },
          pricing: { currency: 'euros' },
          junk: 1,
        },
      }),
    );
    const s = store();
    const warnings = await s.load();
    expect(warnings.map((w) => w.code)).toEqual(['SETTINGS_FIELDS_RESET']);
    expect(warnings[0]!.message).toMatch(/work\.idleMinutes/);
    expect(warnings[0]!.message).toMatch(/pricing\.currency/);
    expect(s.get().work).toEqual({ ...defaultSettings.work, mode: 'always' });
    expect(s.get().pricing.currency).toBe('EUR');
    const files = await readdir(dir.path);
    expect(files.some((f) => f.startsWith(`${SETTINGS_FILE}.invalid-`))).toBe(true);
  });

  it('reads a hand-written file without the format wrapper', async () => {
    await writeFile(file(), JSON.stringify({ work: { idleMinutes: 3 } }));
    const s = store();
    expect(await s.load()).toEqual([]);
    expect(s.get().work.idleMinutes).toBe(3);
  });

  it('runs numbered migrations in order and saves the result', async () => {
    const calls: number[] = [];
    const migrations: Record<number, Migration> = {
      1: (doc) => {
        calls.push(1);
        const s = doc.settings as Record<string, unknown>;
        return { format: 2, settings: { ...s, work: { idleMinutes: s.idle } } };
      },
      2: (doc) => {
        calls.push(2);
        const s = { ...(doc.settings as Record<string, unknown>) };
        delete s.idle;
        return { format: 3, settings: s };
      },
    };
    await writeFile(file(), JSON.stringify({ format: 1, settings: { idle: 42 } }));
    const s = store({ migrations, format: 3 });
    expect(await s.load()).toEqual([]);
    expect(calls).toEqual([1, 2]);
    expect(s.get().work.idleMinutes).toBe(42);
    expect(JSON.parse(await readFile(file(), 'utf8')).format).toBe(3);
  });

  it('keeps a copy of a file from a newer Roost and reads what it understands', async () => {
    await writeFile(
      file(),
      JSON.stringify({ format: 9, settings: { work: { idleMinutes: 7 }, future: { x: 1 } } }),
    );
    const s = store();
    const warnings = await s.load();
    expect(warnings[0]!.code).toBe('SETTINGS_NEWER');
    expect(s.get().work.idleMinutes).toBe(7);
    expect((await readdir(dir.path)).some((f) => f.includes('.format9-'))).toBe(true);
  });

  it('tightens a settings file that others can read', async () => {
    if (process.platform === 'win32') return;
    await writeFile(file(), JSON.stringify({ format: 1, settings: defaultSettings }), {
      mode: 0o644,
    });
    await store().load();
    expect((await stat(file())).mode & 0o777).toBe(0o600);
  });

  it('reports an unwritable folder and keeps the settings it had', async () => {
    const s = store();
    await s.load();
    // The data folder is replaced by a file: nothing can be written under it any more.
    await rm(dir.path, { recursive: true });
    await writeFile(dir.path, 'not a folder');
    await expect(s.update({ work: { idleMinutes: 30 } })).rejects.toMatchObject({
      code: 'SETTINGS_UNWRITABLE',
    });
    expect(s.get().work.idleMinutes).toBe(defaultSettings.work.idleMinutes);
    await rm(dir.path);
    await mkdir(dir.path);
  });

  it('serializes quick updates so the last one wins on disk', async () => {
    const s = store();
    await s.load();
    await Promise.all([1, 2, 3, 4, 5].map((n) => s.update({ work: { idleMinutes: n } })));
    expect(JSON.parse(await readFile(file(), 'utf8')).settings.work.idleMinutes).toBe(5);
  });
});
