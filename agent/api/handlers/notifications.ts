import type { Handlers } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import type { WebhookNotifications } from '../../notify/webhook.ts';
import type { SettingsStore } from '../../store/settings-store.ts';

/** `notifications.test`: Settings → Notifications → Send a test, and `roost api notifications.test`. */
export function notificationsHandlers(deps: {
  settings: SettingsStore;
  webhook: WebhookNotifications;
  /** The URL is a secret (it holds the webhook's token): the logs must never show it. */
  addSecret: (secret: string) => void;
}): Pick<Handlers, 'notifications.test'> {
  return {
    'notifications.test': async ({ webhookUrl }) => {
      const url = webhookUrl ?? deps.settings.get().notifications.webhookUrl;
      if (url === '') {
        throw new ApiFailure(
          'NOTIFY_NOT_SET',
          'No notification webhook is set. Enter its URL in Settings → Notifications (or run roost settings set notifications.webhookUrl <url>), then send a test.',
        );
      }
      deps.addSecret(url);
      const result = await deps.webhook.test(url);
      if (result.ok) return { ok: true as const, status: result.status };
      const problem = result.problem.charAt(0).toUpperCase() + result.problem.slice(1);
      throw new ApiFailure('NOTIFY_FAILED', `${problem}.`);
    },
  };
}
