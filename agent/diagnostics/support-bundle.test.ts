import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { signReport, verifyReport } from '../bench/sign.ts';
import { sampleReport, TEST_PROBE, testSigner } from '../bench/testing/fixtures.ts';
import { createRotatingLog } from './log-file.ts';
import { createRedactor } from './redact.ts';
import { bundleManifestSchema } from './schema.ts';
import { buildSupportBundle, forbiddenReason } from './support-bundle.ts';
import { readZip } from './zip.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
const PHRASE = 'test test test test test test test test test test test junk';
const API_TOKEN = 'Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA';
const RPC_KEY = '9aa3d95b3bc440fa88ea12eaa4456161';
const NOW = new Date('2025-06-04T10:00:00Z');
const KEYSTORE = JSON.stringify({
  address: '90f8bf6a479f320ead074411a4b0e7944ea8c9c1',
  crypto: {
    cipher: 'aes-128-ctr',
    ciphertext: 'ab'.repeat(32),
    kdf: 'scrypt',
    mac: 'cd'.repeat(32),
  },
  version: 3,
});

async function dataFolder() {
  const d = await tempDir();
  cleanups.push(d.remove);
  const dir = d.path;
  await writeFile(join(dir, 'api-token'), API_TOKEN + '\n', { mode: 0o600 });
  await writeFile(join(dir, 'signing-key.json'), JSON.stringify({ privateKey: KEY }));
  await mkdir(join(dir, 'keystore'));
  await writeFile(join(dir, 'keystore', 'UTC--2025-06-04T10-00-00.000Z--90f8bf6a'), KEYSTORE);
  await writeFile(
    join(dir, 'settings.json'),
    JSON.stringify({
      format: 1,
      settings: {
        work: { mode: 'idle', idleMinutes: 10 },
        network: { name: 'custom', rpcUrl: `https://mainnet.infura.io/v3/${RPC_KEY}` },
        notifications: { webhookUrl: 'https://discord.com/api/webhooks/1/short', kinds: [] },
      },
    }),
  );
  await mkdir(join(dir, 'logs'));
  await writeFile(
    join(dir, 'logs', 'roost.log'),
    [
      '2025-06-04T09:59:00.000Z info  [serve] listening on http://127.0.0.1:7787/#token=' +
        API_TOKEN,
      `2025-06-04T09:59:01.000Z warn  [wallet] import failed for key ${KEY}`,
      `2025-06-04T09:59:02.000Z warn  [wallet] phrase was ${PHRASE}; done`,
      '2025-06-04T09:59:03.000Z info  [api] Authorization: Bearer ' + API_TOKEN,
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'logs', 'roost.log.1'),
    '2025-06-03T00:00:00.000Z info  [agent] older\n',
  );
  await mkdir(join(dir, 'reports'));
  await writeFile(
    join(dir, 'reports', 'bench-2025-06-04.json'),
    JSON.stringify({
      suite: 'roost-std-1',
      composite: 123.4,
      signer: '0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1',
    }),
  );
  await writeFile(
    join(dir, 'reports', 'bench-2025-06-04.html'),
    `<p>score 123.4</p><!-- ${KEY} -->`,
  );
  await writeFile(join(dir, 'reports', 'bench-2025-06-04.pdf'), Buffer.from('%PDF-1.7\n%binary\n'));
  await writeFile(
    join(dir, 'probe.json'),
    JSON.stringify({ results: [{ ep: 'cuda', ok: false }] }),
  );
  await writeFile(join(dir, 'innocent.json'), KEYSTORE);
  await symlink(join(dir, 'signing-key.json'), join(dir, 'reports', 'latest.json'));
  return dir;
}

