/**
 * The notification webhook's settings, its API method and error codes. Zod only, so
 * `agent/api/contract.ts` can spread them and the renderer can check a URL as it is typed.
 *
 * Which URLs: https anywhere; plain http only to a server on this machine or the local network
 * (127.0.0.1, localhost, 10.x, 172.16–31.x, 192.168.x, 100.64–127.x as Tailscale uses, IPv6
 * loopback, unique-local and link-local addresses, and names that only a LAN resolves: one word
 * such as `gotify`, `.local`, `.lan`, `.home.arpa`, `.internal`). A Discord or Slack URL carries
 * its token in the path: over plain http on the internet anyone on the way could read it and post
 * to the channel; self-hosted ntfy or Gotify on a LAN often has no certificate. A user name or
 * password in the URL (`user:pass@`) is refused: fetch will not send one.
 */
import { z } from 'zod';

/** The notices a webhook may be sent, by kind (the desktop app's own `update` is not one). */
export const NOTIFY_KINDS = [
  'job-done',
  'job-failed',
  'payment',
  'bench-done',
  'needs-you',
] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

export const WEBHOOK_URL_MAX = 2000;

/** True for a host that only this machine or its local network can reach. */
export function isLocalNetworkHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('[')) {
    const ip = host.slice(1, -1);
    return ip === '::1' || /^f[cd][0-9a-f]{2}:/.test(ip) || /^fe[89ab][0-9a-f]:/.test(ip);
  }
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 127 ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (!host.includes('.')) return true;
  return /\.(localhost|local|lan|home\.arpa|internal)$/.test(host);
}

/**
 * What is wrong with a webhook URL, in words that follow its name (`… must be …`); null when it
 * will do. The empty string (no webhook) will do.
 */
export function webhookUrlProblem(text: string): string | null {
  if (text === '') return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be a full URL that starts with https://';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return 'must be a full URL that starts with https://';
  if (url.username !== '' || url.password !== '')
    return 'must not hold a user name or password (user:pass@): use the token the service puts in the URL instead';
  if (url.protocol === 'http:' && !isLocalNetworkHost(url.hostname))
    return 'must start with https:// (plain http:// only to a server on your own network, such as http://192.168.1.20:8080/…): the URL holds a key anyone on the way could read';
  return null;
}

const webhookUrlSchema = z
  .string()
  .max(WEBHOOK_URL_MAX)
  .superRefine((value, ctx) => {
    const problem = webhookUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const kindsSchema = z
  .array(z.enum(NOTIFY_KINDS))
  .max(NOTIFY_KINDS.length)
  .refine((kinds) => new Set(kinds).size === kinds.length, {
    message: 'must name each kind once',
  });

export const notificationSettingsSchema = z.object({
  shown: kindsSchema.describe(
    "Which notices the desktop app shows as your system's notifications, and the dashboard in a browser where you turned them on: job-done, job-failed, payment, bench-done, needs-you",
  ),
  webhookUrl: webhookUrlSchema.describe(
    'Discord, Slack or any service that takes a JSON POST; leave empty for none',
  ),
  kinds: kindsSchema.describe(
    'What the webhook is told: job-done and job-failed (your private jobs, and jobs you posted to the market), payment, bench-done, needs-you (the wallet locked while market jobs wait, a GPU that reached your temperature ceiling, a dispute on your market for you to rule on as its arbiter, or a job you posted that Roost stopped watching)',
  ),
});
export type NotificationSettings = z.infer<typeof notificationSettingsSchema>;

/**
 * A notice as `roost serve` hands it to the browser dashboard (the `agent.notice` event), which
 * shows it as the browser's notification while its tab is in the background. The desktop app
 * shows its own as system notifications.
 */
export const noticeEventSchema = z.object({
  kind: z.enum([...NOTIFY_KINDS, 'update']),
  /** What it is about, announced once: the browser's tag, so one thing makes one notification. */
  key: z.string().max(300),
  title: z.string().max(300),
  body: z.string().max(2000),
});
export type NoticeEvent = z.infer<typeof noticeEventSchema>;

export const defaultNotificationSettings: NotificationSettings = {
  shown: [...NOTIFY_KINDS],
  webhookUrl: '',
  kinds: [...NOTIFY_KINDS],
};

export const notifyErrorCodes = [
  /** notifications.test with no webhook set and none given. */
  'NOTIFY_NOT_SET',
  /** The webhook answered other than 2xx, or could not be reached. */
  'NOTIFY_FAILED',
] as const;

export const notifyMethods = {
  'notifications.test': {
    summary:
      'Send a test notification to the webhook now (the one given, else the saved one) and say what it answered.',
    params: z
      .object({
        webhookUrl: webhookUrlSchema
          .refine((v) => v !== '', 'must not be empty')
          .optional()
          .describe('Test this URL instead of the saved one (the Settings page, before saving)'),
      })
      .strict()
      .default({}),
    result: z.object({ ok: z.literal(true), status: z.number().int() }),
  },
} as const;
