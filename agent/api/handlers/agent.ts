import { CONTRACT_VERSION, type AgentStatus, type AgentWarning } from '../contract.ts';
import type { Handlers } from '../router.ts';
import { ROOST_VERSION } from '../../version.ts';
import type { LogEntry } from '../../log.ts';

/** The user-visible warnings of the agent (a restored settings file, ...), each dismissable. */
export class Warnings {
  readonly #list: AgentWarning[] = [];
  #count = 0;
  readonly #now: () => Date;
  constructor(now: () => Date) {
    this.#now = now;
  }
  add(code: string, message: string): void {
    this.#count += 1;
    this.#list.push({ id: `w${this.#count}`, code, message, at: this.#now().toISOString() });
  }
  dismiss(id: string): boolean {
    const index = this.#list.findIndex((w) => w.id === id);
    if (index >= 0) this.#list.splice(index, 1);
    return index >= 0;
  }
  all(): AgentWarning[] {
    return [...this.#list];
  }
}

export function agentHandlers(deps: {
  state: () => AgentStatus['state'];
  host: AgentStatus['host'];
  startedAt: Date;
  now: () => Date;
  dataDir: string;
  /** Where the dashboard's server listens, once it does; none: no server (see agentStatusSchema). */
  server?: () => AgentStatus['server'];
  warnings: Warnings;
  electronVersion?: string | undefined;
  /** The latest log lines (log.ts RecentLog); none: an empty list. */
  activity?: (limit: number) => LogEntry[];
}): Pick<Handlers, 'agent.status' | 'agent.version' | 'agent.dismissWarning' | 'agent.activity'> {
  return {
    'agent.status': () => ({
      state: deps.state(),
      host: deps.host,
      startedAt: deps.startedAt.toISOString(),
      uptimeSeconds: Math.max(0, (deps.now().getTime() - deps.startedAt.getTime()) / 1000),
      dataDir: deps.dataDir,
      server: deps.server?.() ?? null,
      warnings: deps.warnings.all(),
    }),
    'agent.version': () => ({
      roost: ROOST_VERSION,
      contract: CONTRACT_VERSION,
      node: process.versions.node,
      ...(deps.electronVersion ? { electron: deps.electronVersion } : {}),
      platform: process.platform,
      arch: process.arch,
    }),
    'agent.dismissWarning': ({ id }) => ({ dismissed: deps.warnings.dismiss(id) }),
    'agent.activity': ({ limit }) => ({ entries: deps.activity?.(limit) ?? [] }),
  };
}
