// A `roost` command following a running Roost's events (a benchmark's progress, a CUDA
// install's steps) through its event stream: roost serve's over HTTP, the desktop app's through
// its command channel (a Unix socket). A real agent runs a real (miniature) benchmark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createAgent, type Agent } from '../../agent/agent.ts';
import type { AgentEvent } from '../../agent/api/contract.ts';
import {
  commandSocketPath,
  socketFetch,
  startCommandChannel,
  type CommandChannel,
} from '../../agent/api/command-channel.ts';
import { startHttpServer, type RunningServer } from '../../agent/api/http-server.ts';
import { httpClient, type ApiClient } from '../../agent/api/node-client.ts';
import { loadOrCreateToken } from '../../agent/api/token.ts';
import { TEST_PROTOCOL } from '../../agent/bench/protocol.ts';
import { TINY_SUITE } from '../../agent/bench/suite.ts';
import { tempDir } from '../support/temp-dir.ts';

let dir: { path: string; remove: () => Promise<void> };
let agent: Agent;
let server: RunningServer;
let channel: CommandChannel;
let overHttp: ApiClient;
let overSocket: ApiClient;

beforeAll(async () => {
  dir = await tempDir('roost-client-events-');
  const dataDir = join(dir.path, 'data');
  agent = await createAgent({
    dataDir,
    host: 'test',
    embeddedDevnet: false,
    hardware: { env: { ...process.env, ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' } },
    bench: { suite: TINY_SUITE, protocol: TEST_PROTOCOL },
  });
  const token = await loadOrCreateToken(dataDir);
  server = await startHttpServer({
    router: agent.router,
    events: agent.events,
    log: agent.log.child('http'),
    token,
    port: 0,
    heartbeatSeconds: 1,
  });
  overHttp = httpClient(`http://127.0.0.1:${server.port}`, token);
  channel = await startCommandChannel({ dataDir, agent });
  overSocket = httpClient('http://localhost', token, socketFetch(channel.socket), 'the app');
  expect(channel.socket).toBe(commandSocketPath(dataDir));
}, 60_000);

afterAll(async () => {
  await channel?.close();
  await server?.close();
  await agent?.close();
  await dir?.remove();
});

/** Every event `client` delivers until stopped, and a wait for the first that matches. */
function follow(client: ApiClient) {
  const seen: AgentEvent[] = [];
  const stop = client.events!.subscribe((e) => seen.push(e));
  const until = async (match: (e: AgentEvent) => boolean, what: string) => {
    for (const end = Date.now() + 20_000; Date.now() < end;) {
      if (seen.some(match)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no ${what} came through the event stream`);
  };
  return { seen, stop, until };
}

describe("a command follows a running Roost's events", () => {
  for (const [name, client] of [
    ['roost serve, over HTTP', () => overHttp],
    ['the desktop app, through its command channel', () => overSocket],
  ] as const) {
    it(`hears them from ${name}, each checked against the contract`, async () => {
      expect(client().inProcess).toBe(false);
      const f = follow(client());
      // The stream opens a moment after subscribing: a change made until it is heard.
      let n = 30;
      const changed = (e: AgentEvent) =>
        e.event === 'settings.changed' && e.payload.work.idleMinutes >= 30;
      for (const end = Date.now() + 20_000; !f.seen.some(changed) && Date.now() < end;) {
        const r = await client().call('settings.update', { work: { idleMinutes: n++ } });
        expect(r.ok).toBe(true);
        await new Promise((r) => setTimeout(r, 100));
      }
      await f.until(changed, 'settings change');

      // A benchmark run through it: its progress, as `roost bench` shows it on a terminal.
      const run = await client().call('bench.run', { preset: 'quick', ep: 'cpu' });
      expect(run.ok, run.ok ? '' : run.error.message).toBe(true);
      await f.until((e) => e.event === 'bench.progress', 'benchmark progress');
      const fractions = f.seen.flatMap((e) =>
        e.event === 'bench.progress' ? [e.payload.fraction] : [],
      );
      expect(fractions.length).toBeGreaterThan(3);
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b));

      // Stopped: nothing more arrives.
      f.stop();
      const count = f.seen.length;
      await client().call('settings.update', { work: { idleMinutes: 10 } });
      await new Promise((r) => setTimeout(r, 300));
      expect(f.seen).toHaveLength(count);
    }, 120_000);
  }
});
