import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTool } from '../agent/hardware/run-tool.ts';
import type { Spawner } from '../agent/hardware/run-tool.ts';
import { BENCH_MAX_LINE_BYTES } from '../worker/bench-protocol.ts';
import {
  builtHelperEntries,
  devnetEntryOf,
  HELPER_NAMES,
  planHelpers,
  sourceHelperEntries,
  sourceHelperSpawner,
} from './helpers.ts';
import type { NodeModuleExit } from '../contracts/devnet-process.ts';
import {
  builtEntryFor,
  createUtilityBenchSpawner,
  createUtilityModuleStarter,
  createUtilityToolSpawner,
} from './utility-helpers.ts';
import type { UtilityChild, UtilityForkOptions } from './utility-process.ts';
import { workerEntries } from './vite.worker.config.ts';

class FakeChild extends EventEmitter implements UtilityChild {
  pid: number | undefined = 77;
  stdout = new PassThrough();
  stderr = new PassThrough();
  posted: unknown[] = [];
  kills = 0;
  postMessage(message: unknown) {
    this.posted.push(message);
  }
  kill() {
    this.kills += 1;
    return true;
  }
}

function fakeFork(script?: (child: FakeChild) => void) {
  const calls: { modulePath: string; args: string[]; options: UtilityForkOptions }[] = [];
  const children: FakeChild[] = [];
  const fork = (modulePath: string, args: string[], options: UtilityForkOptions) => {
    calls.push({ modulePath, args, options });
    const child = new FakeChild();
    children.push(child);
    if (script) setImmediate(() => script(child));
    return child;
  };
  return { fork, calls, children };
}

const entries = builtHelperEntries('/app.asar');
const ELECTRON = '/opt/Roost/roost';

describe('which runtime starts the helpers', () => {
  it('from a checkout: the project Node 24 on the sources (the sandboxed node spawner)', () => {
    const plan = planHelpers({ isPackaged: false, appRoot: '/repo', nodeBinary: '/repo/node' });
    expect(plan).toMatchObject({
      kind: 'node',
      nodePath: '/repo/node',
      workerEntry: '/repo/worker/entry.ts',
      probeEntry: '/repo/worker/probe-entry.ts',
      benchEntry: '/repo/worker/bench-entry.ts',
      devnetEntry: '/repo/contracts/devnet-node.mjs',
    });
  });

  it("finds the devnet's node entry beside an asar only when there is one", () => {
    expect(devnetEntryOf('/opt/Roost/resources/app.asar')).toBe(
      '/opt/Roost/resources/app.asar.unpacked/contracts/devnet-node.mjs',
    );
    expect(devnetEntryOf('/repo')).toBe('/repo/contracts/devnet-node.mjs');
    expect(devnetEntryOf('/srv/my.app.asar.d')).toBe(
      '/srv/my.app.asar.d/contracts/devnet-node.mjs',
    );
  });

  it('installed: utility processes on the built entries, and the job says it has no OS sandbox', () => {
    const plan = planHelpers({ isPackaged: true, appRoot: '/app.asar', nodeBinary: '/repo/node' });
    expect(plan.kind).toBe('utility');
    if (plan.kind !== 'utility') return;
    expect(plan.entries).toEqual({
      entry: '/app.asar/dist/worker/entry.js',
      'probe-entry': '/app.asar/dist/worker/probe-entry.js',
      'bench-entry': '/app.asar/dist/worker/bench-entry.js',
      'si-graphics-child': '/app.asar/dist/worker/si-graphics-child.js',
    });
    expect(plan.why).toMatch(/installed app/);
    // The devnet's node is plain JavaScript that loads Hardhat from outside the asar.
    expect(plan.devnetEntry).toBe('/app.asar.unpacked/contracts/devnet-node.mjs');
    // A checkout without its Node 24 falls back to the built entries too.
    expect(planHelpers({ isPackaged: false, appRoot: '/r', nodeBinary: null }).kind).toBe(
      'utility',
    );
  });

  it('from a checkout, runs the systeminformation child from its source, not beside the bundle', () => {
    const seen: string[][] = [];
    const spawner = sourceHelperSpawner(
      (command, args) => {
        seen.push([command, ...args]);
        return new EventEmitter() as never;
      },
      '/repo/node',
      sourceHelperEntries('/repo'),
    );
    spawner('/repo/node', ['/repo/dist/electron/si-graphics-child.ts'], {});
    spawner('/repo/node', ['/repo/worker/probe-entry.ts', 'list'], {});
    spawner('nvidia-smi', ['-L'], {});
    spawner('/repo/node', ['/elsewhere/tool.js'], {});
    expect(seen).toEqual([
      ['/repo/node', '/repo/agent/hardware/si-graphics-child.ts'],
      ['/repo/node', '/repo/worker/probe-entry.ts', 'list'],
      ['nvidia-smi', '-L'],
      ['/repo/node', '/elsewhere/tool.js'],
    ]);
  });

  it('the worker build makes exactly the helpers the shell runs', () => {
    expect(Object.keys(workerEntries).sort()).toEqual([...HELPER_NAMES].sort());
    // and builds them from the sources a checkout runs
    const sources = sourceHelperEntries(fileURLToPath(new URL('../', import.meta.url)));
    for (const name of HELPER_NAMES) expect(workerEntries[name], name).toBe(sources[name]);
  });
});

