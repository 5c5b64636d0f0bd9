// The default network `local` with nothing set up: `roost serve` starts its own devnet on
// 127.0.0.1, records it in networks/local.json, follows its market, and stops it on the way out.
import { afterAll, describe, expect, it } from 'vitest';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.ts';
import { tempDir } from '../../support/temp-dir.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rpcAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

describe('the built-in devnet', () => {
  it('starts with roost serve on the local network, is used by the market, and stops with it', async () => {
    const dir = await tempDir('roost-embedded-');
    cleanups.push(() => dir.remove());
    const server: ServeProcess = await startServeProcess(dir.path, ['--devnet'], 90_000);
    cleanups.push(() => server.stop('SIGKILL'));

    const api = async (method: string, params: unknown = {}) => {
      const res = await fetch(`${server.base}/api/${method}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(params),
      });
      return ((await res.json()) as { value: { problem: string | null; state: string } }).value;
    };
    const status = () => api('market.status');
    // The devnet starts in the background; the file appears once its market is deployed.
    const file = join(dir.path, 'networks', 'local.json');
    await expect
      .poll(
        async () => {
          try {
            await access(file);
            return true;
          } catch {
            return false;
          }
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(true);
    const local = JSON.parse(await readFile(file, 'utf8')) as {
      rpcUrl: string;
      contracts: { JobMarket: { address: string } };
    };
    expect(local.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await rpcAnswers(local.rpcUrl)).toBe(true);
    // Market jobs start off: nothing to do until the owner turns them on.
    expect((await status()).state).toBe('off');
    await api('settings.update', { market: { enabled: true } });
    // With no wallet yet the market says what to do next, not that the chain is missing.
    await expect
      .poll(async () => (await status()).problem, { timeout: 15_000 })
      .toMatch(/no wallet yet/);
    expect(server.stderr()).toContain('local network: devnet at');

    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await rpcAnswers(local.rpcUrl)).toBe(false);
    await expect(access(file)).rejects.toThrow();
  });
});
