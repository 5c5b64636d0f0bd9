/**
 * The notification webhook end to end: a real agent (a long-lived host, as `roost serve` is) runs
 * real private jobs and POSTs to a real HTTP receiver on 127.0.0.1; the receiver fails, then goes
 * away; the agent warns once per problem and keeps working; the URL never reaches the log file or
 * a support bundle.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../agent/agent.ts';
import { readZip } from '../../agent/diagnostics/zip.ts';
import { encodeNpy } from '../../worker/npy.ts';
import { reluAddModel } from '../fixtures/jobs/models.ts';
import { tempDir } from '../support/temp-dir.ts';

/** The part of the URL a Discord or Slack URL keeps its token in. */
const TOKEN = 'roost-test-webhook-token-7f3a9c';

interface Received {
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

async function startReceiver() {
  const received: Received[] = [];
  const state = { status: 204 };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      received.push({ body: JSON.parse(text) as Record<string, unknown>, headers: req.headers });
      res.writeHead(state.status, { 'content-type': 'text/plain' }).end('ignored');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/${TOKEN}`,
    received,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port on 127.0.0.1 where nothing listens (one just given back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until<T>(what: string, check: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the notification webhook', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let agent: Agent;
  let closedUrl: string;
  const logLines: string[] = [];
  const dataDir = () => join(dir.path, 'data');

  const runJob = async (name: string) => {
    const result = await agent.router.call('job.run', {
      model: join(dir.path, 'model.onnx'),
      inputs: { x: join(dir.path, 'x.npy') },
      executionProviders: ['cpu'],
      name,
    });
    expect(result).toMatchObject({ ok: true, value: { state: 'done' } });
  };

  beforeAll(async () => {
    dir = await tempDir('roost-notify-it-');
    // y = relu(x) + x: a job that takes a moment.
    await writeFile(join(dir.path, 'model.onnx'), reluAddModel());
    await writeFile(
      join(dir.path, 'x.npy'),
      encodeNpy('float32', [2, 3], Float32Array.from([-1, 2, -3, 4, -5, 6])),
    );
    receiver = await startReceiver();
    closedUrl = `http://127.0.0.1:${await closedPort()}/hooks/${TOKEN}-closed`;
    agent = await createAgent({
      dataDir: dataDir(),
      host: 'test',
      background: true,
      embeddedDevnet: false,
      hardware: { env: { ...process.env, ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' } },
      // No cool-down between notices of a kind, so each job's notice is sent at once.
      notify: {
        coolDownMs: { 'job-done': 0, 'job-failed': 0, payment: 0, 'bench-done': 0 },
        timeoutMs: 5000,
      },
      logSink: (entry) => logLines.push(`${entry.level} [${entry.subsystem}] ${entry.message}`),
    });
  });

  afterAll(async () => {
    await agent?.close().catch(() => undefined);
    await receiver?.close();
    await dir?.remove();
  });

  it('sends a finished private job to the webhook set in Settings', async () => {
    const saved = await agent.router.call('settings.update', {
      notifications: { webhookUrl: receiver.url },
    });
    expect(saved).toMatchObject({ ok: true });
    await runJob('nightly batch');
    const post = await until('the job-done POST', () =>
      receiver.received.find((r) => r.body.kind === 'job-done'),
    );
    const message = `Roost on ${hostname()}: Job finished — nightly batch is done: its outputs and signed result are ready.`;
    expect(post.body).toEqual({
      title: 'Job finished',
      body: 'nightly batch is done: its outputs and signed result are ready.',
      kind: 'job-done',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      host: hostname(),
      text: message,
      content: message,
    });
    expect(post.headers['content-type']).toBe('application/json');
  });

  it('notifications.test reaches the receiver at once and says what it answered', async () => {
    receiver.state.status = 200;
    const before = receiver.received.length;
    expect(await agent.router.call('notifications.test', {})).toEqual({
      ok: true,
      value: { ok: true, status: 200 },
    });
    expect(receiver.received.slice(before).map((r) => r.body.kind)).toEqual(['test']);
    expect(receiver.received.at(-1)?.body.content).toBe(
      `Roost on ${hostname()}: Test notification — Roost can reach this webhook: its notices will arrive here.`,
    );
  });

  it('a receiver answering 500 is one warning; the agent keeps running and the next jobs run', async () => {
    receiver.state.status = 500;
    const before = receiver.received.length;
    await runJob('second batch');
    await runJob('third batch');
    await until('both POSTs', () => (receiver.received.length >= before + 2 ? true : undefined));
    const warnings = () => logLines.filter((l) => l.includes('answered 500'));
    await until('the warning', () => (warnings().length > 0 ? true : undefined));
    // Both sends failed; it is said once.
    await new Promise((r) => setTimeout(r, 300));
    expect(warnings()).toEqual([
      "warn [notify] the notification webhook answered 500: a problem on the service's side; if it lasts, check the URL in Settings → Notifications and the service's status. Notices are not arriving; this is said again in 30 minutes if it lasts.",
    ]);
  });

  it('a closed port is a warning in words, and Send a test says what failed and what to do', async () => {
    expect(
      await agent.router.call('settings.update', { notifications: { webhookUrl: closedUrl } }),
    ).toMatchObject({ ok: true });
    await runJob('fourth batch');
    await until('the connection warning', () =>
      logLines.some((l) => l.includes('ECONNREFUSED')) ? true : undefined,
    );
    const tested = await agent.router.call('notifications.test', {});
    expect(tested).toEqual({
      ok: false,
      error: {
        code: 'NOTIFY_FAILED',
        message:
          'The notification webhook could not be reached: nothing answers at that address (ECONNREFUSED); check the URL in Settings → Notifications and that the service runs.',
      },
    });
    // Still working: another job runs to the end.
    await runJob('fifth batch');
    expect(logLines.filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(1);
  });

  it('never writes the URL to the log file or a support bundle', async () => {
    const bundle = await agent.router.call('diagnostics.supportBundle', {});
    if (!bundle.ok) throw new Error(bundle.error.message);
    const zip = readZip(await readFile((bundle.value as { path: string }).path));
    const settings = zip.find((e) => e.name === 'settings.json');
    expect(JSON.parse(settings!.data.toString('utf8')).settings.notifications.webhookUrl).toBe(
      '[redacted]',
    );
    for (const entry of zip) expect(entry.data.toString('utf8'), entry.name).not.toContain(TOKEN);
    expect(zip.some((e) => e.name.startsWith('logs/'))).toBe(true);

    const logs = await readdir(join(dataDir(), 'logs'));
    expect(logs.length).toBeGreaterThan(0);
    const text = (
      await Promise.all(logs.map((f) => readFile(join(dataDir(), 'logs', f), 'utf8')))
    ).join('\n');
    expect(text).toContain('notification webhook set');
    expect(text).toContain('answered 500');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(receiver.url);
    expect(logLines.join('\n')).not.toContain(TOKEN);
  });
});