describe('the allow-list of helper scripts', () => {
  it('maps a source or built helper to its built entry, and nothing else', () => {
    expect(builtEntryFor('/app.asar/worker/probe-entry.ts', entries)).toBe(entries['probe-entry']);
    expect(builtEntryFor('/app.asar/dist/electron/si-graphics-child.ts', entries)).toBe(
      entries['si-graphics-child'],
    );
    expect(builtEntryFor(entries['bench-entry'] as string, entries)).toBe(entries['bench-entry']);
    expect(builtEntryFor('/tmp/evil.js', entries)).toBeUndefined();
    expect(builtEntryFor('/x/node_modules/onnxruntime-node/script/install.js', entries)).toBe(
      undefined,
    );
    expect(builtEntryFor('/x/constructor', entries)).toBeUndefined();
    expect(builtEntryFor('/x/toString.js', entries)).toBeUndefined();
  });
});

describe('the tool spawner (accelerator probe, systeminformation)', () => {
  it('runs a Node helper in a utility process and reports its output and exit like a child process', async () => {
    const { fork, calls } = fakeFork((child) => {
      child.stdout.write('@@roost-probe {"type":"backends"}\n');
      child.stderr.write('a driver warning\n');
      child.stdout.end();
      child.stderr.end();
      child.emit('exit', 0);
    });
    const spawner = createUtilityToolSpawner({
      fork,
      nodeCommand: ELECTRON,
      entries,
      fallback: () => {
        throw new Error('not for helpers');
      },
      watch: { settleMs: 1 },
    });
    const run = await runTool(spawner, ELECTRON, ['/app.asar/worker/probe-entry.ts', 'list'], {
      timeoutMs: 5000,
      env: { ELECTRON_RUN_AS_NODE: '1', LANG: 'C', API_TOKEN: undefined },
      cwd: '/tmp',
    });
    expect(run).toMatchObject({
      kind: 'exited',
      code: 0,
      stdout: '@@roost-probe {"type":"backends"}\n',
      stderr: 'a driver warning\n',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      modulePath: entries['probe-entry'],
      args: ['list'],
      options: { env: { LANG: 'C' }, cwd: '/tmp', stdio: ['ignore', 'pipe', 'pipe'] },
    });
    expect(calls[0]!.options.env).not.toHaveProperty('ELECTRON_RUN_AS_NODE');
  });

  it('passes real tools (nvidia-smi) to the ordinary spawner', () => {
    const seen: string[] = [];
    const fallback: Spawner = (command, args) => {
      seen.push([command, ...args].join(' '));
      return new EventEmitter() as never;
    };
    const { fork, calls } = fakeFork();
    createUtilityToolSpawner({ fork, nodeCommand: ELECTRON, entries, fallback })(
      'nvidia-smi',
      ['-q', '-x'],
      {},
    );
    expect(seen).toEqual(['nvidia-smi -q -x']);
    expect(calls).toEqual([]);
  });

  it('refuses any other script, as a failed start', async () => {
    const { fork, calls } = fakeFork();
    const spawner = createUtilityToolSpawner({
      fork,
      nodeCommand: ELECTRON,
      entries,
      fallback: () => new EventEmitter() as never,
    });
    const run = await runTool(spawner, ELECTRON, ['/tmp/evil.js'], { timeoutMs: 1000 });
    expect(run.kind).toBe('spawn-error');
    expect(run.kind === 'spawn-error' && run.message).toMatch(/not one of Roost's helpers/);
    expect(calls).toEqual([]);
  });

  it('kills a helper that runs past its time', async () => {
    const killed: number[] = [];
    const { fork, children } = fakeFork();
    const spawner = createUtilityToolSpawner({
      fork,
      nodeCommand: ELECTRON,
      entries,
      fallback: () => new EventEmitter() as never,
      killPid: (pid) => {
        killed.push(pid);
        const child = children[0]!;
        child.stdout.end();
        child.stderr.end();
        child.emit('exit', 137);
      },
      watch: { settleMs: 1 },
    });
    const run = await runTool(spawner, ELECTRON, [entries['probe-entry'] as string, 'probe'], {
      timeoutMs: 50,
    });
    expect(run.kind).toBe('timeout');
    expect(killed).toEqual([77]);
  });
});

describe('the benchmark spawner', () => {
  it('starts the built benchmark for the source entry the agent names, and carries messages', async () => {
    const { fork, calls, children } = fakeFork();
    const spawn = createUtilityBenchSpawner({ fork, entries, watch: { settleMs: 1 } });
    const child = spawn({
      entry: '/repo/worker/bench-entry.ts',
      env: { ELECTRON_RUN_AS_NODE: '1', VK_ICD_FILENAMES: '/icd.json' },
    });
    expect(calls[0]).toMatchObject({
      modulePath: entries['bench-entry'],
      options: { env: { VK_ICD_FILENAMES: '/icd.json' } },
    });
    const got: unknown[] = [];
    const protocol: string[] = [];
    child.onMessage((m) => got.push(m));
    child.onProtocolError((r) => protocol.push(r));
    child.send({ type: 'stop', seq: 1 });
    expect(children[0]!.posted).toEqual([{ type: 'stop', seq: 1 }]);
    children[0]!.emit('message', { type: 'hello', seq: 1 });
    children[0]!.emit('message', 42);
    children[0]!.emit('message', { type: 'progress', seq: 2, x: 'y'.repeat(BENCH_MAX_LINE_BYTES) });
    expect(got).toEqual([{ type: 'hello', seq: 1 }, undefined]);
    expect(protocol).toHaveLength(1);
    const exit = new Promise((resolve) => child.onExit(resolve));
    children[0]!.stdout.end();
    children[0]!.stderr.end();
    children[0]!.emit('exit', 0);
    expect(await exit).toEqual({ code: 0, signal: null });
  });

  it('refuses an entry that is not the benchmark helper', () => {
    const { fork } = fakeFork();
    const spawn = createUtilityBenchSpawner({ fork, entries });
    expect(() => spawn({ entry: '/tmp/other.js', env: {} })).toThrow(/not Roost's benchmark/);
  });
});

describe("the devnet node's starter (the installed app's test market)", () => {
  const DEVNET = '/opt/Roost/resources/app.asar.unpacked/contracts/devnet-node.mjs';
  const launch = {
    modulePath: DEVNET,
    args: ['--root', '/data/devnet', '--port', '0'],
    cwd: '/data/devnet',
    env: { ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1', HOME: '/home/me' },
  };

  it('starts its one module in a utility process, in the folder it is given, and reports lines then the exit', async () => {
    const { fork, calls, children } = fakeFork();
    const start = createUtilityModuleStarter({
      fork,
      modules: [DEVNET],
      serviceName: 'Roost test market',
      watch: { settleMs: 1 },
    });
    const node = start(launch);
    expect(calls).toEqual([
      {
        modulePath: DEVNET,
        args: launch.args,
        options: {
          env: { NO_COLOR: '1', HOME: '/home/me' },
          cwd: '/data/devnet',
          stdio: ['ignore', 'pipe', 'pipe'],
          serviceName: 'Roost test market',
        },
      },
    ]);
    expect(node.pid).toBe(77);
    const lines: string[] = [];
    node.onLine((line) => lines.push(line));
    const exit = new Promise<NodeModuleExit>((resolve) => node.onExit(resolve));
    const child = children[0]!;
    child.stdout.write('Started HTTP and WebSocket JSON-RPC server at http://127.0.0.1:');
    child.stdout.write('4567/\r\nAccounts\n');
    child.stderr.write('a warning\n');
    child.emit('error', 'FatalError', 'somewhere.cc');
    child.stdout.end('last words');
    child.stderr.end();
    child.emit('exit', 1);
    expect(await exit).toEqual({ code: 1, signal: null });
    expect(node.exited).toBe(true);
    expect(lines).toEqual([
      'Started HTTP and WebSocket JSON-RPC server at http://127.0.0.1:4567/',
      'Accounts',
      'a warning',
      '[utility process] FatalError at somewhere.cc',
      'last words',
    ]);
    // A listener that comes late still hears of the exit; a kill after it does nothing.
    expect(await new Promise((resolve) => node.onExit(resolve))).toEqual({ code: 1, signal: null });
    node.kill('SIGKILL');
    expect(child.kills).toBe(0);
  });

  it('asks it to stop with SIGTERM and ends it with SIGKILL', () => {
    const killed: number[] = [];
    const { fork, children } = fakeFork();
    const start = createUtilityModuleStarter({
      fork,
      modules: [DEVNET],
      serviceName: 'Roost test market',
      killPid: (pid) => killed.push(pid),
    });
    const node = start(launch);
    node.kill('SIGTERM');
    expect(children[0]!.kills).toBe(1);
    expect(killed).toEqual([]);
    node.kill('SIGKILL');
    expect(killed).toEqual([77]);
  });

  it('refuses any other module, and a fork that throws, as a start that failed', async () => {
    const { fork, calls } = fakeFork();
    const start = createUtilityModuleStarter({
      fork,
      modules: [DEVNET],
      serviceName: 'Roost test market',
    });
    const other = start({ ...launch, modulePath: '/tmp/evil.mjs' });
    expect(other.exited).toBe(false);
    const refused = await new Promise<NodeModuleExit>((resolve) => other.onExit(resolve));
    expect(refused).toMatchObject({
      code: null,
      error: expect.stringMatching(/not a module the desktop app runs/),
    });
    expect(calls).toEqual([]);

    const broken = createUtilityModuleStarter({
      fork: () => {
        throw new Error('utilityProcess is not ready');
      },
      modules: [DEVNET],
      serviceName: 'Roost test market',
    })(launch);
    expect(await new Promise<NodeModuleExit>((resolve) => broken.onExit(resolve))).toMatchObject({
      error: expect.stringMatching(
        /could not start devnet-node\.mjs: Error: utilityProcess is not ready/,
      ),
    });
  });
});
