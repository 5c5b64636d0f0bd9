import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../api/contract.ts';
import {
  defaultNotificationSettings,
  notificationSettingsSchema,
  webhookUrlProblem,
  type NotificationSettings,
} from './schema.ts';
import { createWebhookNotifications, postWebhook, webhookPayload } from './webhook.ts';

const URL_ = 'https://discord.com/api/webhooks/123/secret-token-abc';

const jobDone = (id: string, name = 'resnet batch') =>
  ({
    event: 'job.stateChanged',
    payload: {
      job: {
        id,
        origin: 'private',
        name,
        state: 'done',
        progress: { stage: 'done', setsDone: 1, setsTotal: 1 },
        attempts: 1,
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
      },
    },
  }) as unknown as AgentEvent;

const paid = (jobId: string) =>
  ({
    event: 'market.lease',
    payload: { chainKey: '31337:0xm:0xb', jobId, state: 'paid', payout: '2500000' },
  }) as unknown as AgentEvent;

/** A fetch that records each POST and answers with `status` (or throws `error`). */
function fakeFetch(answer: () => { status: number } | Error) {
  const posts: { url: string; init: RequestInit; body: Record<string, unknown> }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    posts.push({ url, init, body: JSON.parse(String(init.body)) as Record<string, unknown> });
    const a = answer();
    if (a instanceof Error) throw a;
    return new Response(a.status === 204 ? null : 'whatever', { status: a.status });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, posts };
}

