import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { crc32 } from 'node:zlib';
import { checkZipName, createZip, readZip, storedZip } from './zip.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Runs a tool when it is installed; the zip is checked by our reader either way. */
function tool(file: string, args: string[]): string | null {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

describe('zip', () => {
  const stamp = new Date(2025, 5, 4, 12, 30, 10);
  const entries = [
    { name: 'manifest.json', data: '{"format":1}' },
    { name: 'logs/roost.log', data: 'line\n'.repeat(1000) },
    { name: 'reports/ünïcode report.html', data: '<p>é</p>' },
    { name: 'empty.txt', data: '' },
    { name: 'random.bin', data: new Uint8Array([0, 255, 1, 254, 2, 253]) },
  ];

  it('round-trips through its own reader with CRCs, modes and times', () => {
    const zip = createZip(entries, { modifiedAt: stamp });
    const read = readZip(zip);
    expect(read.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    expect(read[1]?.data.toString()).toBe('line\n'.repeat(1000));
    expect(read[1]?.method).toBe(8);
    expect(read[4]?.method).toBe(0); // incompressible: stored
    expect(read[3]?.data.length).toBe(0);
    expect(read.every((e) => e.mode === 0o600)).toBe(true);
    expect(read[0]?.modifiedAt).toEqual(stamp);
  });

  it('is read by unzip and Python zipfile', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'b.zip');
    writeFileSync(file, createZip(entries, { modifiedAt: stamp }));
    const test = tool('unzip', ['-t', file]);
    if (test !== null) expect(test).toMatch(/No errors detected/);
    const listing = tool('python3', ['-m', 'zipfile', '-l', file]);
    if (listing !== null) {
      expect(listing).toContain('logs/roost.log');
      expect(listing).toContain('reports/ünïcode report.html');
    }
    const check = tool('python3', [
      '-c',
      'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.testzip()); print(z.read("reports/ünïcode report.html").decode())',
      file,
    ]);
    if (check !== null) expect(check).toBe('None\n<p>é</p>\n');
  });

  it('lays out a stored zip around bytes sent between its headers, as unzip reads it', async () => {
    const data = entries.map((e) =>
      typeof e.data === 'string' ? Buffer.from(e.data) : Buffer.from(e.data),
    );
    const zip = storedZip(
      entries.map((e, i) => ({
        name: e.name,
        size: (data[i] as Buffer).length,
        crc: crc32(data[i] as Buffer),
        modifiedAt: stamp,
      })),
    );
    const bytes = Buffer.concat([
      ...zip.headers.flatMap((h, i) => [h, data[i] as Buffer]),
      zip.trailer,
    ]);
    expect(bytes.length).toBe(zip.length);
    const read = readZip(bytes);
    expect(read.map((e) => [e.name, e.method, e.data.toString('hex')])).toEqual(
      entries.map((e, i) => [e.name, 0, (data[i] as Buffer).toString('hex')]),
    );
    expect(read[0]?.modifiedAt).toEqual(stamp);
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'stored.zip');
    writeFileSync(file, bytes);
    const test = tool('unzip', ['-t', file]);
    if (test !== null) expect(test).toMatch(/No errors detected/);
    // What a zip without zip64 can't hold is refused before a byte is sent.
    expect(() =>
      storedZip([{ name: 'big.npy', size: 2 ** 32, crc: 0, modifiedAt: stamp }]),
    ).toThrow(RangeError);
    expect(() =>
      storedZip([
        { name: 'a.npy', size: 2 ** 31, crc: 0, modifiedAt: stamp },
        { name: 'b.npy', size: 2 ** 31, crc: 0, modifiedAt: stamp },
      ]),
    ).toThrow(RangeError);
  });

  it('refuses unsafe and duplicate names', () => {
    for (const bad of ['/etc/passwd', '../x', 'a/../b', 'a\\b', 'C:x', '', 'a//b', './a']) {
      expect(() => checkZipName(bad), bad).toThrow(RangeError);
    }
    expect(() =>
      createZip([
        { name: 'a', data: '' },
        { name: 'a', data: '' },
      ]),
    ).toThrow(/duplicate/);
  });

  it('rejects a corrupted zip', () => {
    const zip = createZip([{ name: 'a.txt', data: 'hello hello hello hello' }]);
    expect(() => readZip(zip.subarray(0, 10))).toThrow(/not a zip/);
    const bad = Buffer.from(zip);
    bad[40] = (bad[40] ?? 0) ^ 0xff; // inside the compressed body
    expect(() => readZip(bad)).toThrow();
  });
});
