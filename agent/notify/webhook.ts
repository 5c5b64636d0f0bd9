/**
 * The notification webhook: a rig or a lab server with no one at its screen tells its owner in
 * Discord, Slack, Mattermost, ntfy, Gotify or anything else that takes a JSON POST. Every
 * long-lived host (`roost serve`, the desktop app) sends the agent's notices (./notices.ts, with
 * their rate limit) to `notifications.webhookUrl` when it is set, for the kinds ticked in
 * `notifications.kinds`.
 *
 * One body suits them all: `{ title, body, kind, at, host, text, content }`, where `content` and
 * `text` are the whole message, "Roost on <computer>: <title> — <body>". What this rests on:
 * - Discord's Execute Webhook (discord.com/developers/docs/resources/webhook#execute-webhook;
 *   discord.com/api/webhooks/<id>/<token>, discordapp.com alike) takes a JSON body whose
 *   `content` is the message, at most 2000 characters, and answers 204 No Content unless asked
 *   `?wait=true`.
 * - Slack's incoming webhooks (api.slack.com/messaging/webhooks; hooks.slack.com/services/…) take
 *   a JSON body whose `text` is the message and answer 200 `ok`; `&`, `<` and `>` in it must be
 *   written `&amp;`, `&lt;`, `&gt;` (api.slack.com/docs/formatting), or a job named `a<b` would be
 *   read as a link. Mattermost's incoming webhooks take Slack's `text`.
 * - That both ignore the fields they do not know (title, body, kind, at, host) is not something
 *   their pages say in so many words: it is how both behave, and what tools that post one body to
 *   both rely on. The test button says at once if a service thinks otherwise.
 *
 * Sending never blocks or stops anything: 10 s at most, redirects refused (a redirect could carry
 * the body elsewhere), the answer's body ignored. A non-2xx answer or a network failure is one
 * warning in the log in plain words, said again at most once per half hour while it lasts (at
 * once when the problem changes: a 404 after a timeout is news). The
 * URL is a secret (it holds the token): the agent registers it with its redactor, and it is never
 * put in a log line or an error here.
 */
import { hostname } from 'node:os';
import type { AgentEvent } from '../api/contract.ts';
import type { Logger } from '../log.ts';
import { ROOST_VERSION } from '../version.ts';
import { createNotices, ofKinds, type Notice, type NotifierOptions } from './notices.ts';
import type { NotificationSettings } from './schema.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** A failing webhook is warned of again after this long, not on every notice. */
export const WEBHOOK_WARN_EVERY_MS = 30 * 60_000;
/** Discord's limit for `content`. */
const CONTENT_MAX = 2000;

export interface WebhookPayload {
  title: string;
  body: string;
  /** A notice kind (`job-done`, `needs-you`, …), or `test` for Send a test. */
  kind: string;
  /** When it happened, ISO 8601. */
  at: string;
  /** The computer's name, so one channel can serve several rigs. */
  host: string;
  /** Slack and Mattermost: the whole message, `&`, `<`, `>` escaped as Slack asks. */
  text: string;
  /** Discord: the whole message, at most 2000 characters. */
  content: string;
}

const slackEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The JSON body for one notice. */
export function webhookPayload(
  notice: Pick<Notice, 'title' | 'body'> & { kind: string },
  at: Date,
  host: string,
): WebhookPayload {
  // Named by the computer: a miner's rigs often share one channel.
  const message = `Roost on ${host}: ${notice.title} — ${notice.body}`;
  return {
    title: notice.title,
    body: notice.body,
    kind: notice.kind,
    at: at.toISOString(),
    host,
    text: slackEscape(message),
    content: message.length > CONTENT_MAX ? `${message.slice(0, CONTENT_MAX - 1)}…` : message,
  };
}

export type WebhookResult =
  | { ok: true; status: number }
  /** `problem` follows "the notification webhook …" and never holds the URL. */
  | { ok: false; status: number | null; problem: string };

const WHERE = 'check the URL in Settings → Notifications';

/** What a non-2xx answer means, in words. */
function answeredWords(status: number): string {
  if (status === 404 || status === 410)
    return `the notification webhook answered ${status}: there is no webhook at that URL (was it deleted?); ${WHERE}`;
  if (status === 401 || status === 403)
    return `the notification webhook answered ${status}: it refused the message (a wrong or revoked token in the URL?); ${WHERE}`;
  if (status === 429)
    return `the notification webhook answered 429: it takes no more messages for now; Roost sends fewer, and the next ones should arrive`;
  if (status >= 500)
    return `the notification webhook answered ${status}: a problem on the service's side; if it lasts, ${WHERE} and the service's status`;
  return `the notification webhook answered ${status}: ${WHERE}`;
}

