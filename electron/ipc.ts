import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { methodNames, type AgentEvent, type Result } from '../agent/api/contract.ts';
import type { Router } from '../agent/api/router.ts';
import type { EventBus } from '../agent/events.ts';
import { isAppUrl } from './security.ts';

/** The channel of each method (`roost:settings.update`) and of events; shared with the preload. */
export const methodChannel = (method: string) => `roost:${method}`;
export const EVENT_CHANNEL = 'roost:event';

/**
 * A sender is trusted only if it is the top frame of one of our windows showing the app itself:
 * not a subframe, not a page that navigated elsewhere.
 */
export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'senderFrame' | 'sender'>,
  windowIds: ReadonlySet<number>,
): boolean {
  const frame = event.senderFrame;
  if (!frame) return false;
  if (frame.parent !== null) return false;
  if (!windowIds.has(event.sender.id)) return false;
  return isAppUrl(frame.url);
}

export interface IpcDeps {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  router: Router;
  events: EventBus;
  /** webContents ids of Roost's own windows. */
  trustedContents: () => Iterable<WebContents>;
  log: (message: string) => void;
}

/** Registers one handler per contract method, each checking its sender; forwards events. */
export function registerIpc(deps: IpcDeps): () => void {
  const ids = () => new Set([...deps.trustedContents()].map((c) => c.id));
  for (const method of methodNames) {
    deps.ipcMain.handle(
      methodChannel(method),
      async (event, params: unknown): Promise<Result<unknown>> => {
        if (!isTrustedSender(event, ids())) {
          deps.log(
            `[ipc] refused ${method} from an untrusted sender (${event.senderFrame?.url ?? 'no frame'})`,
          );
          return {
            ok: false,
            error: { code: 'FORBIDDEN', message: 'This page may not talk to Roost.' },
          };
        }
        return deps.router.call(method, params);
      },
    );
  }
  const unsubscribe = deps.events.subscribe((event: AgentEvent) => {
    for (const contents of deps.trustedContents()) {
      if (!contents.isDestroyed() && isAppUrl(contents.getURL()))
        contents.send(EVENT_CHANNEL, event);
    }
  });
  return () => {
    unsubscribe();
    for (const method of methodNames) deps.ipcMain.removeHandler(methodChannel(method));
  };
}
