import type { Handlers } from '../router.ts';
import { SETTING_LABELS, SETTING_OPTION_LABELS, type SettingsPatch } from '../contract.ts';
import { ApiFailure } from '../errors.ts';
import type { EventBus } from '../../events.ts';
import type { Logger } from '../../log.ts';
import type { SettingsStore } from '../../store/settings-store.ts';
import { describeSettingsChange } from '../../store/settings-words.ts';
import { realTokensProblem } from '../../wallet/network.ts';

/**
 * The Settings page's words for the user's word on a network's tokens, for the log and the
 * Activity list: `“Tokens on this network” is “Test money, no value”`, not `network.tokens test`.
 */
const TOKENS_LABEL = `“${SETTING_LABELS['network.tokens'] ?? 'Tokens on this network'}”`;
const tokensChoice = (value: string): string =>
  `“${SETTING_OPTION_LABELS[`network.tokens.${value}`] ?? value}”`;

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
  /** The market token's symbol, for a price or a stake in the log's words; null: not known yet. */
  tokenSymbol?: () => string | null;
  /**
   * Market leases this Roost holds and has not been paid for (claimed to disputed) on the
   * market it works on now. Absent: none.
   */
  heldLeases?: () => number;
}): Pick<Handlers, 'settings.get' | 'settings.update'> {
  /**
   * Moving to another network or market leaves the leases held on this one to expire, and their
   * collateral with them: refused while there are any. Another RPC URL for the same market is fine.
   */
  function abandonProblem(patch: SettingsPatch): string | undefined {
    if (patch.network === undefined) return undefined;
    const held = deps.heldLeases?.() ?? 0;
    if (held === 0) return undefined;
    const before = deps.settings.get().network;
    const next = { ...before, ...patch.network };
    const market = (n: typeof before) =>
      n.name === 'local' ? 'local' : (n.marketAddress ?? '').toLowerCase();
    if (market(next) === market(before)) return undefined;
    const them = held === 1 ? 'it is' : 'they are';
    return `Roost holds ${held} market lease${held === 1 ? '' : 's'} not paid yet on the market it works on now. Moving to another network or market would leave ${held === 1 ? 'it' : 'them'} to expire, losing the collateral. Wait until ${them} paid (Jobs page → Market jobs, or roost market jobs), then change the network.`;
  }

  /**
   * A known test chain's tokens are always test money: saying they are real is refused, with
   * why. A node that does not answer in time can't be checked; the change is saved, and the rule
   * still holds once it answers (the wallet then says the chain is a test network).
   */
  async function tokensProblem(patch: SettingsPatch): Promise<string | undefined> {
    if (patch.network === undefined || deps.chainIdAt === undefined) return undefined;
    const next = { ...deps.settings.get().network, ...patch.network };
    if (next.name !== 'custom' || next.tokens !== 'real' || !next.rpcUrl) return undefined;
    const chainId = await chainIdWithin(next.rpcUrl);
    if (chainId === undefined) {
      deps.log.warn(
        `${next.rpcUrl} did not say which chain it is, so ${TOKENS_LABEL} is saved as ${tokensChoice('real')} unchecked (a test network's tokens are never real money)`,
      );
      return undefined;
    }
    return realTokensProblem(chainId);
  }

  /** The chain id at `rpcUrl`, or undefined when it can't be asked or does not answer in time. */
  async function chainIdWithin(rpcUrl: string): Promise<number | undefined> {
    if (deps.chainIdAt === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      deps.chainIdAt(rpcUrl).catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), deps.chainIdWaitMs ?? CHAIN_ID_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /**
   * The user's word on a custom network's tokens was said for the chain it was on. A change that
   * points Roost at another custom chain (a new RPC URL) takes it back to unknown, unless the same change says it again: "test money" on a lab's chain must not
   * follow the user to a chain whose tokens have value, nor "real" to one where they have none.
   * Another node of the same chain (both URLs answer with one chain id) keeps it.
   */
  async function keepTokensWord(
    patch: SettingsPatch,
  ): Promise<{ patch: SettingsPatch; forgot?: string }> {
    if (patch.network === undefined || patch.network.tokens !== undefined) return { patch };
    const before = deps.settings.get().network;
    if (before.tokens === undefined || before.tokens === 'unknown') return { patch };
    const next = { ...before, ...patch.network };
    // The word goes with the RPC URL it was said beside (kept while the built-in network is on).
    if (next.rpcUrl === before.rpcUrl) return { patch };
    if (before.rpcUrl && next.rpcUrl) {
      const [was, now] = await Promise.all([
        chainIdWithin(before.rpcUrl),
        chainIdWithin(next.rpcUrl),
      ]);
      if (was !== undefined && was === now) return { patch };
    }
    return {
      patch: { ...patch, network: { ...patch.network, tokens: 'unknown' } },
      forgot: `${TOKENS_LABEL} is ${tokensChoice('unknown')} again: you had chosen ${tokensChoice(before.tokens)} for ${before.rpcUrl ?? 'another network'}, and ${next.rpcUrl ?? 'the new RPC URL'} may be another chain. Say what its tokens are worth in Settings → Network.`,
    };
  }

  return {
    'settings.get': () => deps.settings.get(),
    'settings.update': async (asked) => {
      const problem = abandonProblem(asked) ?? (await tokensProblem(asked));
      if (problem) throw new ApiFailure('SETTINGS_INVALID', problem);
      const { patch, forgot } = await keepTokensWord(asked);
      const before = deps.settings.get();
      const saved = await deps.settings.update(patch);
      deps.log.info(
        describeSettingsChange(asked, saved, {
          tokenSymbol: deps.tokenSymbol?.() ?? null,
          before,
        }),
      );
      if (forgot) deps.log.info(forgot);
      deps.events.emit('settings.changed', saved);
      deps.afterChange?.();
      return saved;
    },
  };
}