describe('support bundle', () => {
  it('holds the logs, redacted settings, reports and probe results, and never a secret', async () => {
    const dir = await dataFolder();
    const result = await buildSupportBundle({
      dataDir: dir,
      now: () => NOW,
      roostVersion: '0.1.0',
      redactor: createRedactor({ knownSecrets: () => [API_TOKEN] }),
      reports: [
        join(dir, 'reports', 'bench-2025-06-04.json'),
        join(dir, 'reports', 'bench-2025-06-04.html'),
        join(dir, 'reports', 'bench-2025-06-04.pdf'),
        join(dir, 'reports', 'latest.json'), // a link to the signing key
        join(dir, 'api-token'), // passed by mistake
        join(dir, 'keystore', 'UTC--2025-06-04T10-00-00.000Z--90f8bf6a'),
        join(dir, 'missing.json'),
      ],
      probeResults: [join(dir, 'probe.json'), join(dir, 'innocent.json')],
      documents: [{ name: 'status', value: { state: 'running', walletPassword: 'hunter2' } }],
    });
    expect(result.path).toBe(join(dir, 'support', 'roost-support-2025-06-04T100000Z.zip'));
    if (process.platform !== 'win32') expect((await stat(result.path)).mode & 0o777).toBe(0o600);

    const zip = readZip(await readFile(result.path));
    expect(result.bytes).toBe((await stat(result.path)).size);
    expect(zip.map((e) => e.name).sort()).toEqual([
      'README.txt',
      'info/data-folder.json',
      'info/status.json',
      'logs/roost.log',
      'logs/roost.log.1',
      'manifest.json',
      'probe/probe.json',
      'reports/bench-2025-06-04.html',
      'reports/bench-2025-06-04.json',
      'reports/bench-2025-06-04.pdf',
      'settings.json',
    ]);
    const file = (name: string) => zip.find((e) => e.name === name)?.data.toString('utf8') ?? '';

    // No secret anywhere in the zip.
    const everything = zip.map((e) => e.data.toString('utf8')).join('\n');
    for (const secret of [KEY, KEY.slice(2), PHRASE, API_TOKEN, RPC_KEY, 'hunter2', 'ciphertext']) {
      expect(everything, secret).not.toContain(secret);
    }

    const log = file('logs/roost.log');
    expect(log).toContain('listening on http://127.0.0.1:7787/#token=[redacted:secret]');
    expect(log).toContain('import failed for key [redacted:private-key]');
    expect(log).toContain('phrase was [redacted:mnemonic]; done');
    expect(log).toContain('Authorization: Bearer [redacted');
    expect(file('logs/roost.log.1')).toBe('2025-06-03T00:00:00.000Z info  [agent] older\n');
    expect(JSON.parse(file('settings.json'))).toEqual({
      format: 1,
      settings: {
        work: { mode: 'idle', idleMinutes: 10 },
        network: { name: 'custom', rpcUrl: 'https://mainnet.infura.io/v3/[redacted]' },
        // The webhook's URL holds its token: scrubbed by its field name, however short the token.
        notifications: { webhookUrl: '[redacted]', kinds: [] },
      },
    });
    expect(file('reports/bench-2025-06-04.html')).toBe(
      '<p>score 123.4</p><!-- [redacted:private-key] -->',
    );
    expect(JSON.parse(file('reports/bench-2025-06-04.json')).composite).toBe(123.4);
    expect(file('reports/bench-2025-06-04.pdf')).toBe('%PDF-1.7\n%binary\n');
    expect(JSON.parse(file('info/status.json'))).toEqual({
      state: 'running',
      walletPassword: '[redacted]',
    });

    // The listing names files but holds none of their contents.
    const listing = JSON.parse(file('info/data-folder.json')) as { path: string; mode: string }[];
    expect(listing.find((f) => f.path === 'api-token')).toMatchObject({ mode: '0600' });
    expect(listing.some((f) => f.path.startsWith('keystore/UTC--'))).toBe(true);

    const manifest = bundleManifestSchema.parse(JSON.parse(file('manifest.json')));
    expect(manifest).toMatchObject({
      format: 1,
      createdAt: NOW.toISOString(),
      roostVersion: '0.1.0',
    });
    expect(manifest.entries.find((e) => e.name === 'settings.json')).toMatchObject({
      source: 'settings.json',
      redacted: true,
    });
    expect(Object.fromEntries(manifest.skipped.map((s) => [s.source, s.why]))).toEqual({
      'reports/latest.json': 'a symbolic link: not followed',
      'api-token': 'never bundled: api-token holds or may hold a secret',
      'keystore/UTC--2025-06-04T10-00-00.000Z--90f8bf6a': expect.stringMatching(/^never bundled/),
      'missing.json': 'not found',
      'innocent.json': 'never bundled: it is an encrypted keystore',
    });
    expect(manifest.redactions).toMatchObject({
      'known-secret': 2,
      'private-key': 2,
      mnemonic: 1,
      'url-key': 1,
      // info/status.json's walletPassword and settings.json's webhookUrl.
      'secret-field': 2,
    });
    expect(result.entries).toEqual(manifest.entries);
  });

  it('opens with Python zipfile when it is installed', async () => {
    const dir = await dataFolder();
    const { path } = await buildSupportBundle({
      dataDir: dir,
      now: () => NOW,
      out: join(dir, 'b.zip'),
    });
    let listing: string;
    try {
      listing = execFileSync('python3', ['-m', 'zipfile', '-l', path], { encoding: 'utf8' });
    } catch {
      return; // no Python here: the reader above checked the zip
    }
    expect(listing).toContain('logs/roost.log');
    expect(listing).not.toContain('signing-key');
  });

  it('keeps only the tail of an oversized log, from a whole line', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    await mkdir(join(d.path, 'logs'));
    const lines = Array.from(
      { length: 100 },
      (_, i) => `line ${String(i).padStart(3, '0')} ${KEY}`,
    );
    await writeFile(join(d.path, 'logs', 'roost.log'), lines.join('\n') + '\n');
    const result = await buildSupportBundle({
      dataDir: d.path,
      now: () => NOW,
      maxFileBytes: 1000,
    });
    const log = readZip(await readFile(result.path)).find((e) => e.name === 'logs/roost.log');
    const text = log?.data.toString('utf8') ?? '';
    expect(text).toMatch(
      /^\[support bundle: only the last 1000 of \d+ bytes kept\]\nline \d{3} \[redacted:private-key\]\n/,
    );
    expect(text).toMatch(/line 099 \[redacted:private-key\]\n$/);
    expect(text).not.toMatch(/[0-9a-f]{20}/);
  });

  it('shows market hashes whole, from the log file to a bundle made later, never a key', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    const tx = `0x${'ab'.repeat(32)}`;
    const result = `0x${'5e'.repeat(32)}`;
    // The running agent writes its log through its redactor...
    const file = createRotatingLog({ dir: join(d.path, 'logs'), redactor: createRedactor() });
    file.writeLine(`[market] [market-tx] claim job 7: signed tx ${tx} (nonce 3, claim:7)`);
    file.writeLine(`[market] market job 7: submitting — result hash ${result}`);
    file.writeLine(`[wallet] tx ${tx} failed; key ${KEY}`);
    file.close();
    // ...and a later run (another redactor, nothing in memory) bundles it.
    const bundle = await buildSupportBundle({
      dataDir: d.path,
      now: () => NOW,
      documents: [{ name: 'status', value: { provider: { reportHash: result }, note: KEY } }],
    });
    const zip = readZip(await readFile(bundle.path));
    const text = (name: string) => zip.find((e) => e.name === name)?.data.toString('utf8') ?? '';
    expect(text('logs/roost.log')).toBe(
      `[market] [market-tx] claim job 7: signed tx ${tx} (nonce 3, claim:7)\n` +
        `[market] market job 7: submitting — result hash ${result}\n` +
        `[wallet] tx ${tx} failed; key [redacted:private-key]\n`,
    );
    expect(JSON.parse(text('info/status.json'))).toEqual({
      provider: { reportHash: result },
      note: '[redacted:private-key]',
    });
    const everything = zip.map((e) => e.data.toString('utf8')).join('\n');
    expect(everything).not.toContain(KEY.slice(2));
  });

  it('holds the newest signed benchmark reports unchanged, so they still verify', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    const reportsDir = join(d.path, 'bench', 'reports');
    await mkdir(reportsDir, { recursive: true });
    // As the benchmark saves them: the probe's cacheKey is a sha256, the inputs have a seed.
    const report = sampleReport();
    report.probe = { ...TEST_PROBE, cacheKey: 'cd'.repeat(32) };
    const clean = JSON.stringify(await signReport(report, testSigner()), null, 2);
    expect(clean).toMatch(/"seed": \d+/);
    // A report whose probe detail caught a key (say, from a path): it must not leave as it is.
    const leaky = structuredClone(report);
    leaky.probe = {
      ...report.probe,
      results: report.probe.results.map((r) => (r.ok ? r : { ...r, detail: `read ${KEY}` })),
    };
    const leakyText = JSON.stringify(await signReport(leaky, testSigner()), null, 2);
    const saved = [
      ['old.json', clean, 1],
      ['leaky.json', leakyText, 2],
      ['new.json', clean, 3],
    ] as const;
    for (const [name, text, day] of saved) {
      await writeFile(join(reportsDir, name), text);
      const at = new Date(`2025-06-0${day}T00:00:00Z`);
      await utimes(join(reportsDir, name), at, at);
    }

    const bundle = await buildSupportBundle({ dataDir: d.path, now: () => NOW, maxReports: 2 });
    const zip = readZip(await readFile(bundle.path));
    const entry = (name: string) => zip.find((e) => e.name === name)?.data;
    expect(zip.map((e) => e.name).filter((n) => n.startsWith('reports/'))).toEqual([
      'reports/new.json',
      'reports/leaky.json',
    ]);
    expect(entry('reports/new.json')?.equals(Buffer.from(clean))).toBe(true);
    expect(verifyReport(JSON.parse(clean))).toMatchObject({ ok: true });
    expect(verifyReport(JSON.parse(entry('reports/new.json')?.toString('utf8') ?? ''))).toEqual(
      verifyReport(JSON.parse(clean)),
    );
    const leakyCopy = entry('reports/leaky.json')?.toString('utf8') ?? '';
    expect(leakyCopy).not.toContain(KEY.slice(2));
    expect(verifyReport(JSON.parse(leakyCopy))).toMatchObject({ ok: false });
    const manifest = bundleManifestSchema.parse(
      JSON.parse(entry('manifest.json')?.toString('utf8') ?? ''),
    );
    expect(manifest.entries.find((e) => e.name === 'reports/new.json')).toMatchObject({
      source: 'bench/reports/new.json',
      redacted: true,
      note: 'checked: nothing to scrub; stored unchanged',
    });
    expect(manifest.entries.find((e) => e.name === 'reports/leaky.json')?.note).toBe(
      "2 values scrubbed: this copy's signature no longer verifies",
    );
    expect(manifest.skipped.map((e) => e.source)).not.toContain('bench/reports');
    expect(entry('README.txt')?.toString('utf8')).toContain('roost report verify');
  });

  it('says when there is no benchmark report to include', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    const bundle = await buildSupportBundle({ dataDir: d.path, now: () => NOW });
    expect(bundle.skipped).toContainEqual({
      source: 'bench/reports',
      why: 'no benchmark reports yet',
    });
    expect(bundle.entries.some((e) => e.name.startsWith('reports/'))).toBe(false);
  });

  it('refuses to write anything but a .zip, or over a secret', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    await expect(
      buildSupportBundle({ dataDir: d.path, out: join(d.path, 'x.txt') }),
    ).rejects.toThrow(/\.zip/);
    expect(forbiddenReason('/data/keystore/anything.zip')).toMatch(/keystore/);
    expect(forbiddenReason('/data/signing-key.json')).toMatch(/never bundled/);
    expect(forbiddenReason('/data/reports/bench.json')).toBeNull();
  });
});
