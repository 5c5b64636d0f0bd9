import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { ConnectionBanner } from './ConnectionBanner.tsx';
import type { ApiClient } from '../api/transport.ts';
import { unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

/** A client whose event stream has dropped and is being retried. */
const retrying = {
  call: () => Promise.resolve(unavailable()),
  listen: (_onEvent: unknown, onState: (state: 'retrying') => void) => {
    onState('retrying');
    return () => undefined;
  },
} as unknown as ApiClient;

describe('ConnectionBanner', () => {
  it('names roost serve as a command, not between backticks', () => {
    render(
      <AgentProvider client={retrying}>
        <ConnectionBanner />
      </AgentProvider>,
    );
    const banner = screen.getByRole('status');
    expect(banner.textContent).toBe(
      'Lost the connection to the Roost agent. Retrying… (is roost serve still running?)',
    );
    expect(banner.querySelector('code')?.textContent).toBe('roost serve');
  });
});
