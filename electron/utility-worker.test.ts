import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_LINE_BYTES } from '../worker/protocol.ts';
import type { UtilityChild, UtilityForkOptions } from './utility-process.ts';
import { utilityEnv, watchUtilityChild } from './utility-process.ts';
import { createUtilityWorkerSpawner } from './utility-worker.ts';

/** A stand-in for Electron's UtilityProcess: events, piped output, a record of what it got. */
class FakeChild extends EventEmitter implements UtilityChild {
  pid: number | undefined = 4242;
  stdout = new PassThrough();
  stderr = new PassThrough();
  posted: unknown[] = [];
  kills = 0;
  postMessage(message: unknown) {
    this.posted.push(message);
  }
  kill() {
    this.kills += 1;
    return true;
  }
  /** The child ends: its pipes close, then (in whatever order Electron likes) the exit. */
  end(code: number) {
    this.stdout.end();
    this.stderr.end();
    this.emit('exit', code);
  }
}

function fakeFork() {
  const calls: { modulePath: string; args: string[]; options: UtilityForkOptions }[] = [];
  const children: FakeChild[] = [];
  const fork = (modulePath: string, args: string[], options: UtilityForkOptions) => {
    calls.push({ modulePath, args, options });
    const child = new FakeChild();
    children.push(child);
    return child;
  };
  return { fork, calls, children };
}

const launch = {
  jobId: 'job-1',
  inputsDir: '/jobs/job-1/in',
  outDir: '/jobs/job-1/out',
  scratchDir: '/jobs/job-1/scratch',
};

afterEach(() => {
  vi.useRealTimers();
});

