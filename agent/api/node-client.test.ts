import { describe, expect, it } from 'vitest';
import { httpClient, parseEventBlock } from './node-client.ts';

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

describe("a running Roost's event stream", () => {
  const progress = {
    runId: 'run-1',
    phase: 'measure',
    workloadIndex: 0,
    workloadCount: 6,
    fraction: 0.25,
    message: 'gemm-fp32',
  };

  it('takes each event the contract knows, checked; drops the rest', () => {
    const job = { jobId: 'job-1', progress: { stage: 'running', setsDone: 1, setsTotal: 4 } };
    expect(parseEventBlock(`event: job.progress\ndata: ${JSON.stringify(job)}`)).toEqual({
      event: 'job.progress',
      payload: job,
    });
    // Data over several lines is one payload.
    expect(
      parseEventBlock(
        'event: job.progress\ndata: {"jobId":"job-1",\ndata: "progress":' +
          JSON.stringify(job.progress) +
          '}',
      )?.event,
    ).toBe('job.progress');
    expect(parseEventBlock(': keep-alive')).toBeUndefined();
    expect(parseEventBlock('retry: 2000')).toBeUndefined();
    expect(parseEventBlock('event: wallet.drained\ndata: {}')).toBeUndefined();
    expect(parseEventBlock('event: job.progress\ndata: {"jobId": 7}')).toBeUndefined();
    expect(parseEventBlock('event: job.progress\ndata: not json')).toBeUndefined();
  });

  it('follows the stream as it arrives, across chunks, and stops when asked', async () => {
    const encoder = new TextEncoder();
    let push: (text: string) => void = () => undefined;
    let aborted = false;
    const streaming = ((_url: string, init?: RequestInit) => {
      init?.signal?.addEventListener('abort', () => (aborted = true));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          push = (text) => controller.enqueue(encoder.encode(text));
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    }) as typeof fetch;
    const seen: unknown[] = [];
    const stop = httpClient('http://127.0.0.1:7787', 't', streaming).events!.subscribe((e) =>
      seen.push(e),
    );
    await new Promise((r) => setTimeout(r, 10));
    const block = `event: bench.progress\ndata: ${JSON.stringify(progress)}\n\n`;
    push('retry: 2000\n\n' + block.slice(0, 20));
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([]);
    push(block.slice(20) + ': keep-alive\r\n\r\n');
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([{ event: 'bench.progress', payload: progress }]);
    stop();
    expect(aborted).toBe(true);
    push(block);
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toHaveLength(1);
  });
});