function setup(
  options: {
    settings?: Partial<NotificationSettings>;
    answer?: () => { status: number } | Error;
  } = {},
) {
  let now = Date.parse('2026-03-01T12:00:00Z');
  const warnings: string[] = [];
  const infos: string[] = [];
  const { fetch, posts } = fakeFetch(options.answer ?? (() => ({ status: 204 })));
  const settings = { ...defaultNotificationSettings, webhookUrl: URL_, ...options.settings };
  const webhook = createWebhookNotifications({
    settings: () => settings,
    token: () => ({ symbol: 'rUSD', decimals: 6 }),
    log: { warn: (m) => warnings.push(m), info: (m) => infos.push(m) },
    host: 'rig-3',
    fetch,
    now: () => now,
    setTimer: () => ({}),
  });
  return {
    webhook,
    posts,
    warnings,
    infos,
    settings,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('the webhook payload', () => {
  it('carries the notice and the whole message for Discord (content) and Slack (text)', () => {
    const payload = webhookPayload(
      { kind: 'job-done', title: 'Job finished', body: 'a<b & c is done.' },
      new Date('2026-03-01T12:00:00Z'),
      'rig-3',
    );
    expect(payload).toEqual({
      title: 'Job finished',
      body: 'a<b & c is done.',
      kind: 'job-done',
      at: '2026-03-01T12:00:00.000Z',
      host: 'rig-3',
      // Slack reads <…> as a link and & as an entity: escaped as its formatting guide asks.
      text: 'Roost on rig-3: Job finished — a&lt;b &amp; c is done.',
      content: 'Roost on rig-3: Job finished — a<b & c is done.',
    });
  });

  it("keeps Discord's content within 2000 characters", () => {
    const payload = webhookPayload(
      { kind: 'job-failed', title: 'A job failed', body: 'x'.repeat(5000) },
      new Date(0),
      'h',
    );
    expect(payload.content).toHaveLength(2000);
    expect(payload.content.endsWith('…')).toBe(true);
  });
});

describe('the webhook URL rule', () => {
  it('takes https anywhere, and plain http only on this machine or the local network', () => {
    for (const ok of [
      '',
      URL_,
      'https://hooks.slack.com/services/T0/B0/x',
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://192.168.1.20/message?token=x',
      'http://10.0.0.5/x',
      'http://172.20.0.2/x',
      'http://100.100.1.1/x',
      'http://[::1]:9000/x',
      'http://[fd12:3456::1]/x',
      'http://gotify:8080/message',
      'http://ntfy.lan/roost',
      'http://nas.local/x',
    ])
      expect(webhookUrlProblem(ok), ok).toBeNull();
    for (const bad of [
      'discord.com/api/webhooks/1/x',
      'ftp://example.com/x',
      'http://hooks.slack.com/services/T0/B0/x',
      'http://8.8.8.8/x',
      'http://172.32.0.1/x',
      'https://user:pass@example.com/x',
    ])
      expect(webhookUrlProblem(bad), bad).not.toBeNull();
  });
});

describe('the notification settings', () => {
  it('take each kind once, in what is shown and in what is sent', () => {
    expect(
      notificationSettingsSchema.safeParse({
        shown: [],
        webhookUrl: '',
        kinds: ['job-done', 'payment'],
      }).success,
    ).toBe(true);
    for (const field of ['shown', 'kinds']) {
      const twice = notificationSettingsSchema.safeParse({
        shown: [],
        webhookUrl: '',
        kinds: [],
        [field]: ['job-done', 'job-done'],
      });
      expect(twice.success).toBe(false);
      expect(twice.error?.issues[0]).toMatchObject({
        path: [field],
        message: 'must name each kind once',
      });
    }
  });
});

describe('sending notices to the webhook', () => {
  it('POSTs JSON, refuses redirects, and sends only the notices worth one', async () => {
    const { webhook, posts } = setup();
    webhook.observe(jobDone('abcdef123456'));
    webhook.observe({ event: 'agent.log', payload: { level: 'error' } } as unknown as AgentEvent);
    await webhook.idle();
    expect(posts).toHaveLength(1);
    expect(posts[0]?.url).toBe(URL_);
    expect(posts[0]?.init).toMatchObject({ method: 'POST', redirect: 'error' });
    expect(new Headers(posts[0]?.init.headers).get('content-type')).toBe('application/json');
    expect(posts[0]?.body).toMatchObject({
      kind: 'job-done',
      title: 'Job finished',
      body: 'resnet batch is done: its outputs and signed result are ready.',
      host: 'rig-3',
      content:
        'Roost on rig-3: Job finished — resnet batch is done: its outputs and signed result are ready.',
    });
  });

  it('sends nothing without a URL, and only the kinds ticked', async () => {
    const off = setup({ settings: { webhookUrl: '' } });
    off.webhook.observe(jobDone('a1'));
    await off.webhook.idle();
    expect(off.posts).toEqual([]);

    const some = setup({ settings: { kinds: ['payment'] } });
    some.webhook.observe(jobDone('a2'));
    some.webhook.observe(paid('7'));
    await some.webhook.idle();
    expect(some.posts.map((p) => p.body.content)).toEqual([
      'Roost on rig-3: Payment received — You earned 2.5 rUSD for market job #7.',
    ]);
  });

  it('is rate-limited and deduplicated like the desktop notices', async () => {
    const { webhook, posts } = setup();
    webhook.observe(jobDone('a1'));
    webhook.observe(jobDone('a1'));
    // Within the minute's cool-down: held for a summary, not sent now.
    webhook.observe(jobDone('a2'));
    await webhook.idle();
    expect(posts).toHaveLength(1);
  });

  it('warns once in plain words when the webhook answers an error, and again only after half an hour', async () => {
    const { webhook, posts, warnings, infos, advance } = setup({
      answer: () => ({ status: 404 }),
    });
    webhook.observe(jobDone('a1'));
    await webhook.idle();
    advance(61_000);
    webhook.observe(jobDone('a2'));
    await webhook.idle();
    expect(posts).toHaveLength(2);
    expect(warnings).toEqual([
      'the notification webhook answered 404: there is no webhook at that URL (was it deleted?); check the URL in Settings → Notifications. Notices are not arriving; this is said again in 30 minutes if it lasts.',
    ]);
    advance(30 * 60_000);
    webhook.observe(jobDone('a3'));
    await webhook.idle();
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).not.toContain('secret-token');
    expect(infos).toEqual([]);
  });

  it('warns at once of another problem (a 404 after a 500): that is news', async () => {
    let status = 500;
    const { webhook, warnings, advance } = setup({ answer: () => ({ status }) });
    webhook.observe(jobDone('a1'));
    await webhook.idle();
    status = 404;
    advance(61_000);
    webhook.observe(jobDone('a2'));
    await webhook.idle();
    expect(warnings.map((w) => w.slice(0, 40))).toEqual([
      'the notification webhook answered 500: a',
      'the notification webhook answered 404: t',
    ]);
  });

  it('says when a failing webhook takes messages again', async () => {
    let status = 500;
    const { webhook, warnings, infos, advance } = setup({ answer: () => ({ status }) });
    webhook.observe(jobDone('a1'));
    await webhook.idle();
    expect(warnings[0]).toMatch(
      /^the notification webhook answered 500: a problem on the service's side/,
    );
    status = 200;
    advance(61_000);
    webhook.observe(jobDone('a2'));
    await webhook.idle();
    expect(infos).toEqual(['the notification webhook takes messages again']);
  });

  it('a network failure is a warning too, never a throw', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error(`connect ECONNREFUSED ${URL_}`), { code: 'ECONNREFUSED' }),
    });
    const { webhook, warnings } = setup({ answer: () => refused });
    expect(() => webhook.observe(jobDone('a1'))).not.toThrow();
    await webhook.idle();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^the notification webhook could not be reached: nothing answers at that address \(ECONNREFUSED\)/,
    );
    // The error's own message held the URL: it is never quoted.
    expect(warnings[0]).not.toContain('discord.com');
  });

  it('a test goes out at once, outside the rate limit, and says what came back', async () => {
    const { webhook, posts } = setup();
    webhook.observe(jobDone('a1'));
    expect(await webhook.test(URL_)).toEqual({ ok: true, status: 204 });
    expect(posts[1]?.body).toMatchObject({
      kind: 'test',
      title: 'Test notification',
      content:
        'Roost on rig-3: Test notification — Roost can reach this webhook: its notices will arrive here.',
    });
  });

  it('sends nothing once closed', async () => {
    const { webhook, posts } = setup();
    webhook.close();
    webhook.observe(jobDone('a1'));
    await webhook.idle();
    expect(posts).toEqual([]);
  });
});

describe('postWebhook against a real server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });
  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }
  const payload = webhookPayload({ kind: 'test', title: 't', body: 'b' }, new Date(0), 'h');

  it('refuses to follow a redirect', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' }).end();
    });
    const result = await postWebhook(url, payload);
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.ok === false && result.problem).toMatch(
      /answered with a redirect, which Roost does not follow/,
    );
  });

  it('gives up after the timeout', async () => {
    const url = await listen(() => undefined);
    const result = await postWebhook(url, payload, { timeoutMs: 200 });
    expect(result.ok === false && result.problem).toMatch(
      /^the notification webhook did not answer within 200 ms: check the URL/,
    );
    server?.closeAllConnections();
  });

  it('ignores the body of a 2xx answer', async () => {
    const url = await listen((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    expect(await postWebhook(url, payload)).toEqual({ ok: true, status: 200 });
  });
});
