import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { fakeAgentClient, unavailable } from '../testing/fake-client.ts';
import { BROWSER_NOTICES_KEY, useBrowserNotices } from './useBrowserNotices.ts';

/** The browser's notifications, as this test's stand-in for the system's (none here). */
const shown: { title: string; options?: NotificationOptions }[] = [];
class Recorded {
  static permission: NotificationPermission = 'granted';
  onclick: (() => void) | null = null;
  constructor(title: string, options?: NotificationOptions) {
    shown.push({ title, ...(options ? { options } : {}) });
  }
  close() {}
}

function Shell() {
  useBrowserNotices();
  return null;
}

function page(options: { desktop?: boolean } = {}) {
  const fake = fakeAgentClient(() => unavailable(), {
    ...(options.desktop ? { pathOf: () => '/home/ana/x' } : {}),
  });
  render(
    <AgentProvider client={fake.client}>
      <Shell />
    </AgentProvider>,
  );
  return () =>
    act(() =>
      fake.emit({
        event: 'agent.notice',
        payload: {
          kind: 'job-done',
          key: 'job:job-1:done',
          title: 'Job finished',
          body: 'resnet is done: its outputs and signed result are ready.',
        },
      }),
    );
}

describe('notices in the browser', () => {
  let focused = true;
  beforeEach(() => {
    shown.length = 0;
    focused = true;
    vi.stubGlobal('Notification', Recorded);
    vi.spyOn(document, 'hasFocus').mockImplementation(() => focused);
    window.localStorage.setItem(BROWSER_NOTICES_KEY, 'on');
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    window.localStorage.clear();
  });

  it('shows a notice once the person is not at the page, tagged by what it is about', () => {
    const notice = page();
    notice();
    // In front and in use: the page says it already.
    expect(shown).toEqual([]);
    focused = false;
    notice();
    expect(shown).toEqual([
      {
        title: 'Job finished',
        options: {
          body: 'resnet is done: its outputs and signed result are ready.',
          tag: 'job:job-1:done',
        },
      },
    ]);
  });

  it('shows none where they are off here, not allowed, or in the desktop app', () => {
    focused = false;
    window.localStorage.removeItem(BROWSER_NOTICES_KEY);
    page()();
    Recorded.permission = 'denied';
    window.localStorage.setItem(BROWSER_NOTICES_KEY, 'on');
    page()();
    Recorded.permission = 'granted';
    page({ desktop: true })();
    expect(shown).toEqual([]);
  });
});
