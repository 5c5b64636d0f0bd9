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

  it('roost job add queues jobs in the running Roost and returns; roost job wait waits for them', async () => {
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
    // Whole numbers where the model takes float32: taken, then failed before it runs.
    const ints = join(dir.path, 'ints.npy');
    await writeFile(ints, encodeNpy('int32', [2], Int32Array.from([1, 2])));
    const add = async (input: string) => {
      const added = await roost([
        'job',
        'add',
        '--model',
        model,
        '--input',
        `x=${input}`,
        '--ep',
        'cpu',
        '--data-dir',
        dir.path,
      ]);
      expect(added.code).toBe(0);
      const id = /^Job (job-[\w-]+) queued; wait for it with: roost job wait \1\n$/.exec(
        added.stdout,
      )?.[1];
      expect(id, added.stdout).toBeDefined();
      return id!;
    };
    const good = await add(x);
    const waited = await roost(['job', 'wait', good, '--data-dir', dir.path]);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toBe(
      `Job ${good} (relu.onnx) done on CPU, 1 input set: outputs in ${join(dir.path, 'jobs', good, 'out')}\n`,
    );
    const shown = await roost(['job', 'show', good, '--json', '--data-dir', dir.path]);
    expect((JSON.parse(shown.stdout) as { state: string }).state).toBe('done');

    // One that fails, and one done already: said each, exit 1, as JSON too.
    const bad = await add(ints);
    const both = await roost(['job', 'wait', bad, good, '--json', '--data-dir', dir.path]);
    expect(both.code).toBe(1);
    const printed = JSON.parse(both.stdout) as { jobs: { id: string; state: string }[] };
    expect(printed.jobs.map((j) => [j.id, j.state])).toEqual([
      [bad, 'failed'],
      [good, 'done'],
    ]);
    const words = await roost(['job', 'wait', bad, '--data-dir', dir.path]);
    expect(words.code).toBe(1);
    expect(words.stderr).toMatch(
      new RegExp(`^Error: Job ${bad} \\(relu.onnx\\) failed: input "x" of set 0 is int32`),
    );
    const unknown = await roost(['job', 'wait', 'job-nope', '--data-dir', dir.path]);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'Error: No job job-nope. roost job list shows your jobs.\n',
    });
    const usage = await roost(['job', 'wait', good, '--timeout', 'soon', '--data-dir', dir.path]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--timeout takes how long to wait: 90s, 30m, 2h');
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
