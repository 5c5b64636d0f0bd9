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

export const pages = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'benchmark', label: 'Benchmark' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'wallet', label: 'Wallet' },
  { id: 'settings', label: 'Settings' },
] as const;
export type PageId = (typeof pages)[number]['id'];

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

function pageFromHash(hash: string): PageId {
  const id = /^#\/([a-z]+)/.exec(hash)?.[1];
  return pages.find((p) => p.id === id)?.id ?? 'dashboard';
}

function useHashPage(): PageId {
  const [page, setPage] = useState<PageId>(() => pageFromHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setPage(pageFromHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return page;
}

export function App() {
  const [token, setToken] = useState<string | undefined>(() =>
    window.roost ? undefined : takeToken(window.location, window.sessionStorage, window.history),
  );
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
  const page = useHashPage();
  const { connection, settings } = useAgent();
  const theme = settings?.general.theme ?? 'system';

  useEffect(() => applyTheme(theme), [theme]);

  useEffect(() => {
    const label = pages.find((p) => p.id === page)?.label ?? '';
    document.title = `${label} · Roost`;
  }, [page]);

  if (connection === 'unauthorized') {
    return <TokenPrompt rejected onToken={() => undefined} onReset={onForgetToken} />;
  }

  return (
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
  );
}
