import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { InstallCuda } from './InstallCuda.tsx';
import { fakeAgentClient, unavailable } from '../testing/fake-client.ts';
import { addAppStyles } from '../testing/styles.ts';

beforeEach(addAppStyles);
afterEach(cleanup);

describe('InstallCuda', () => {
  it('puts what the download is on a line under the button, not run around it', () => {
    render(
      <AgentProvider client={fakeAgentClient(unavailable).client}>
        <InstallCuda onInstalled={() => undefined} />
      </AgentProvider>,
    );
    const button = screen.getByRole('button', { name: 'Install CUDA libraries' });
    const note = screen.getByText(/A download of several hundred MB/);
    expect(button.nextElementSibling).toBe(note);
    expect(getComputedStyle(note).display).toBe('block');
  });
});
