import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ROOST_BIN } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

describe('roost devnet', () => {
  it('runs a market on 127.0.0.1, records it in networks/local.json, and stops cleanly on Ctrl-C', async () => {
    const dir = await tempDir();
    const child = spawn(
      process.execPath,
      [ROOST_BIN, 'devnet', '--json', '--port', '0', '--data-dir', dir.path],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      void exited.then((code) => reject(new Error(`roost devnet exited ${code}: ${stderr}`)));
    });
    const info = JSON.parse(line) as {
      rpcUrl: string;
      chainId: number;
      marketAddress: string;
      tokenAddress: string;
      deployment: string;
    };
    expect(new URL(info.rpcUrl).hostname).toBe('127.0.0.1');
    expect(info.deployment).toBe(join(dir.path, 'networks', 'local.json'));
    const deployment = JSON.parse(await readFile(info.deployment, 'utf8'));
    expect(deployment).toMatchObject({ name: 'local', chainId: info.chainId, rpcUrl: info.rpcUrl });
    expect(deployment.contracts.JobMarket.address).toBe(info.marketAddress);
    expect(deployment.contracts.JobMarket.abi.length).toBeGreaterThan(10);
    // The market and the token are really deployed on the chain it names.
    expect(await rpc(info.rpcUrl, 'eth_chainId')).toBe(`0x${info.chainId.toString(16)}`);
    expect(
      ((await rpc(info.rpcUrl, 'eth_getCode', [info.marketAddress, 'latest'])) as string).length,
    ).toBeGreaterThan(1000);
    expect(
      ((await rpc(info.rpcUrl, 'eth_getCode', [info.tokenAddress, 'latest'])) as string).length,
    ).toBeGreaterThan(100);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(access(info.deployment)).rejects.toThrow();
    await expect(fetch(info.rpcUrl)).rejects.toThrow();
    await dir.remove();
  });

  it('refuses a bad --port with exit 2', async () => {
    const child = spawn(process.execPath, [ROOST_BIN, 'devnet', '--port', 'abc'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(2);
    expect(stderr).toContain('--port must be a whole number');
  });
});
