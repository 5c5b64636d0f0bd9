/**
 * A fake agent for the renderer's tests, in place of a hand-rolled `ApiClient` in each file.
 * Only tests import this folder, so it never reaches the app's bundle.
 */
import { act } from '@testing-library/react';
import type { AgentEvent } from '../../../agent/api/contract.ts';
import type { ApiClient } from '../api/transport.ts';

/** What a fake agent is: the client to hand to `AgentProvider`, and a way to send it events. */
export interface FakeAgentClient {
  client: ApiClient;
  /** Delivers an event to whoever listens (inside React's `act`); nothing before anyone does. */
  emit(event: AgentEvent): void;
}

/**
 * A client whose every call is answered by `call` (its value or the promise it returns is what
 * the caller gets, unchecked against the contract), and whose event stream is open at once.
 */
export function fakeAgentClient(
  call: (method: string, params?: unknown) => unknown,
  options: {
    /** Where download links lead, as on the dashboard of roost serve (absent: the app). */
    linkUrl?: (path: string) => string;
    /** Chosen files' paths, as the desktop app's bridge gives them. */
    pathOf?: ApiClient['pathOf'];
    /** Where chosen files are sent, as on the dashboard of roost serve. */
    upload?: ApiClient['upload'];
  } = {},
): FakeAgentClient {
  let listener: (event: AgentEvent) => void = () => undefined;
  const listen: ApiClient['listen'] = (onEvent, onState) => {
    listener = onEvent;
    onState('open');
    return () => undefined;
  };
  return {
    client: {
      call: (method: string, params?: unknown) => Promise.resolve(call(method, params)),
      listen,
      ...(options.linkUrl ? { linkUrl: options.linkUrl } : {}),
      ...(options.pathOf ? { pathOf: options.pathOf } : {}),
      ...(options.upload ? { upload: options.upload } : {}),
    } as unknown as ApiClient,
    emit: (event) => {
      act(() => listener(event));
    },
  };
}

/** A successful answer. */
export const ok = (value: unknown) => ({ ok: true, value });

/** The answer of a fake agent to a method its test does not expect. */
export const unavailable = () => ({ ok: false, error: { code: 'UNAVAILABLE', message: 'no' } });
