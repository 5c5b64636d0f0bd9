import { afterEach, describe, expect, it } from 'vitest';
import { access, readFile, writeFile } from 'node:fs/promises';
import { encodeModel, valueInfo } from '../fixtures/jobs/models.ts';
import { encodeNpy } from '../../worker/npy.ts';
import { join } from 'node:path';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runRoost } from '../support/roost-cli.ts';

const roost = (args: string[]) => runRoost(args);

describe('roost serve as a process', () => {
  const running: ServeProcess[] = [];
  const dirs: { remove: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop('SIGKILL');
    for (const d of dirs.splice(0)) await d.remove();
  });

  async function start(dataDir: string) {
    const p = await startServeProcess(dataDir);
    running.push(p);
    return p;
  }

  it.each(['SIGTERM', 'SIGINT'] as const)('shuts down cleanly on %s', async (signal) => {
    const dir = await tempDir();
    dirs.push(dir);
    const p = await start(dir.path);
    expect(JSON.parse(await readFile(join(dir.path, 'serve.json'), 'utf8')).pid).toBe(p.child.pid);
    expect(await p.stop(signal)).toBe(0);
    expect(p.stderr()).toContain(`${signal} received`);
    await expect(access(join(dir.path, 'serve.json'))).rejects.toThrow();
    await expect(fetch(`${p.base}/`)).rejects.toThrow();
  });

  it('the CLI talks to the running server of its data folder', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const p = await start(dir.path);
    const events = await fetch(`${p.base}/api/events`, {
      headers: { Authorization: `Bearer ${p.token}` },
    });
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    const set = await roost([
      'settings',
      'set',
      'work.maxTemperatureC',
      '78',
      '--data-dir',
      dir.path,
    ]);
    expect(set).toMatchObject({ code: 0, stdout: 'work.maxTemperatureC = 78\n' });
    // The server saw the change itself (it would have been lost had the CLI written the file behind its back).
    let text = '';
    while (!text.includes('settings.changed')) text += (await reader.read()).value ?? '';
    await reader.cancel();
    const status = await roost(['status', '--data-dir', dir.path]);
    expect(status.stdout).toContain(`Roost is running (serve, at ${p.base})`);
  });

  it('roost job add queues a job in the running Roost and returns; the Roost runs it', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    await start(dir.path);
    const model = join(dir.path, 'relu.onnx');
    await writeFile(
      model,
      encodeModel({
        nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
        inputs: [valueInfo('x', 'float32', [2])],
        outputs: [valueInfo('y', 'float32', [2])],
      }),
    );
    const x = join(dir.path, 'x.npy');
    await writeFile(x, encodeNpy('float32', [2], Float32Array.from([-1, 3])));
    const added = await roost([
      'job',
      'add',
      '--model',
      model,
      '--input',
      `x=${x}`,
      '--ep',
      'cpu',
      '--data-dir',
      dir.path,
    ]);
    expect(added.code).toBe(0);
    const id = /^Job (job-[\w-]+) queued; follow it with: roost job show \1\n$/.exec(
      added.stdout,
    )?.[1];
    expect(id, added.stdout).toBeDefined();
    let state = '';
    for (let i = 0; i < 300 && !['done', 'failed', 'cancelled'].includes(state); i++) {
      const shown = await roost(['job', 'show', id!, '--json', '--data-dir', dir.path]);
      state = (JSON.parse(shown.stdout) as { state: string }).state;
      if (state !== 'done') await new Promise((r) => setTimeout(r, 200));
    }
    expect(state).toBe('done');
  });

  it('works on the chain and market given by --rpc and --market, saved in Settings', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const market = '0x' + '1f'.repeat(20);
    running.push(
      await startServeProcess(dir.path, ['--rpc', 'http://127.0.0.1:8545', '--market', market]),
    );
    const got = await roost(['settings', 'get', '--json', '--data-dir', dir.path]);
    expect(JSON.parse(got.stdout).network).toEqual({
      name: 'custom',
      rpcUrl: 'http://127.0.0.1:8545',
      marketAddress: market,
      tokens: 'unknown',
    });
    const bad = await roost([
      'serve',
      '--port',
      '0',
      '--rpc',
      'http://127.0.0.1:8545',
      '--market',
      '0xnope',
      '--data-dir',
      join(dir.path, 'other'),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('network.marketAddress must be a 0x-prefixed 20-byte address');
  });

  it('refuses to serve a data folder that is already served', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const p = await start(dir.path);
    const second = await roost(['serve', '--port', '0', '--data-dir', dir.path]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `Roost is already serving this data folder at http://127.0.0.1:${p.port}/`,
    );
  });

  it('recovers from a serve that was killed with -9: the stale serve.json is ignored', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const p = await start(dir.path);
    await p.stop('SIGKILL');
    const again = await start(dir.path);
    expect(again.token).toBe(p.token);
    const local = await roost(['settings', 'get', 'server.port', '--data-dir', dir.path]);
    expect(local.code).toBe(0);
  });
});
