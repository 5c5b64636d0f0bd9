import { useEffect, useMemo, useState } from 'react';
import { AgentProvider, useAgent } from './AgentContext.tsx';
import {
  createClient,
  forgetToken,
  httpTransport,
  preloadTransport,
  saveToken,
  takeToken,
  type ApiClient,
} from './api/transport.ts';
import { TokenPrompt } from './components/TokenPrompt.tsx';
import { ConnectionBanner } from './components/ConnectionBanner.tsx';
import { DashboardPage } from './pages/DashboardPage.tsx';
import { SettingsPage } from './pages/SettingsPage.tsx';
import { WalletPage } from './pages/WalletPage.tsx';
import { JobsPage } from './pages/JobsPage.tsx';
import { BenchmarkPage } from './pages/BenchmarkPage.tsx';
import { SetupProvider } from './components/SetupContext.tsx';
import { useBrowserNotices } from './hooks/useBrowserNotices.ts';
import { useHoldStrayDrops } from './hooks/useHoldStrayDrops.ts';

export const pages = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'benchmark', label: 'Benchmark' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'wallet', label: 'Wallet' },
  { id: 'settings', label: 'Settings' },
] as const;
export type PageId = (typeof pages)[number]['id'];
/** A page, or `setup`: first-run setup opened again, shown on the Dashboard. */
export type Route = PageId | 'setup';

/**
 * Sets `data-theme` to light or dark, resolving `system` from the OS and following it when it
 * changes; returns the cleanup.
 */
export function applyTheme(theme: 'system' | 'light' | 'dark'): () => void {
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const apply = () => {
    document.documentElement.dataset.theme =
      theme === 'system' ? (media.matches ? 'dark' : 'light') : theme;
  };
  apply();
  media.addEventListener('change', apply);
  return () => media.removeEventListener('change', apply);
}

function routeFromHash(hash: string): Route {
  const id = /^#\/([a-z]+)/.exec(hash)?.[1];
  if (id === 'setup') return 'setup';
  return pages.find((p) => p.id === id)?.id ?? 'dashboard';
}

function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => routeFromHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeFromHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function App() {
  const [token, setToken] = useState<string | undefined>(() =>
    window.roost ? undefined : takeToken(window.location, window.sessionStorage, window.history),
  );
  // A token link opened in a tab that already shows Roost (the connect screen, or the dashboard
  // of an agent that has since restarted with a new token) changes only the hash: take it.
  useEffect(() => {
    if (window.roost) return;
    const onHash = () => {
      if (!/(?:^#|&)token=/.test(window.location.hash)) return;
      setToken(takeToken(window.location, window.sessionStorage, window.history));
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const client = useMemo<ApiClient | undefined>(() => {
    if (window.roost) return createClient(preloadTransport(window.roost));
    if (!token) return undefined;
    return createClient(httpTransport(window.location.origin, token));
  }, [token]);

  if (!client) {
    return (
      <TokenPrompt
        onToken={(t) => {
          saveToken(window.sessionStorage, t);
          setToken(t);
        }}
      />
    );
  }
  return (
    <AgentProvider client={client}>
      <Shell
        onForgetToken={() => {
          forgetToken(window.sessionStorage);
          setToken(undefined);
        }}
      />
    </AgentProvider>
  );
}

function Shell({ onForgetToken }: { onForgetToken: () => void }) {
  const route = useHashRoute();
  useHoldStrayDrops();
  useBrowserNotices();
  const page: PageId = route === 'setup' ? 'dashboard' : route;
  const { connection, settings } = useAgent();
  const theme = settings?.general.theme ?? 'system';

  useEffect(() => applyTheme(theme), [theme]);

  useEffect(() => {
    const label =
      route === 'setup' ? 'Set up Roost' : (pages.find((p) => p.id === route)?.label ?? '');
    document.title = `${label} · Roost`;
  }, [route]);

  if (connection === 'unauthorized') {
    return <TokenPrompt rejected onToken={() => undefined} onReset={onForgetToken} />;
  }

  return (
    <SetupProvider route={route}>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <nav className="sidebar" aria-label="Main">
          <div className="brand">
            <img src="./icon.svg" alt="" width="28" height="28" />
            <span>Roost</span>
          </div>
          <ul>
            {pages.map((p) => (
              <li key={p.id}>
                <a href={`#/${p.id}`} aria-current={p.id === page ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          <ConnectionBanner />
          {page === 'dashboard' && <DashboardPage />}
          {page === 'benchmark' && <BenchmarkPage />}
          {page === 'jobs' && <JobsPage />}
          {page === 'wallet' && <WalletPage />}
          {page === 'settings' && <SettingsPage />}
        </main>
      </div>
    </SetupProvider>
  );
}