describe('the job worker through utilityProcess', () => {
  it('starts the built entry with a scrubbed environment, in the scratch folder', () => {
    const { fork, calls } = fakeFork();
    const spawn = createUtilityWorkerSpawner({
      fork,
      entry: '/app/dist/worker/entry.js',
      env: {
        HOME: '/home/me',
        ROOST_API_TOKEN: 'secret-token',
        NODE_OPTIONS: '--require /tmp/evil.js',
        ELECTRON_RUN_AS_NODE: '1',
        LANG: 'de_DE.UTF-8',
        VK_ICD_FILENAMES: '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
      },
      platform: 'linux',
    });
    const worker = spawn(launch);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.modulePath).toBe('/app/dist/worker/entry.js');
    expect(call.options.cwd).toBe(launch.scratchDir);
    expect(call.options.stdio).toEqual(['ignore', 'pipe', 'pipe']);
    expect(call.options.env).toMatchObject({
      HOME: launch.scratchDir,
      TMPDIR: launch.scratchDir,
      LANG: 'de_DE.UTF-8',
      VK_ICD_FILENAMES: '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
    });
    // No secrets, no code injection, and not the flag that would start Electron as plain Node.
    expect(call.options.env).not.toHaveProperty('ROOST_API_TOKEN');
    expect(call.options.env).not.toHaveProperty('NODE_OPTIONS');
    expect(call.options.env).not.toHaveProperty('ELECTRON_RUN_AS_NODE');
    // The job says honestly which layers it ran with.
    expect(worker.sandbox).toMatchObject({
      scrubbedEnv: true,
      permissionModel: false,
      bwrap: false,
    });
    expect(worker.sandbox.notes?.join(' ')).toMatch(/permission model off/);
    expect(worker.pid).toBe(4242);
  });

  it("runs a launch's own entry (test payloads) instead of the default", () => {
    const { fork, calls } = fakeFork();
    createUtilityWorkerSpawner({ fork, entry: '/app/entry.js' })({ ...launch, entry: '/t/p.js' });
    expect(calls[0]!.modulePath).toBe('/t/p.js');
  });

  it('passes messages both ways and refuses what the pipe protocol would refuse', () => {
    const { fork, children } = fakeFork();
    const worker = createUtilityWorkerSpawner({ fork, entry: '/e.js' })(launch);
    const child = children[0]!;
    const got: unknown[] = [];
    const protocol: string[] = [];
    worker.onMessage((m) => got.push(m));
    worker.onProtocolError((r) => protocol.push(r));

    worker.send({ type: 'cancel', seq: 1 });
    expect(child.posted).toEqual([{ type: 'cancel', seq: 1 }]);

    child.emit('message', { type: 'hello', seq: 1, protocol: 1, node: 'v24' });
    child.emit('message', 'not an object');
    child.emit('message', [1, 2]);
    child.emit('message', { big: 1n }); // not JSON: garbage
    child.emit('message', { type: 'log', seq: 2, text: 'x'.repeat(MAX_LINE_BYTES) });
    expect(got).toEqual([
      { type: 'hello', seq: 1, protocol: 1, node: 'v24' },
      undefined,
      undefined,
      undefined,
    ]);
    expect(protocol).toEqual([expect.stringMatching(/^a message of \d+ bytes \(the limit is/)]);
  });

  it('reports the exit only after the output, and keeps the last output for diagnosis', async () => {
    const { fork, children } = fakeFork();
    const worker = createUtilityWorkerSpawner({
      fork,
      entry: '/e.js',
      watch: { settleMs: 5, maxOutputBytes: 16 },
    })(launch);
    const child = children[0]!;
    const exits: unknown[] = [];
    worker.onExit((e) => exits.push(e));
    child.stderr.write('onnxruntime: a very long warning line\n');
    child.emit('exit', 3);
    expect(exits).toEqual([]);
    child.stdout.end();
    child.stderr.end();
    await new Promise((r) => setTimeout(r, 30));
    expect(exits).toEqual([{ code: 3, signal: null }]);
    expect(worker.outputTail()).toBe('ng warning line\n');
    // A late listener still hears about it; messages after the exit are dropped.
    const late = await new Promise((resolve) => worker.onExit(resolve));
    expect(late).toEqual({ code: 3, signal: null });
  });

  it('kill asks first, then SIGKILLs a worker stuck in native code', () => {
    vi.useFakeTimers();
    const { fork, children } = fakeFork();
    const killed: number[] = [];
    const worker = createUtilityWorkerSpawner({
      fork,
      entry: '/e.js',
      watch: { killGraceMs: 2000, killPid: (pid) => killed.push(pid) },
    })(launch);
    worker.kill();
    expect(children[0]!.kills).toBe(1);
    vi.advanceTimersByTime(1999);
    expect(killed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(killed).toEqual([4242]);
  });

  it('does not SIGKILL a worker that went on its own', () => {
    vi.useFakeTimers();
    const { fork, children } = fakeFork();
    const killed: number[] = [];
    const worker = createUtilityWorkerSpawner({
      fork,
      entry: '/e.js',
      watch: { killGraceMs: 100, killPid: (pid) => killed.push(pid) },
    })(launch);
    worker.kill();
    children[0]!.end(0);
    vi.advanceTimersByTime(5000);
    expect(killed).toEqual([]);
    // After the exit, kill is a no-op.
    worker.kill();
    expect(children[0]!.kills).toBe(1);
  });

  it('a failed fork throws, which the supervisor reports as a failed start', () => {
    const spawn = createUtilityWorkerSpawner({
      fork: () => {
        throw new Error('utilityProcess.fork before app ready');
      },
      entry: '/e.js',
    });
    expect(() => spawn(launch)).toThrow(/before app ready/);
  });
});

describe('utility children', () => {
  it('never get ELECTRON_RUN_AS_NODE, which would start Electron as plain Node', () => {
    expect(utilityEnv({ ELECTRON_RUN_AS_NODE: '1', A: 'b' })).toEqual({ A: 'b' });
  });

  it('report an exit even when a pipe never ends', async () => {
    vi.useFakeTimers();
    const child = new FakeChild();
    const watched = watchUtilityChild(child, { settleMs: 10 });
    const exits: unknown[] = [];
    watched.onExit((e) => exits.push(e));
    child.emit('exit', 0);
    await vi.advanceTimersByTimeAsync(500);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(exits).toEqual([{ code: 0, signal: null }]);
    expect(watched.exited).toBe(true);
  });

  it('keep a fatal V8 error in the output tail', () => {
    const child = new FakeChild();
    const watched = watchUtilityChild(child);
    child.emit('error', 'FatalError', 'v8::internal::Heap', 'report');
    expect(watched.outputTail()).toMatch(/FatalError at v8::internal::Heap/);
  });
});
