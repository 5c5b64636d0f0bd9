import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { argsProblem, commands, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli.ts';
import { devnetStartProblem } from './cli/devnet.ts';
import { parseSettingValue } from './cli/settings.ts';
import { tempDir } from '../test/support/temp-dir.ts';
import { serve, ServeError } from './serve.ts';
import { LOCK_FILE } from './store/instance-lock.ts';
import { encodeModel, valueInfo } from '../test/fixtures/jobs/models.ts';
import { encodeNpy } from '../worker/npy.ts';
import { runCliCaptured } from './cli/testing/run.ts';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

const roost = (...args: string[]) => runCliCaptured(args, { ROOST_DATA_DIR: dir.path });

describe('roost CLI', () => {
  it('prints help with every command, exit 0', async () => {
    const r = await roost('--help');
    expect(r.code).toBe(EXIT_OK);
    for (const c of ['serve', 'settings', 'version', 'status', 'api'])
      expect(r.stdout).toContain(`  ${c}`);
    expect((await roost('settings', '--help')).stdout).toContain(
      'roost settings set <key> <value>',
    );
  });

  it('answers a wrong command line with exit 2 and a hint on stderr', async () => {
    const unknown = await roost('frobnicate');
    expect(unknown).toMatchObject({ code: EXIT_USAGE, stdout: '' });
    expect(unknown.stderr).toContain('Unknown command "frobnicate". Run roost --help');
    const badFlag = await roost('version', '--colour');
    expect(badFlag.code).toBe(EXIT_USAGE);
    expect(badFlag.stderr).toMatch(/Unknown option '--colour'/);
    const badKey = await roost('settings', 'set', 'work.idle', '5');
    expect(badKey.code).toBe(EXIT_USAGE);
    expect(badKey.stderr).toContain('There is no setting "work.idle"');
    expect(badKey.stderr).toContain('work.idleMinutes');
    expect((await roost('settings', 'set', 'work.idleMinutes', 'soon')).stderr).toContain(
      'takes a number (got "soon")',
    );
  });

  it('says Roost is not running when status had to start its own agent', async () => {
    const r = await roost('status');
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toMatch(/^Roost is not running for this data folder \(start it with/);
    expect(r.stdout).toContain(`Data folder: ${dir.path}`);
  });

  it('starts every error line with "Error:", on stderr', async () => {
    const usage = await roost('frobnicate');
    expect(usage.stderr).toMatch(/^Error: Unknown command/);
    const refused = await roost('settings', 'set', 'work.idleMinutes', '500');
    expect(refused.code).toBe(EXIT_FAILURE);
    expect(refused.stderr).toMatch(/^Error: /);
  });

  it('refuses an unknown --ep before any progress line, naming the ones to use', async () => {
    // A value no machine takes is a wrong command line: exit 2, as roost market post-job.
    const bench = await roost('bench', '--ep', 'tpu');
    expect(bench).toMatchObject({ code: EXIT_USAGE, stdout: '' });
    expect(bench.stderr).toBe(
      'Error: Unknown execution provider "tpu" in --ep: use one of cpu, webgpu, cuda, tensorrt, dml, coreml.\n',
    );
    expect((await roost('bench', '--preset', 'fast')).stderr).toContain(
      'Error: Unknown preset "fast" in --preset: use one of quick, standard, precise.',
    );
    const job = await roost(
      'job',
      'run',
      '--model',
      '/m.onnx',
      '--input',
      'x=/x.npy',
      '--ep',
      'webgpu,tpu',
    );
    expect(job).toMatchObject({ code: EXIT_USAGE, stdout: '' });
    expect(job.stderr).toBe(
      'Error: Unknown execution provider "tpu" in --ep: use one of cpu, webgpu, cuda, tensorrt, dml, coreml.\n',
    );
    const asJson = await roost('bench', '--ep', 'tpu', '--json');
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      ok: false,
      error: { code: 'USAGE' },
    });
  });

  /** A model that takes x, 2×2 float32, and gives y = Relu(x). */
  const writeRelu2x2 = (path: string) =>
    writeFile(
      path,
      encodeModel({
        nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
        inputs: [valueInfo('x', 'float32', [2, 2])],
        outputs: [valueInfo('y', 'float32', [2, 2])],
      }),
    );

  it('says a failed job once, as its Error line, not also as a warning', async () => {
    const model = join(dir.path, 'model.onnx');
    const input = join(dir.path, 'x.npy');
    await writeRelu2x2(model);
    await writeFile(input, encodeNpy('float32', [3, 2], new Float32Array(6)));
    const r = await roost('job', 'run', '--model', model, '--input', `x=${input}`);
    expect(r.code).toBe(EXIT_FAILURE);
    const failures = r.stderr.split('\n').filter((l) => l.includes('but the model wants 2×2'));
    expect(failures).toEqual([
      expect.stringMatching(/^Error: Job job-[\w-]+ failed: input "x" of set 0 has shape 3×2/),
    ]);
  });

  it('shows each output of a job at a glance with roost job show --preview', async () => {
    const model = join(dir.path, 'relu.onnx');
    const input = join(dir.path, 'x4.npy');
    await writeRelu2x2(model);
    await writeFile(input, encodeNpy('float32', [2, 2], Float32Array.from([-1, 2, NaN, 4])));
    const ran = await roost('job', 'run', '--model', model, '--input', `x=${input}`, '--json');
    expect(ran.code).toBe(EXIT_OK);
    const id = (JSON.parse(ran.stdout) as { id: string }).id;
    const shown = await roost('job', 'show', id, '--preview');
    expect(shown.code).toBe(EXIT_OK);
    expect(shown.stdout).toMatch(
      /\n {2}y: y\.npy \(float32 \[2,2\]\)\n {4}1 value is NaN\.\n {4}4 values · min 0 · max 4 · mean 2 · first: 0, 2, NaN, 4\n/,
    );
    const json = JSON.parse((await roost('job', 'show', id, '--preview', '--json')).stdout);
    expect(json.previews).toEqual([
      expect.objectContaining({
        file: 'y.npy',
        preview: expect.objectContaining({ nan: 1, max: 4 }),
      }),
    ]);
    // Only show takes it.
    const misplaced = await roost('job', 'list', '--preview');
    expect(misplaced).toMatchObject({ code: EXIT_USAGE });
    expect(misplaced.stderr).toContain('--preview belongs to roost job show');
  });

  it('says where the job spec format is described, and prints its JSON Schema', async () => {
    const help = await roost('job', '--help');
    expect(help.stdout).toContain('roost.job/1');
    expect(help.stdout).toContain('roost job schema prints its JSON Schema');
    expect(help.stdout).toContain('"Jobs and the sandbox"');
    const schema = await roost('job', 'schema');
    expect(schema.code).toBe(EXIT_OK);
    expect(JSON.parse(schema.stdout)).toMatchObject({
      $id: 'https://roost.dev/schemas/roost.job-1.json',
      required: expect.arrayContaining(['format', 'model', 'inputs']),
    });
  });

  it('answers a bad job spec in plain words and points to the format', async () => {
    const file = join(dir.path, 'spec.json');
    await writeFile(file, JSON.stringify({ format: 'roost.job/1', model: 5 }));
    const bad = await roost('job', 'submit', file);
    expect(bad.code).toBe(EXIT_FAILURE);
    expect(bad.stderr).toBe(
      'Error: model must be an object with uri, sha256 and bytes (got 5); inputs is missing. The roost.job/1 format: roost job --help, and its JSON Schema: roost job schema.\n',
    );
    await writeFile(file, '{"format": ');
    expect((await roost('job', 'submit', file)).stderr).toMatch(
      /^Error: The job spec .*spec\.json is not JSON .*roost job schema\.\n$/,
    );
    const none = await roost('job', 'submit', join(dir.path, 'nope.json'));
    expect(none).toMatchObject({ code: EXIT_FAILURE });
    expect(none.stderr).toBe(`Error: No file at ${join(dir.path, 'nope.json')}.\n`);
  });

  it('prints versions, as JSON with --json', async () => {
    const r = await roost('version', '--json');
    expect(r.code).toBe(EXIT_OK);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ contract: 1, node: process.versions.node });
    expect(
      JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version,
    ).toBe(v.roost);
  });

  it('sets and gets a setting, kept in the data folder', async () => {
    const set = await roost('settings', 'set', 'work.idleMinutes', '25');
    expect(set).toMatchObject({ code: EXIT_OK, stdout: 'work.idleMinutes = 25\n' });
    expect((await roost('settings', 'get', 'work.idleMinutes')).stdout).toBe('25\n');
    const all = JSON.parse((await roost('settings', 'get', '--json')).stdout);
    expect(all.work.idleMinutes).toBe(25);
    const onDisk = JSON.parse(await readFile(join(dir.path, 'settings.json'), 'utf8'));
    expect(onDisk.settings.work.idleMinutes).toBe(25);
    expect((await roost('settings', 'set', 'network.rpcUrl', 'none')).stdout).toBe(
      'network.rpcUrl = none\n',
    );
  });

  it("takes the user's word on a custom network's tokens, and refuses a word it doesn't know", async () => {
    expect((await roost('settings', 'set', 'network.tokens', 'test')).stdout).toBe(
      'network.tokens = test\n',
    );
    const r = await roost('settings', 'set', 'network.tokens', 'worthless');
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stderr).toMatch(/network\.tokens.*unknown.*test.*real/);
    expect((await roost('settings', 'get', 'network.tokens')).stdout).toBe('test\n');
  });

  it('refuses an out-of-range value with exit 1, changing nothing', async () => {
    const r = await roost('settings', 'set', 'work.idleMinutes', '500', '--json');
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stderr).toContain('work.idleMinutes must be at most 240 (got 500)');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    expect((await roost('settings', 'get', 'work.idleMinutes')).stdout).toBe('10\n');
  });

  it('calls any method through roost api', async () => {
    expect((await roost('api', '--list')).stdout).toContain('settings.update');
    const r = await roost('api', 'settings.update', '{"pricing":{"currency":"USD"}}', '--json');
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.stdout).pricing.currency).toBe('USD');
    expect((await roost('api', 'settings.update', '{oops')).code).toBe(EXIT_USAGE);
    expect((await roost('api', 'nope.nothing')).code).toBe(EXIT_USAGE);
  });

  it('says what is wrong with serve --port', async () => {
    const r = await roost('serve', '--port', 'eighty');
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain('--port must be a whole number');
  });
});

