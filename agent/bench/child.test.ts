import { describe, expect, it, vi } from 'vitest';
import type { BenchPlan, ToBench } from '../../worker/bench-protocol.ts';
import { BENCH_PROTOCOL_VERSION } from '../../worker/bench-protocol.ts';
import type { BenchChild, BenchChildExit } from './child.ts';
import { runBenchChild } from './child.ts';

const plan: BenchPlan = {
  ep: 'cpu',
  rounds: 2,
  workloads: [
    {
      id: 'gemm-fp32',
      modelFile: '/m.onnx',
      inputs: [{ name: 'x', dtype: 'float32', dims: [1], file: '/x.bin' }],
      outputs: ['y'],
      warmup: { minMs: 0, minIterations: 1 },
      measure: { minMs: 0, minIterations: 3, maxMs: 1000, maxIterations: 10 },
    },
  ],
};

/** An in-memory child the test speaks for. */
function fakeChild() {
  const sent: ToBench[] = [];
  let onMessage: (raw: unknown) => void = () => undefined;
  let onProtocolError: (reason: string) => void = () => undefined;
  let onExit: (exit: BenchChildExit) => void = () => undefined;
  let seq = 0;
  const killed = vi.fn(() => onExit({ code: null, signal: 'SIGKILL' }));
  const child: BenchChild = {
    send: (m) => sent.push(m),
    onMessage: (l) => (onMessage = l),
    onProtocolError: (l) => (onProtocolError = l),
    onExit: (l) => (onExit = l),
    outputTail: () => 'onnxruntime said things',
    kill: killed,
  };
  return {
    child,
    sent,
    killed,
    say: (m: Record<string, unknown>) => onMessage({ ...m, seq: ++seq }),
    raw: (m: unknown) => onMessage(m),
    garble: (reason: string) => onProtocolError(reason),
    exit: (code: number | null, signal: string | null = null) => onExit({ code, signal }),
  };
}

const hello = {
  type: 'hello',
  protocol: BENCH_PROTOCOL_VERSION,
  pid: 1,
  node: '24',
  onnxruntimeVersion: '1.30.0',
};
const done = {
  type: 'workload-done',
  id: 'gemm-fp32',
  sessionMs: 3,
  warmup: { iterations: 1, ms: 2 },
  timingsMs: [1, 2, 3],
  firstOutputs: [{ name: 'y', dims: [1], values: [1] }],
  lastOutputs: [{ name: 'y', dims: [1], values: [1] }],
  endedBy: 'protocol',
};

describe('the benchmark child protocol (agent side)', () => {
  it('sends the plan after hello and collects the results', async () => {
    const f = fakeChild();
    const outcome = runBenchChild({ spawn: () => f.child, launch: { entry: 'e', env: {} }, plan });
    f.say(hello);
    expect(f.sent).toEqual([{ type: 'run', seq: 1, plan }]);
    f.say({ type: 'workload-started', id: 'gemm-fp32' });
    f.say({ type: 'progress', id: 'gemm-fp32', phase: 'measure', iterations: 2, elapsedMs: 4 });
    f.say(done);
    f.say({ type: 'done', stopped: false });
    f.exit(0);
    const result = await outcome;
    expect(result.failure).toBeUndefined();
    expect(result.hello?.onnxruntimeVersion).toBe('1.30.0');
    expect(result.started).toEqual(['gemm-fp32']);
    expect(result.results.get('gemm-fp32')).toMatchObject({
      type: 'workload-done',
      timingsMs: [1, 2, 3],
    });
    expect(result.outputTail).toBe('onnxruntime said things');
  });

  it.each([
    [
      'a message that does not parse',
      (f: ReturnType<typeof fakeChild>) => f.say({ type: 'workload-done', id: 'x' }),
      /does not parse/,
    ],
    [
      'a gap in the sequence',
      (f: ReturnType<typeof fakeChild>) => f.raw({ type: 'done', stopped: false, seq: 5 }),
      /message 5 after 1/,
    ],
    [
      'an endless line',
      (f: ReturnType<typeof fakeChild>) => f.garble('a message longer than 16 bytes'),
      /broke the protocol/,
    ],
    [
      'a line that is not JSON',
      (f: ReturnType<typeof fakeChild>) => f.raw(undefined),
      /does not parse/,
    ],
  ])('kills a child that sends %s', async (_, misbehave, why) => {
    const f = fakeChild();
    const outcome = runBenchChild({ spawn: () => f.child, launch: { entry: 'e', env: {} }, plan });
    f.say(hello);
    misbehave(f);
    const result = await outcome;
    expect(f.killed).toHaveBeenCalled();
    expect(result.failure).toMatch(why);
  });

  it('reports a child that dies mid-run', async () => {
    const f = fakeChild();
    const outcome = runBenchChild({ spawn: () => f.child, launch: { entry: 'e', env: {} }, plan });
    f.say(hello);
    f.say({ type: 'workload-started', id: 'gemm-fp32' });
    f.exit(null, 'SIGSEGV');
    const result = await outcome;
    expect(result.failure).toBe('the benchmark process ended early (SIGSEGV)');
    expect(result.started).toEqual(['gemm-fp32']);
    expect(result.results.size).toBe(0);
  });

  it('kills a child that goes silent', async () => {
    vi.useFakeTimers();
    try {
      const f = fakeChild();
      const outcome = runBenchChild({
        spawn: () => f.child,
        launch: { entry: 'e', env: {} },
        plan,
        silenceMs: 1000,
      });
      f.say(hello);
      await vi.advanceTimersByTimeAsync(1001);
      const result = await outcome;
      expect(f.killed).toHaveBeenCalled();
      expect(result.failure).toMatch(/no sign of life for 1 s/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('asks the child to stop on abort, and kills it if it does not within the grace time', async () => {
    vi.useFakeTimers();
    try {
      const f = fakeChild();
      const controller = new AbortController();
      const outcome = runBenchChild({
        spawn: () => f.child,
        launch: { entry: 'e', env: {} },
        plan,
        signal: controller.signal,
        stopGraceMs: 500,
      });
      f.say(hello);
      f.say({ type: 'workload-started', id: 'gemm-fp32' });
      controller.abort();
      expect(f.sent.at(-1)).toEqual({ type: 'stop', seq: 2 });
      expect(f.killed).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(501);
      const result = await outcome;
      expect(f.killed).toHaveBeenCalled();
      expect(result.stopped).toBe(true);
      expect(result.failure).toBeUndefined(); // a stop is not a failure
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops before the plan is even sent when already aborted', async () => {
    const f = fakeChild();
    const controller = new AbortController();
    controller.abort();
    const outcome = runBenchChild({
      spawn: () => f.child,
      launch: { entry: 'e', env: {} },
      plan,
      signal: controller.signal,
    });
    f.say(hello);
    expect(f.sent.map((m) => m.type)).toEqual(['run', 'stop']);
    f.say({ type: 'done', stopped: true });
    f.exit(0);
    expect((await outcome).stopped).toBe(true);
  });

  it('reports a spawner that throws', async () => {
    const result = await runBenchChild({
      spawn: () => {
        throw new Error('ENOENT');
      },
      launch: { entry: 'e', env: {} },
      plan,
    });
    expect(result.failure).toMatch(/could not start: Error: ENOENT/);
  });
});
