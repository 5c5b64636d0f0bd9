import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import type { AgentEvent, AgentStatus, AgentVersion, Settings } from '../../agent/api/contract.ts';
import type { ApiClient, ConnectionState } from './api/transport.ts';

export interface AgentView {
  client: ApiClient;
  connection: ConnectionState;
  status?: AgentStatus;
  version?: AgentVersion;
  settings?: Settings;
  /** The last log lines from the agent at info level and above, newest last. */
  log: Extract<AgentEvent, { event: 'agent.log' }>['payload'][];
  refresh(): Promise<void>;
  setSettings(settings: Settings): void;
  /** Every agent event, for views that follow a stream (telemetry); returns an unsubscribe. */
  subscribe(listener: (event: AgentEvent) => void): () => void;
}

const AgentContext = createContext<AgentView | undefined>(undefined);

export function useAgent(): AgentView {
  const view = useContext(AgentContext);
  if (!view) throw new Error('useAgent outside AgentProvider');
  return view;
}

const LOG_LINES = 200;

export function AgentProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [status, setStatus] = useState<AgentStatus>();
  const [version, setVersion] = useState<AgentVersion>();
  const [settings, setSettings] = useState<Settings>();
  const [log, setLog] = useState<AgentView['log']>([]);
  // One connection to the agent fans out to every view that listens.
  const [listeners] = useState(() => new Set<(event: AgentEvent) => void>());
  const subscribe = useCallback(
    (listener: (event: AgentEvent) => void) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    [listeners],
  );

  const refresh = useCallback(async () => {
    const [s, v, st] = await Promise.all([
      client.call('agent.status'),
      client.call('agent.version'),
      client.call('settings.get'),
    ]);
    if (s.ok) setStatus(s.value);
    if (v.ok) setVersion(v.value);
    if (st.ok) setSettings(st.value);
    if (!s.ok && s.error.code === 'UNAUTHORIZED') setConnection('unauthorized');
  }, [client]);

  useEffect(() => {
    const stop = client.listen(
      (event) => {
        for (const listener of listeners) listener(event);
        // Debug lines (a state polled again, unchanged) are for the log file, not the Activity.
        if (event.event === 'agent.log' && event.payload.level !== 'debug')
          setLog((lines) => [...lines.slice(-(LOG_LINES - 1)), event.payload]);
        else if (event.event === 'settings.changed') setSettings(event.payload);
      },
      (state) => {
        setConnection(state);
        // Every (re)connection reloads the whole picture; events keep it current after that.
        if (state === 'open') {
          void refresh();
          // What happened before this page opened (or while it was cut off), then what the
          // events brought meanwhile, each line once.
          void client.call('agent.activity', { limit: LOG_LINES }).then((r) => {
            if (!r.ok) return;
            const key = (e: AgentView['log'][number]) => `${e.at} ${e.subsystem} ${e.message}`;
            setLog((lines) => {
              const had = new Set(r.value.entries.map(key));
              return [...r.value.entries, ...lines.filter((l) => !had.has(key(l)))].slice(
                -LOG_LINES,
              );
            });
          });
        }
      },
    );
    const timer = setInterval(() => void refresh(), 10_000);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, [client, refresh, listeners]);

  const value = useMemo<AgentView>(
    () => ({ client, connection, status, version, settings, log, refresh, setSettings, subscribe }),
    [client, connection, status, version, settings, log, refresh, subscribe],
  );
  return <AgentContext.Provider value={value}>{children}</AgentContext.Provider>;
}
