import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MethodName, ResultOf } from '../../agent/api/contract.ts';

export const ROOST_BIN = fileURLToPath(new URL('../../bin/roost.js', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  base: string;
  token: string;
  port: number;
  stderr: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the real `roost serve --json` as a child process and waits until it prints its URL.
 * It runs with `--no-devnet` (no built-in chain) unless `extraArgs` holds `--devnet`, which is
 * taken out: a test that wants the agent to start its own local devnet says so.
 */
export async function startServeProcess(
  dataDir: string,
  extraArgs: string[] = [],
  timeoutMs = 30_000,
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const wantsDevnet = extraArgs.includes('--devnet');
  const args = wantsDevnet
    ? extraArgs.filter((a) => a !== '--devnet')
    : [...extraArgs, '--no-devnet'];
  const child = spawn(
    process.execPath,
    [ROOST_BIN, 'serve', '--json', '--port', '0', '--data-dir', dataDir, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`roost serve did not start in ${timeoutMs} ms:\n${stderr}`)),
      timeoutMs,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`roost serve exited with ${code} before it started:\n${stderr}`));
    });
  });
  const info = JSON.parse(line) as { url: string; port: number };
  const base = info.url.slice(0, info.url.indexOf('/#'));
  return {
    child,
    url: info.url,
    base,
    token: info.url.slice(info.url.indexOf('#token=') + '#token='.length),
    port: info.port,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** One call to a `roost serve`'s HTTP API, as the CLI makes it; the agent's refusal is thrown. */
export async function serveApi<M extends MethodName>(
  server: ServeProcess,
  method: M,
  params: unknown = {},
): Promise<ResultOf<M>> {
  const res = await fetch(`${server.base}/api/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(params),
  });
  const body = (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
  return body.value as ResultOf<M>;
}