describe('parseSettingValue', () => {
  it('converts text to the type of the setting', () => {
    expect(parseSettingValue('work', 'idleMinutes', '15')).toBe(15);
    expect(parseSettingValue('work', 'pauseWhileGaming', 'off')).toBe(false);
    expect(parseSettingValue('general', 'startAtLogin', 'yes')).toBe(true);
    expect(parseSettingValue('network', 'marketAddress', 'none')).toBeNull();
    expect(parseSettingValue('pricing', 'currency', 'USD')).toBe('USD');
    expect(() => parseSettingValue('general', 'startAtLogin', 'maybe')).toThrow(/true or false/);
  });
});

describe('roost work and roost support', () => {
  it('reads --until as a clock time, a duration or a date', async () => {
    const { parseUntil } = await import('./cli/work.ts');
    const now = new Date('2026-11-25T10:00:00');
    expect(parseUntil('2h', now)?.getTime()).toBe(now.getTime() + 7_200_000);
    expect(parseUntil('45m', now)?.getTime()).toBe(now.getTime() + 2_700_000);
    expect(parseUntil('18:30', now)?.getHours()).toBe(18);
    expect(parseUntil('09:00', now)?.getDate()).toBe(26);
    expect(parseUntil('2026-12-01T08:00', now)).toBeInstanceOf(Date);
    expect(parseUntil('2001-01-01T08:00', now)).toBeUndefined();
    expect(parseUntil('soon', now)).toBeUndefined();
    expect((await roost('work', 'pause', '--until', 'soon')).code).toBe(EXIT_USAGE);
  });

  it('says a device is ready (not working) when work is allowed but no job runs', async () => {
    const r = await roost('work', 'status');
    expect(r.code, r.stderr).toBe(EXIT_OK);
    // This machine, headless: no desktop session to watch, so work is allowed now.
    expect(r.stdout).toMatch(/^\S+ {2}(ready|idle|paused) {2,}\S/m);
    expect(r.stdout).not.toMatch(/working/i);
  });

  it('writes a support bundle where asked, and refuses a name that is not a zip', async () => {
    const out = join(dir.path, 'bundle.zip');
    const r = await roost('support', 'bundle', '--out', out, '--json');
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.stdout).path).toBe(out);
    const bad = await roost('support', 'bundle', '--out', join(dir.path, 'bundle.txt'));
    expect(bad.code).toBe(EXIT_FAILURE);
    expect(bad.stderr).toContain('ending in .zip');
  });

  it('sets list settings and time windows in words', async () => {
    expect((await roost('settings', 'set', 'work.windows', 'mon-fri 22:00-07:00')).stdout).toBe(
      'work.windows = mon-fri 22:00-07:00\n',
    );
    expect(
      (await roost('settings', 'set', 'work.gameProcesses', 'cs2, eldenring.exe')).stdout,
    ).toBe('work.gameProcesses = cs2, eldenring.exe\n');
    const bad = await roost('settings', 'set', 'work.windows', 'weekdays 9-5');
    expect(bad.code).toBe(EXIT_USAGE);
    expect(bad.stderr).toContain('write it like mon-fri 22:00-07:00');
  });
});

