import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { AgentText } from './AgentText.tsx';

afterEach(cleanup);

describe("the agent's status words on a page", () => {
  it('read as a sentence, with commands as code and the pages named as links', () => {
    const { container } = render(
      <p>
        <AgentText text="there is no wallet yet: create or import one (Wallet page, or `roost wallet create`) to take market jobs" />
      </p>,
    );
    expect(container.textContent).toBe(
      'There is no wallet yet: create or import one (Wallet page, or roost wallet create) to take market jobs.',
    );
    expect(screen.getByRole('link', { name: 'Wallet page' }).getAttribute('href')).toBe('#/wallet');
    expect(container.querySelector('code')?.textContent).toBe('roost wallet create');
  });

  it('leave other words alone', () => {
    const { container } = render(
      <p>
        <AgentText text="The node at 127.0.0.1:8545 did not answer" />
      </p>,
    );
    expect(container.textContent).toBe('The node at 127.0.0.1:8545 did not answer.');
    expect(container.querySelector('a, code')).toBeNull();
  });
});
