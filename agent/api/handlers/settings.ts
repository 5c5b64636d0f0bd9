import type { Handlers } from '../router.ts';
import type { SettingsPatch } from '../contract.ts';
import { ApiFailure } from '../errors.ts';
import type { EventBus } from '../../events.ts';
import type { Logger } from '../../log.ts';
import type { SettingsStore } from '../../store/settings-store.ts';
import { realTokensProblem } from '../../wallet/network.ts';

function describePatch(patch: Record<string, unknown>): string {
  const keys: string[] = [];
  for (const [section, fields] of Object.entries(patch)) {
    if (fields && typeof fields === 'object')
      for (const key of Object.keys(fields)) keys.push(`${section}.${key}`);
  }
  return keys.join(', ') || 'nothing';
}

/** How long a settings change waits for the chain to say its id before it is saved unchecked. */
const CHAIN_ID_WAIT_MS = 5000;

export function settingsHandlers(deps: {
  settings: SettingsStore;
  events: EventBus;
  log: Logger;
  /** Runs after a change is saved (the work policy re-decides at once). */
  afterChange?: () => void;
  /**
   * The chain id the node at an RPC URL answers with: a custom network whose tokens are said to
   * be real is checked against the known test chains before it is saved.
   */
  chainIdAt?: (rpcUrl: string) => Promise<number>;
  /** Default 5 s. */
  chainIdWaitMs?: number;
}): Pick<Handlers, 'settings.get' | 'settings.update'> {
  /**
   * A known test chain's tokens are always test money: saying they are real is refused, with
   * why. A node that does not answer in time can't be checked; the change is saved, and the rule
   * still holds once it answers (the wallet then says the chain is a test network).
   */
  async function tokensProblem(patch: SettingsPatch): Promise<string | undefined> {
    if (patch.network === undefined || deps.chainIdAt === undefined) return undefined;
    const next = { ...deps.settings.get().network, ...patch.network };
    if (next.name !== 'custom' || next.tokens !== 'real' || !next.rpcUrl) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const chainId = await Promise.race([
      deps.chainIdAt(next.rpcUrl).catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), deps.chainIdWaitMs ?? CHAIN_ID_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    if (chainId === undefined) {
      deps.log.warn(
        `could not ask ${next.rpcUrl} for its chain id; network.tokens real saved unchecked`,
      );
      return undefined;
    }
    return realTokensProblem(chainId);
  }

  return {
    'settings.get': () => deps.settings.get(),
    'settings.update': async (patch) => {
      const problem = await tokensProblem(patch);
      if (problem) throw new ApiFailure('SETTINGS_INVALID', problem);
      const saved = await deps.settings.update(patch);
      deps.log.info(`settings changed: ${describePatch(patch)}`);
      deps.events.emit('settings.changed', saved);
      deps.afterChange?.();
      return saved;
    },
  };
}
