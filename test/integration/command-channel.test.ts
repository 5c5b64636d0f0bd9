/**
 * `roost` commands while the desktop app runs: they go through the app's command channel (a Unix
 * socket in the data folder) instead of refusing. Electron can't start here, so the app is a
 * stand-in process hosting the agent and the channel the way electron/main.ts does; the `roost`
 * commands are the real CLI, each its own process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { access, lstat, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_FILE } from '../../agent/api/command-channel.ts';
import { LOCK_FILE } from '../../agent/store/instance-lock.ts';
import { decodeNpy, encodeNpy } from '../../worker/npy.ts';
import { reluAddModel } from '../fixtures/jobs/models.ts';
import { runRoost } from '../support/roost-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const STAND_IN = fileURLToPath(new URL('../support/desktop-app-stand-in.ts', import.meta.url));

interface App {
  child: ChildProcess;
  socket: string;
  exited: Promise<number | null>;
  stderr: () => string;
}

const apps: App[] = [];
const dirs: { remove: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) {
    if (app.child.exitCode === null && app.child.signalCode === null) {
      app.child.kill('SIGKILL');
      await app.exited;
    }
  }
  for (const dir of dirs.splice(0)) await dir.remove();
});

async function folder(prefix = 'roost-app-'): Promise<string> {
  const dir = await tempDir(prefix);
  dirs.push(dir);
  return dir.path;
}

async function startApp(dataDir: string): Promise<App> {
  const child = spawn(process.execPath, [STAND_IN, dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start:\n${stderr}`)), 30_000);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with ${code} before it started:\n${stderr}`));
    });
  });
  expect(line).toMatch(/^ready /);
  const app = { child, socket: line.slice('ready '.length), exited, stderr: () => stderr };
  apps.push(app);
  return app;
}

/** One raw request over the socket, as any local program could send it. */
function rawCall(
  socket: string,
  method: string,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        method: 'POST',
        path: `/api/${method}`,
        headers: {
          Host: 'localhost',
          'Content-Type': 'application/json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('roost commands while the desktop app runs', () => {
  it('go through the app: status, settings and a private job run in the app’s agent', async () => {
    const data = await folder();
    const app = await startApp(data);
    expect(app.socket).toBe(join(data, 'agent.sock'));
    expect((await lstat(app.socket)).isSocket()).toBe(true);
    expect((await stat(app.socket)).mode & 0o777).toBe(0o600);
    expect((await stat(join(data, APP_FILE))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(data, APP_FILE), 'utf8'))).toMatchObject({
      pid: app.child.pid,
      socket: app.socket,
    });

    const status = await runRoost(['status', '--data-dir', data]);
    expect(status).toMatchObject({ code: 0 });
    expect(status.stdout).toContain('Roost is running (electron, at the desktop app)');
    expect(
      JSON.parse((await runRoost(['status', '--json', '--data-dir', data])).stdout),
    ).toMatchObject({ host: 'electron', dataDir: data });

    const set = await runRoost([
      'settings',
      'set',
      'work.maxTemperatureC',
      '78',
      '--data-dir',
      data,
    ]);
    expect(set).toMatchObject({ code: 0, stdout: 'work.maxTemperatureC = 78\n' });
    // The app wrote it (it holds the folder; no second agent could have).
    expect(app.stderr()).toContain('78');

    // y = relu(x) + x, run by the app's agent and its worker.
    await writeFile(join(data, '..', 'model.onnx'), reluAddModel());
    await writeFile(
      join(data, '..', 'x.npy'),
      encodeNpy('float32', [2, 3], Float32Array.from([-1, 2, -3, 4, -5, 6])),
    );
    const out = join(data, '..', 'out');
    const run = await runRoost([
      'job',
      'run',
      '--model',
      join(data, '..', 'model.onnx'),
      '--input',
      `x=${join(data, '..', 'x.npy')}`,
      '--out',
      out,
      '--ep',
      'cpu',
      '--data-dir',
      data,
    ]);
    expect(run.stderr).not.toContain('Error');
    expect(run.code).toBe(0);
    const npy = (await readdir(out)).find((f) => f.endsWith('.npy'))!;
    const y = decodeNpy(new Uint8Array(await readFile(join(out, npy))));
    if (!y.ok) throw new Error(y.error);
    expect(Array.from(y.value.data as Float32Array)).toEqual([-1, 4, -3, 8, -5, 12]);
    const list = await runRoost(['job', 'list', '--json', '--data-dir', data]);
    expect(JSON.parse(list.stdout).jobs).toHaveLength(1);
  });

  it('refuses a caller without the data folder’s token, on the socket too', async () => {
    const data = await folder();
    const app = await startApp(data);
    const none = await rawCall(app.socket, 'agent.status');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const wrong = await rawCall(app.socket, 'agent.status', 'x'.repeat(43));
    expect(wrong.status).toBe(401);
    const token = (await readFile(join(data, 'api-token'), 'utf8')).trim();
    const right = await rawCall(app.socket, 'agent.status', token);
    expect(right).toMatchObject({ status: 200, body: { ok: true, value: { host: 'electron' } } });
  });

  it('after Quit the channel is gone and a command runs an agent of its own', async () => {
    const data = await folder();
    const app = await startApp(data);
    app.child.kill('SIGTERM');
    expect(await app.exited, app.stderr()).toBe(0);
    await expect(access(app.socket)).rejects.toThrow();
    await expect(access(join(data, APP_FILE))).rejects.toThrow();
    const status = await runRoost(['status', '--data-dir', data]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Roost is not running for this data folder');
  });

  it('after a crash (kill -9) commands run on their own, and the app starts again over the leftovers', async () => {
    const data = await folder();
    const first = await startApp(data);
    first.child.kill('SIGKILL');
    await first.exited;
    // What the crash left behind: the socket, app.json and the lock, all naming a dead process.
    expect((await lstat(first.socket)).isSocket()).toBe(true);
    await access(join(data, APP_FILE));
    await access(join(data, LOCK_FILE));
    const status = await runRoost(['status', '--data-dir', data]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Roost is not running for this data folder');

    const second = await startApp(data);
    expect(second.socket).toBe(first.socket);
    const again = await runRoost(['status', '--data-dir', data]);
    expect(again.stdout).toContain('Roost is running (electron, at the desktop app)');
  });

  it('with a data folder too deep for a socket path, uses a private folder in the temp dir', async () => {
    const data = join(await folder(), 'a'.repeat(60), 'b'.repeat(60));
    const app = await startApp(data);
    expect(app.socket.startsWith(data)).toBe(false);
    expect((await stat(join(app.socket, '..'))).mode & 0o777).toBe(0o700);
    const status = await runRoost(['status', '--data-dir', data]);
    expect(status.stdout).toContain('Roost is running (electron, at the desktop app)');
    app.child.kill('SIGTERM');
    await app.exited;
    await expect(access(app.socket)).rejects.toThrow();
  });
});