/** Why a fetch failed, in words, from its error's name and code only (messages may hold the URL). */
function failedWords(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError')
    return `the notification webhook did not answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}: ${WHERE} and that the service is up`;
  const code = err.cause?.code;
  if (!code && /redirect/i.test(err.cause?.message ?? ''))
    return `the notification webhook answered with a redirect, which Roost does not follow: put the address it redirects to in Settings → Notifications`;
  // fetch refuses ports browsers block (1, 25, 6000, …): a message of its own, with no URL in it.
  if (!code && err.cause?.message === 'bad port')
    return `the notification webhook's port is one that web requests may not use: ${WHERE}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `the notification webhook could not be reached: its server's name was not found (${code}); ${WHERE} and this computer's internet connection`;
  if (code === 'ECONNREFUSED')
    return `the notification webhook could not be reached: nothing answers at that address (ECONNREFUSED); ${WHERE} and that the service runs`;
  if (code && /CERT|SSL|TLS|SELF_SIGNED/i.test(code))
    return `the notification webhook's HTTPS certificate is not trusted (${code}); ${WHERE}`;
  return `the notification webhook could not be reached${code ? ` (${code})` : ''}: ${WHERE} and this computer's connection`;
}

/** POSTs one payload; never throws. */
export async function postWebhook(
  url: string,
  payload: WebhookPayload,
  options: { fetch?: typeof fetch; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<WebhookResult> {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `Roost/${ROOST_VERSION}` },
      body: JSON.stringify(payload),
      redirect: 'error',
      signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
    });
    // The answer's body is not read: let its connection go.
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return { ok: true, status: response.status };
    return { ok: false, status: response.status, problem: answeredWords(response.status) };
  } catch (error) {
    return { ok: false, status: null, problem: failedWords(error, timeoutMs) };
  }
}

export interface WebhookNotificationsOptions {
  /** The current notification settings (read at each notice: a change applies at once). */
  settings: () => NotificationSettings;
  /** The payment token, to show a payout in its units. */
  token: () => { symbol: string; decimals: number } | null;
  log: Pick<Logger, 'info' | 'warn'>;
  /** The computer's name in each message; default `os.hostname()`. */
  host?: string;
  /** A GPU's name for people (the work policy's). */
  gpuName?: (gpuId: string) => string;
  fetch?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
  warnEveryMs?: number;
  /** The rate limit (./notices.ts): its timer, cool-downs and hourly cap (tests). */
  setTimer?: NotifierOptions['setTimer'];
  coolDownMs?: NotifierOptions['coolDownMs'];
  maxPerHour?: number;
}

export interface WebhookNotifications {
  /** Takes in every agent event; the few that deserve a notice are sent. */
  observe(event: AgentEvent): void;
  /** Sends a test notice now, outside the rate limit, to `url`; never throws. */
  test(url: string): Promise<WebhookResult>;
  /** Resolves when every send started so far has ended (tests). */
  idle(): Promise<void>;
  /** Stops sending; sends in flight are abandoned. */
  close(): void;
}

export function createWebhookNotifications(
  options: WebhookNotificationsOptions,
): WebhookNotifications {
  const now = options.now ?? (() => Date.now());
  const host = options.host ?? hostname();
  const warnEvery = options.warnEveryMs ?? WEBHOOK_WARN_EVERY_MS;
  const closing = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  let lastWarned: { at: number; problem: string } | undefined;
  let failing = false;

  const post = (url: string, notice: Pick<Notice, 'title' | 'body'> & { kind: string }) => {
    const sent = postWebhook(url, webhookPayload(notice, new Date(now()), host), {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      signal: closing.signal,
    });
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
    return sent;
  };

  const send = (notice: Notice): void => {
    const url = options.settings().webhookUrl;
    if (url === '' || closing.signal.aborted) return;
    void post(url, notice).then((result) => {
      if (closing.signal.aborted) return;
      if (result.ok) {
        if (failing) options.log.info('the notification webhook takes messages again');
        failing = false;
        lastWarned = undefined;
        return;
      }
      failing = true;
      // The same problem again within the half hour is not news; another problem is.
      if (
        lastWarned !== undefined &&
        lastWarned.problem === result.problem &&
        now() - lastWarned.at < warnEvery
      )
        return;
      lastWarned = { at: now(), problem: result.problem };
      options.log.warn(
        `${result.problem}. Notices are not arriving; this is said again in ${Math.round(warnEvery / 60_000)} minutes if it lasts.`,
      );
    });
  };

  const notices = createNotices({
    show: send,
    now,
    token: options.token,
    ...(options.gpuName ? { gpuName: options.gpuName } : {}),
    ...(options.setTimer ? { setTimer: options.setTimer } : {}),
    ...(options.coolDownMs ? { coolDownMs: options.coolDownMs } : {}),
    ...(options.maxPerHour !== undefined ? { maxPerHour: options.maxPerHour } : {}),
    accept: (notice) => {
      const settings = options.settings();
      return settings.webhookUrl !== '' && ofKinds(settings.kinds, notice);
    },
  });

  return {
    observe: notices.observe,
    test(url) {
      return post(url, {
        kind: 'test',
        title: 'Test notification',
        body: 'Roost can reach this webhook: its notices will arrive here.',
      });
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close() {
      closing.abort();
    },
  };
}