describe('roost earnings', () => {
  it('says a benchmark is needed first, and writes the payouts CSV with its header', async () => {
    expect((await roost('earnings')).stdout).toContain('No benchmark yet');
    const out = join(dir.path, 'payouts.csv');
    const r = await roost('earnings', '--csv', out);
    expect(r.code).toBe(EXIT_OK);
    expect((await readFile(out, 'utf8')).split('\r\n')[0]).toBe(
      'date,kind,amount,token,network,value,currency,job_id,gpu_id,tx_hash,block_number,record_id',
    );
  });
});

describe('roost devnet options', () => {
  it('takes no --rpc or --market (those belong to roost serve)', async () => {
    const r = await roost(
      'devnet',
      '--rpc',
      'http://127.0.0.1:1',
      '--market',
      '0x' + '11'.repeat(20),
    );
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/Unknown option '--rpc'/);
  });
});

describe('answers to a wrong command line', () => {
  it("says a flag needs a value, or takes none, in the flag's words", async () => {
    const r = await roost('earnings', '--csv');
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/^Error: --csv needs a value\.\nUsage: roost earnings/);
    expect((await roost('version', '--json=yes')).stderr).toMatch(
      /^Error: --json takes no value\./,
    );
    // Followed by another option, a flag is told it needs a value, not that it is "ambiguous".
    const dashed = await roost('work', 'pause', '--until', '--json');
    expect(dashed.code).toBe(EXIT_USAGE);
    expect(dashed.stderr).toMatch(
      /^Error: --until needs a value, and the word after it starts with "-"\. A value that starts with "-" is written --until=<value>\.\nUsage: roost work/,
    );
    expect(argsProblem("Unknown option '--colour'. To specify a positional argument …")).toBe(
      "Unknown option '--colour'.",
    );
  });

  it('tells how to give a value that starts with "-", and takes it that way', async () => {
    const r = await roost('settings', 'set', 'work.idleMinutes', '-5');
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain('A value that starts with "-" goes after --, e.g. -- -5.');
    const after = await roost('settings', 'set', 'work.idleMinutes', '--', '-5');
    // Understood as a value now: the agent judges it (too small), not the command line.
    expect(after.code).toBe(EXIT_FAILURE);
    expect(after.stderr).toContain('work.idleMinutes must be at least');
  });

  it('refuses words a command takes none of, naming them', async () => {
    for (const command of ['status', 'version', 'detect', 'earnings', 'bench']) {
      const r = await roost(command, 'now');
      expect(r.code, command).toBe(EXIT_USAGE);
      expect(r.stderr, command).toMatch(/^Error: Unexpected "now"\.\nUsage: roost /);
    }
  });

  it('says what is missing or unknown rather than "Error: Usage:"', async () => {
    const cases: [string[], string][] = [
      [['report'], 'Say what to do: roost report verify <file>, or roost report export <file>.'],
      [['report', 'verify'], 'Say which report: roost report verify <report.json>.'],
      [['report', 'frob', 'x'], 'Unknown report action "frob": use verify or export.'],
      [['support'], 'Say what to do: roost support bundle.'],
      [['support', 'frob'], 'Unknown support action "frob": use bundle.'],
      [['api'], 'Say which method: roost api --list shows them.'],
      [['job', 'submit'], 'Say which spec: roost job submit <spec.json>.'],
      [['job', 'show'], 'Say which job: roost job show <id> (roost job list shows them).'],
      [['wallet', 'send'], 'Say where to and how much: roost wallet send <address> <amount|all>.'],
      [['wallet', 'backup'], 'Say where to write it: roost wallet backup --out <file.json>.'],
    ];
    for (const [args, message] of cases) {
      const r = await roost(...args);
      expect(r.code, args.join(' ')).toBe(EXIT_USAGE);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^Error: ${escape(message)}\nUsage: `));
    }
  });

  it('tells roost bench that it measures one accelerator at a time', async () => {
    const r = await roost('bench', '--ep', 'cpu,webgpu');
    expect(r).toMatchObject({ code: EXIT_USAGE, stdout: '' });
    expect(r.stderr).toBe(
      'Error: --ep takes one execution provider (got "cpu,webgpu"): roost bench measures one at a time.\n',
    );
  });

  it('says an unknown --ep to roost market post-job as roost bench and roost job run do', async () => {
    const r = await roost(
      'market',
      'post-job',
      '--model',
      '/m.onnx',
      '--input',
      'x=/x.npy',
      '--price',
      '1',
      '--ep',
      'webgpu,tpu',
    );
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(
      /^Error: Unknown execution provider "tpu" in --ep: use one of cpu, webgpu, cuda, tensorrt, dml, coreml\.\n/,
    );
  });
});

describe('answers about files and ids', () => {
  it('says a report file is not there, in words and in --json', async () => {
    const missing = join(dir.path, 'nope.json');
    const r = await roost('report', 'verify', missing);
    expect(r).toEqual({
      code: EXIT_FAILURE,
      stdout: '',
      stderr: `Error: No file at ${missing}.\n`,
    });
    const json = await roost('report', 'verify', missing, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      error: { message: `No file at ${missing}.` },
    });
  });

  it('keeps the JSON complaint about a job spec on one line', async () => {
    const file = join(dir.path, 'spec.json');
    await writeFile(file, 'not json\n');
    const r = await roost('job', 'submit', file);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('says where the job ids are when one is unknown', async () => {
    for (const action of ['show', 'cancel']) {
      const r = await roost('job', action, 'nosuchid');
      expect(r.code).toBe(EXIT_FAILURE);
      expect(r.stderr).toMatch(/^Error: No job nosuchid\. roost job list shows your jobs\.\n$/);
    }
  });

  it('refuses a --gpu that is not here, and holds nothing', async () => {
    const r = await roost('work', 'pause', '--gpu', 'nosuch');
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stderr).toMatch(/^Error: There is no device "nosuch" here: --gpu takes one of \S/);
    const held = JSON.parse((await roost('work', 'status', '--json')).stdout);
    expect(held.holds).toEqual([]);
  });

  it('lists every setting with roost settings alone', async () => {
    const r = await roost('settings');
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toMatch(/^work\.idleMinutes +10 +Idle minutes/m);
  });

  it('lines up roost api --list', async () => {
    const lines = (await roost('api', '--list')).stdout.trimEnd().split('\n');
    const summaryAt = new Set(lines.map((line) => line.search(/ {2}\S/)));
    expect([...summaryAt]).toHaveLength(1);
  });

  it("says a devnet port is taken without the chain node's stack trace", () => {
    const trace =
      '[devnet] the node exited (1) before listening:\nnode:events:505\n    throw er;\n\nError: listen EADDRINUSE: address already in use 127.0.0.1:7999\n    at Server.setupListenHandle';
    expect(devnetStartProblem(trace, 7999)).toBe(
      'The local chain did not start: port 7999 on 127.0.0.1 is taken by another program. Choose another with --port <n>, or leave --port out for a free one.',
    );
    expect(
      devnetStartProblem(
        '[devnet] the node exited (1):\nnode:x\n    at y\nTypeError: bad thing\n    at z',
        undefined,
      ),
    ).toBe('The local chain did not start: [devnet] the node exited (1): TypeError: bad thing');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('roost <command> --help', () => {
  it('names every option a command takes, so none is a secret', async () => {
    for (const [name, command] of Object.entries(commands)) {
      const help = (await roost(name, '--help')).stdout;
      for (const option of Object.keys(command.options ?? {}))
        expect(help, `roost ${name} --help`).toContain(`--${option}`);
    }
  });

  it('says what the flags of the everyday commands do, beyond the usage line', async () => {
    for (const [name, flag] of [
      ['detect', '--force-probe'],
      ['work', '--release'],
      ['serve', '--no-devnet'],
      ['bench', '--preset'],
      ['wallet', '--replace'],
      ['earnings', '--csv'],
      ['support', '--out'],
    ] as const) {
      const help = (await roost(name, '--help')).stdout;
      const explained = help.split('\n').filter((line) => !/^(Usage: | {7}roost )/.test(line));
      expect(
        explained.some((line) => line.includes(flag)),
        `roost ${name} --help explains ${flag}`,
      ).toBe(true);
    }
  });
});

describe('while the desktop app holds the data folder', () => {
  /** The app's lock, held by a live process that is not this one (the test runner's parent). */
  async function appRunning(): Promise<number> {
    const pid = process.ppid;
    await writeFile(
      join(dir.path, LOCK_FILE),
      JSON.stringify({ pid, host: 'electron', startedAt: new Date().toISOString() }),
    );
    return pid;
  }

  // With its command channel open, commands go through the app: test/integration/command-channel.test.ts.
  it('without its command channel, roost status says the app runs, and other commands refuse to start a second Roost', async () => {
    const pid = await appRunning();
    const status = await roost('status');
    expect(status.code).toBe(EXIT_OK);
    expect(status.stdout).toMatch(
      new RegExp(`^Roost is running: Roost's desktop app \\(process ${pid}\\), since `),
    );
    expect(JSON.parse((await roost('status', '--json')).stdout)).toMatchObject({
      state: 'running',
      host: 'electron',
      pid,
    });
    const jobs = await roost('job', 'list');
    expect(jobs).toEqual({
      code: EXIT_FAILURE,
      stdout: '',
      stderr: `Error: Roost's desktop app (process ${pid}) holds this data folder but does not answer commands: it is starting (run the command again in a moment), or it could not open its command channel (its log says why; quit it and run the command again).\n`,
    });
    expect(JSON.parse((await roost('job', 'list', '--json')).stdout)).toMatchObject({
      ok: false,
      error: { code: 'ROOST_RUNNING' },
    });
  });

  it('roost serve refuses, names the app, and leaves its lock alone', async () => {
    const pid = await appRunning();
    const before = await readFile(join(dir.path, LOCK_FILE), 'utf8');
    await expect(serve({ dataDir: dir.path, port: 0, embeddedDevnet: false })).rejects.toThrow(
      new ServeError(
        `Roost's desktop app (process ${pid}) is already running with this data folder. Quit it first (Quit Roost in its tray menu), or use another data folder (--data-dir).`,
      ),
    );
    expect(await readFile(join(dir.path, LOCK_FILE), 'utf8')).toBe(before);
  });
});
