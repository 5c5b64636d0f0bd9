import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { createLogger, type LogEntry } from '../log.ts';
import { createRotatingLog, listLogFiles, redactingSink, teeSinks } from './log-file.ts';
import { createRedactor } from './redact.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function dir() {
  const d = await tempDir();
  cleanups.push(d.remove);
  return d.path;
}
const KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
const entry = (message: string, level: LogEntry['level'] = 'info'): LogEntry => ({
  level,
  subsystem: 'wallet',
  message,
  at: '2025-06-04T10:00:00.000Z',
});

describe('rotating log file', () => {
  it('writes redacted lines to a 0600 file in a 0700 folder', async () => {
    const logs = join(await dir(), 'logs');
    const log = createRotatingLog({ dir: logs });
    const logger = createLogger({ sink: log.sink, now: () => new Date('2025-06-04T10:00:00Z') });
    logger.child('wallet').info(`imported ${KEY}`);
    logger.child('api').info('GET /events Authorization: Bearer abcdefghijklmnop1234');
    logger.child('api').debug('not written at info');
    log.close();
    const text = readFileSync(join(logs, 'roost.log'), 'utf8');
    expect(text).toBe(
      '2025-06-04T10:00:00.000Z info  [wallet] imported [redacted:private-key]\n' +
        '2025-06-04T10:00:00.000Z info  [api] GET /events Authorization: Bearer [redacted]\n',
    );
    if (process.platform !== 'win32') {
      expect(statSync(join(logs, 'roost.log')).mode & 0o777).toBe(0o600);
      expect(statSync(logs).mode & 0o777).toBe(0o700);
    }
  });

  it('rotates by size and keeps N files, newest in roost.log', async () => {
    const logs = await dir();
    const log = createRotatingLog({ dir: logs, maxBytes: 100, files: 3 });
    for (let i = 0; i < 10; i++) log.writeLine(`line ${i} ${'x'.repeat(30)}`); // 39 bytes each
    log.close();
    const files = listLogFiles(logs);
    expect(files.map((f) => f.slice(logs.length + 1))).toEqual([
      'roost.log.2',
      'roost.log.1',
      'roost.log',
    ]);
    const read = (f: string) => readFileSync(join(logs, f), 'utf8');
    expect(read('roost.log')).toMatch(/^line 8 .*\nline 9 .*\n$/);
    expect(read('roost.log.1')).toMatch(/^line 6 .*\nline 7 .*\n$/);
    expect(read('roost.log.2')).toMatch(/^line 4 .*\nline 5 .*\n$/);
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(100);
    if (process.platform !== 'win32') {
      for (const f of files) expect(statSync(f).mode & 0o777).toBe(0o600);
    }
  });

  it('continues an existing file, tightening its mode, and counts its size', async () => {
    const logs = await dir();
    writeFileSync(join(logs, 'roost.log'), 'x'.repeat(90) + '\n');
    chmodSync(join(logs, 'roost.log'), 0o644);
    const log = createRotatingLog({ dir: logs, maxBytes: 100, files: 2 });
    log.writeLine('next line that does not fit');
    log.close();
    expect(readFileSync(join(logs, 'roost.log'), 'utf8')).toBe('next line that does not fit\n');
    expect(readFileSync(join(logs, 'roost.log.1'), 'utf8')).toHaveLength(91);
    if (process.platform !== 'win32') {
      expect(statSync(join(logs, 'roost.log.1')).mode & 0o777).toBe(0o600);
    }
  });

  it('keeps multi-line messages on indented lines and truncates a huge line', async () => {
    const logs = await dir();
    const log = createRotatingLog({ dir: logs, maxBytes: 200 });
    log.writeLine('first\nsecond');
    log.writeLine('y'.repeat(1000));
    log.close();
    const text = readFileSync(log.path, 'utf8');
    expect(text.startsWith('first\n    second\nyyy')).toBe(true);
    expect(text).toMatch(/y …\[truncated\]\n$/);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(200);
  });

  it('never throws when the file cannot be written, and says so once', async () => {
    const parent = await dir();
    writeFileSync(join(parent, 'blocked'), 'a file where the folder should be');
    const onError = vi.fn();
    const log = createRotatingLog({ dir: join(parent, 'blocked'), onError });
    expect(() => {
      log.writeLine('a');
      log.writeLine('b');
    }).not.toThrow();
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('uses the redactor it is given, e.g. one that knows the API token', async () => {
    const logs = await dir();
    const token = 'Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4';
    const log = createRotatingLog({
      dir: logs,
      redactor: createRedactor({ knownSecrets: () => [token] }),
    });
    log.writeLine(`serving with ${token}`);
    log.close();
    expect(readFileSync(log.path, 'utf8')).toBe('serving with [redacted:secret]\n');
  });
});

describe('sinks', () => {
  it('redactingSink scrubs entries on their way to another sink (stderr)', () => {
    const seen: LogEntry[] = [];
    const sink = redactingSink((e) => seen.push(e));
    sink(entry('unlock password=hunter2'));
    expect(seen[0]?.message).toBe('unlock password=[redacted]');
  });

  it('teeSinks writes to all, even when one throws', () => {
    const seen: string[] = [];
    const tee = teeSinks(
      () => {
        throw new Error('broken');
      },
      (e) => seen.push(e.message),
    );
    tee(entry('hello'));
    expect(seen).toEqual(['hello']);
  });
});
