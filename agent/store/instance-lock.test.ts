import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import {
  InstanceLockError,
  LOCK_FILE,
  acquireInstanceLock,
  readLiveHolder,
  type LockHolder,
} from './instance-lock.ts';

let dir: { path: string; remove: () => Promise<void> };
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await dir.remove();
});

/** A real other process that takes the lock as `host` and holds it until killed. */
async function otherProcessHolding(host: LockHolder['host']): Promise<ChildProcess> {
  const lockModule = new URL('./instance-lock.ts', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { acquireInstanceLock } = await import(${JSON.stringify(lockModule)});
       await acquireInstanceLock(${JSON.stringify(dir.path)}, ${JSON.stringify(host)});
       process.stdout.write('held\\n');
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
  return child;
}

describe('the data folder lock', () => {
  it('refuses a second Roost while the first runs, naming it, and is taken over after kill -9', async () => {
    const app = await otherProcessHolding('electron');
    const refused = await acquireInstanceLock(dir.path, 'serve').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InstanceLockError);
    expect((refused as InstanceLockError).holder).toMatchObject({ pid: app.pid, host: 'electron' });
    expect((refused as Error).message).toBe(
      `Roost's desktop app (process ${app.pid}) is already running with this data folder. Quit it first (Quit Roost in its tray menu), or use another data folder (--data-dir).`,
    );
    expect(await readLiveHolder(dir.path)).toMatchObject({ pid: app.pid, host: 'electron' });
    // Refused, nothing changed: the holder's file is as it wrote it.
    expect(JSON.parse(await readFile(join(dir.path, LOCK_FILE), 'utf8')).pid).toBe(app.pid);

    app.kill('SIGKILL');
    await new Promise((r) => app.once('exit', r));
    expect(await readLiveHolder(dir.path)).toBeUndefined();
    const lock = await acquireInstanceLock(dir.path, 'serve');
    expect(lock.holder).toMatchObject({ pid: process.pid, host: 'serve' });
    if (process.platform !== 'win32')
      expect((await stat(join(dir.path, LOCK_FILE))).mode & 0o777).toBe(0o600);
    await lock.release();
    expect(await readLiveHolder(dir.path)).toBeUndefined();
  }, 30_000);

  it('names roost serve the way its own refusal is fixed: stop it where it runs', async () => {
    await otherProcessHolding('serve');
    await expect(acquireInstanceLock(dir.path, 'electron')).rejects.toThrow(
      /^roost serve \(process \d+\) is already running with this data folder\. Stop it first \(Ctrl-C where it runs\)/,
    );
  }, 30_000);

  it('takes over a lock from before the machine started, even if its process id is in use again', async () => {
    const stale: LockHolder = {
      pid: 4242,
      host: 'electron',
      startedAt: '2026-01-01T00:00:00.000Z',
    };
    await writeFile(join(dir.path, LOCK_FILE), JSON.stringify(stale));
    const probes = { alive: () => true, bootedAt: () => Date.parse('2026-06-01T00:00:00Z') };
    expect(await readLiveHolder(dir.path, probes)).toBeUndefined();
    const lock = await acquireInstanceLock(dir.path, 'serve', probes);
    expect(lock.holder.host).toBe('serve');
    // The same id, alive, started after the boot: that one is real.
    await lock.release();
    await writeFile(
      join(dir.path, LOCK_FILE),
      JSON.stringify({ ...stale, startedAt: '2026-07-01T00:00:00.000Z' }),
    );
    await expect(acquireInstanceLock(dir.path, 'serve', probes)).rejects.toBeInstanceOf(
      InstanceLockError,
    );
  });

  it('takes over a lock file that is not a lock (a half-written or edited file)', async () => {
    await writeFile(join(dir.path, LOCK_FILE), '{"pid": "nope"');
    const lock = await acquireInstanceLock(dir.path, 'serve');
    expect(JSON.parse(await readFile(join(dir.path, LOCK_FILE), 'utf8'))).toEqual(lock.holder);
  });

  it('lets exactly one of two Roosts starting at once have the folder', async () => {
    const alive = () => true;
    const results = await Promise.allSettled(
      [101, 202, 303].map((pid) => acquireInstanceLock(dir.path, 'serve', { pid, alive })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(InstanceLockError);
  });

  it('removes only its own lock on release', async () => {
    const alive = () => true;
    const first = await acquireInstanceLock(dir.path, 'serve', { pid: 101, alive });
    // Taken over meanwhile (the first was thought gone): releasing the first leaves the second's.
    await writeFile(
      join(dir.path, LOCK_FILE),
      JSON.stringify({ pid: 202, host: 'electron', startedAt: new Date().toISOString() }),
    );
    await first.release();
    expect(await readLiveHolder(dir.path, { alive })).toMatchObject({ pid: 202 });
  });
});
