/**
 * The built-in devnet's node start with the starter injected (contracts/devnet.ts through
 * ensureLocalDevnet): where and how the node is launched, what a failed start says, and that a
 * node which never listens or whose market can't be deployed is stopped. Also the default
 * starter (child_process) on a real, tiny Node module. The real node runs in
 * test/integration/electron/devnet-utility.test.ts and the contracts' devnet tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevnet } from '../../contracts/devnet.ts';
import {
  NodeModuleEvents,
  spawnNodeModule,
  type NodeModuleChild,
  type NodeModuleExit,
  type NodeModuleLaunch,
  type StartNodeModule,
} from '../../contracts/devnet-process.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import { ensureLocalDevnet } from './embedded-devnet.ts';

const ENTRY = '/app/contracts/devnet-node.mjs';
const quiet = { info: () => undefined };

/** A node that does what the test says; it leaves on SIGTERM unless told to be stubborn. */
class FakeNode implements NodeModuleChild {
  readonly pid = 4321;
  readonly kills: string[] = [];
  stubborn = false;
  readonly #events = new NodeModuleEvents();
  get exited() {
    return this.#events.exited;
  }
  onLine(listener: (line: string) => void) {
    this.#events.onLine(listener);
  }
  onExit(listener: (exit: NodeModuleExit) => void) {
    this.#events.onExit(listener);
  }
  kill(signal: 'SIGTERM' | 'SIGKILL') {
    this.kills.push(signal);
    if (signal === 'SIGKILL' || !this.stubborn) this.exit({ code: null, signal });
  }
  say(...lines: string[]) {
    for (const line of lines) this.#events.line(line);
  }
  exit(exit: NodeModuleExit) {
    this.#events.exit(exit);
  }
}

