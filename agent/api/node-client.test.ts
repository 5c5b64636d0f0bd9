import { describe, expect, it } from 'vitest';
import { httpClient } from './node-client.ts';

describe('a running Roost that does not answer', () => {
  it('says which Roost, why, and what to do', async () => {
    const refuse = (() =>
      Promise.reject(new Error('connect ENOENT /data/agent.sock'))) as typeof fetch;
    const app = httpClient('http://localhost', 't', refuse, 'the desktop app');
    expect(await app.call('agent.status')).toEqual({
      ok: false,
      error: {
        code: 'UNAVAILABLE',
        message:
          'Roost (the desktop app) did not answer (connect ENOENT /data/agent.sock). Run the command again in a moment; if it goes on, restart Roost (quit the app, or stop roost serve and start it again).',
      },
    });
    const serve = httpClient('http://127.0.0.1:7787', 't', refuse);
    const result = await serve.call('agent.status');
    expect(!result.ok && result.error.message).toMatch(
      /^Roost at http:\/\/127\.0\.0\.1:7787 did not answer \(connect ENOENT/,
    );
  });
});