function fakeStarter(script: (node: FakeNode) => void) {
  const launches: NodeModuleLaunch[] = [];
  const nodes: FakeNode[] = [];
  const start: StartNodeModule = (launch) => {
    launches.push(launch);
    const node = new FakeNode();
    nodes.push(node);
    setImmediate(() => script(node));
    return node;
  };
  return { start, launches, nodes };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dataDir(): Promise<string> {
  const dir = await tempDir('roost-embedded-unit-');
  cleanups.push(() => dir.remove());
  return dir.path;
}

/** A JSON-RPC endpoint on 127.0.0.1 that knows chain 31337 and has no accounts. */
async function chainWithoutAccounts(): Promise<string> {
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const call = JSON.parse(body) as { id: number; method: string };
      const result =
        call.method === 'eth_chainId' ? '0x7a69' : call.method === 'eth_accounts' ? [] : null;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}/`;
}

describe("the embedded devnet's node, through the host's starter", () => {
  it('launches the given entry in <data dir>/devnet, which it prepares as the node’s own folder', async () => {
    const dir = await dataDir();
    const { start, launches } = fakeStarter((node) => {
      node.say('Account #0: 0xf39f… (10000 ETH)', 'Private Key: 0xac09…', 'Error: HHE1 boom');
      node.exit({ code: 1, signal: null });
    });
    const error = await ensureLocalDevnet({
      dataDir: dir,
      log: quiet,
      node: { start, entry: ENTRY },
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/\[devnet\] the node exited \(1\) before listening/);
    expect((error as Error).message).toContain('Error: HHE1 boom');
    expect((error as Error).message).not.toMatch(/private key/i);

    const work = join(dir, 'devnet');
    expect(launches).toHaveLength(1);
    expect(launches[0]).toMatchObject({
      modulePath: ENTRY,
      args: ['--root', work, '--hostname', '127.0.0.1', '--port', '0', '--chain-id', '31337'],
      cwd: work,
      env: { NO_COLOR: '1' },
    });
    // Hardhat takes the folder as its project root by its package.json; the folder stays.
    const pkg = JSON.parse(readFileSync(join(work, 'package.json'), 'utf8')) as {
      private: boolean;
    };
    expect(pkg.private).toBe(true);
    expect(existsSync(join(dir, 'networks', 'local.json'))).toBe(false);
  });

  it('says why a node could not start at all', async () => {
    const { start } = fakeStarter((node) =>
      node.exit({ code: null, signal: null, error: 'not a module the desktop app runs' }),
    );
    await expect(
      ensureLocalDevnet({ dataDir: await dataDir(), log: quiet, node: { start, entry: ENTRY } }),
    ).rejects.toThrow('[devnet] could not start the node: not a module the desktop app runs');

    const throwing: StartNodeModule = () => {
      throw new Error('utilityProcess is not ready');
    };
    await expect(startDevnet({ start: throwing, workDir: await dataDir() })).rejects.toThrow(
      /could not start the node: Error: utilityProcess is not ready/,
    );
  });

  it('stops a node that never says it listens, and keeps Hardhat variables from it', async () => {
    const { start, nodes, launches } = fakeStarter((node) => node.say('Compiling nothing…'));
    await expect(
      startDevnet({
        start,
        workDir: await dataDir(),
        startupTimeoutMs: 50,
        env: { HARDHAT_NETWORK: 'sepolia', ROOST_TEST_VALUE: 'kept' },
      }),
    ).rejects.toThrow(/did not start within 50 ms:\nCompiling nothing…/);
    expect(nodes[0]!.kills).toEqual(['SIGTERM']);
    expect(nodes[0]!.exited).toBe(true);
    // The user's Hardhat settings (HARDHAT_NETWORK, …) don't reach Roost's own node.
    expect(launches[0]!.env).toMatchObject({ ROOST_TEST_VALUE: 'kept' });
    expect(launches[0]!.env).not.toHaveProperty('HARDHAT_NETWORK');
  });

  it('stops the node and removes its temporary folder when the market cannot be deployed', async () => {
    const url = await chainWithoutAccounts();
    const { start, launches, nodes } = fakeStarter((node) =>
      node.say(`Started HTTP and WebSocket JSON-RPC server at ${url}`),
    );
    await expect(startDevnet({ start })).rejects.toThrow(/fewer than three unlocked accounts/);
    expect(nodes[0]!.kills).toEqual(['SIGTERM']);
    // No workDir: a temporary one, outside any project, gone with the node.
    const work = launches[0]!.cwd;
    expect(work).toMatch(/roost-devnet-/);
    expect(existsSync(work)).toBe(false);
  });
});

describe('the default starter (a Node child process)', () => {
  it('runs a module with its arguments, folder and environment, and reports lines then the exit', async () => {
    const dir = await dataDir();
    const script = join(dir, 'script.mjs');
    await mkdir(join(dir, 'cwd'));
    await writeFile(
      script,
      [
        "console.log(process.argv.slice(2).join(' '));",
        'console.error(process.cwd(), process.env.ROOST_TEST_VALUE);',
        "process.stdout.write('no line break');",
        'process.exitCode = 3;',
      ].join('\n'),
    );
    const child = spawnNodeModule()({
      modulePath: script,
      args: ['--root', 'x'],
      cwd: join(dir, 'cwd'),
      env: { ...process.env, ROOST_TEST_VALUE: 'hello' } as Record<string, string>,
    });
    const lines: string[] = [];
    child.onLine((line) => lines.push(line));
    const exit = await new Promise<NodeModuleExit>((resolve) => child.onExit(resolve));
    expect(exit).toEqual({ code: 3, signal: null });
    expect(lines.sort()).toEqual(['--root x', `${join(dir, 'cwd')} hello`, 'no line break'].sort());
    expect(child.exited).toBe(true);
  });

  it('reports a binary that does not exist as a start that failed', async () => {
    const child = spawnNodeModule('/nonexistent/node')({
      modulePath: '/nonexistent/module.mjs',
      args: [],
      cwd: await dataDir(),
      env: {},
    });
    const exit = await new Promise<NodeModuleExit>((resolve) => child.onExit(resolve));
    expect(exit.error).toMatch(/ENOENT/);
    child.kill('SIGKILL');
  });
});
