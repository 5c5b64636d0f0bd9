/**
 * A scriptable stand-in for a worker process, for unit tests of the supervisor and the service:
 * the script sees each message the agent sends and answers through the controller (messages
 * with or without valid sequence numbers, garbage, crashes, silence).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ToWorker } from '../../../worker/protocol.ts';
import type { SpawnWorker, WorkerExit, WorkerLaunch, WorkerProcess } from '../spawner.ts';

export interface FakeWorkerController {
  launch: WorkerLaunch;
  /** Sends a message with the next sequence number. */
  send(message: Record<string, unknown>): void;
  /** Sends exactly this (no sequence number added). */
  sendRaw(raw: unknown): void;
  protocolError(reason: string): void;
  exit(code: number | null, signal?: string | null): void;
  readonly killed: boolean;
  readonly received: ToWorker[];
}

export type FakeWorkerScript = (
  worker: FakeWorkerController,
  message: ToWorker | 'start',
) => unknown;

/** A worker that does a job's input sets instantly and well. */
export const wellBehaved: FakeWorkerScript = (w, m) => {
  if (m === 'start') {
    w.send({ type: 'hello', protocol: 1, node: 'v24' });
    return;
  }
  if (m.type !== 'run') return;
  const plan = m.plan;
  w.send({
    type: 'session',
    ep: plan.executionProviders[0],
    fallbacks: [],
    sessionMs: 1,
    onnxruntimeVersion: '1.30.0',
    inputs: [],
    outputs: [],
  });
  for (let set = plan.startSet; set < plan.setCount; set++) {
    w.send({ type: 'status', stage: 'running', busy: true, set });
    w.send({ type: 'set-done', set, runMs: 1, outputs: [] });
  }
  w.send({
    type: 'done',
    result: {
      ok: true,
      value: {
        ep: plan.executionProviders[0],
        fallbacks: [],
        sessionMs: 1,
        runMs: 1,
        setsDone: plan.setCount,
      },
    },
  });
  w.exit(0);
};

export interface FakeSpawner {
  spawn: SpawnWorker;
  workers: FakeWorkerController[];
}

export function fakeSpawner(script: FakeWorkerScript | FakeWorkerScript[]): FakeSpawner {
  const workers: FakeWorkerController[] = [];
  let pid = 1000;
  const spawn: SpawnWorker = (launch) => {
    const current = Array.isArray(script) ? (script[workers.length] ?? script.at(-1)) : script;
    if (!current) throw new Error('no script');
    const messageListeners: ((raw: unknown) => void)[] = [];
    const protocolListeners: ((reason: string) => void)[] = [];
    const exitListeners: ((exit: WorkerExit) => void)[] = [];
    let exited = false;
    let killed = false;
    let seq = 0;
    const received: ToWorker[] = [];
    const controller: FakeWorkerController = {
      launch,
      send: (message) => {
        if (!exited)
          queueMicrotask(() => messageListeners.forEach((l) => l({ ...message, seq: ++seq })));
      },
      sendRaw: (raw) => {
        if (!exited) queueMicrotask(() => messageListeners.forEach((l) => l(raw)));
      },
      protocolError: (reason) => queueMicrotask(() => protocolListeners.forEach((l) => l(reason))),
      exit: (code, signal = null) => {
        queueMicrotask(() => {
          if (exited) return;
          exited = true;
          exitListeners.forEach((l) => l({ code, signal }));
        });
      },
      get killed() {
        return killed;
      },
      received,
    };
    workers.push(controller);
    const process: WorkerProcess = {
      pid: ++pid,
      sandbox: { scrubbedEnv: true, permissionModel: false, bwrap: false, notes: ['fake worker'] },
      send: (message) => {
        received.push(message);
        void current(controller, message);
      },
      onMessage: (l) => messageListeners.push(l),
      onProtocolError: (l) => protocolListeners.push(l),
      onExit: (l) => exitListeners.push(l),
      outputTail: () => 'fake worker output',
      kill: () => {
        killed = true;
        controller.exit(null, 'SIGKILL');
      },
    };
    queueMicrotask(() => void current(controller, 'start'));
    return process;
  };
  return { spawn, workers };
}

/** A float32 .npy file in numpy's own header format (the agent may not import worker/npy.ts). */
export function float32Npy(values: number[], shape: number[] = [values.length]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = new Uint8Array(total);
  header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, (total - 10) & 0xff, (total - 10) >> 8]);
  const text = dict.padEnd(total - 11, ' ') + '\n';
  for (let i = 0; i < text.length; i++) header[10 + i] = text.charCodeAt(i);
  const data = new Uint8Array(Float32Array.from(values).buffer);
  const out = new Uint8Array(total + data.length);
  out.set(header);
  out.set(data, total);
  return out;
}

/**
 * A worker that really writes its outputs (a float32 [1] holding the set number) where the
 * plan says, like the real one, then reports them.
 */
export function writingWorker(
  options: { failAtSet?: number; extraFile?: string; hangAtSet?: number } = {},
): FakeWorkerScript {
  return (w, m) => {
    if (m === 'start') {
      w.send({ type: 'hello', protocol: 1, node: 'v24' });
      return;
    }
    if (m.type !== 'run') return;
    const plan = m.plan;
    w.send({ type: 'status', stage: 'session', busy: true, ep: plan.executionProviders[0] });
    w.send({
      type: 'session',
      ep: plan.executionProviders[0],
      fallbacks: [],
      sessionMs: 5,
      onnxruntimeVersion: '1.30.0',
      inputs: [],
      outputs: [],
    });
    for (let set = plan.startSet; set < plan.setCount; set++) {
      w.send({ type: 'status', stage: 'running', busy: true, set });
      if (set === options.hangAtSet) return;
      if (set === options.failAtSet) {
        w.exit(null, 'SIGSEGV');
        return;
      }
      const outputs = plan.outputs.map((o) => {
        const file = plan.layout === 'flat' ? o.file : `${set}/${o.file}`;
        const bytes = float32Npy([set]);
        mkdirSync(dirname(join(plan.outDir, file)), { recursive: true });
        writeFileSync(join(plan.outDir, file), bytes);
        return { name: o.name, file, dtype: 'float32', shape: [1], bytes: bytes.length };
      });
      w.send({ type: 'set-done', set, runMs: 2, outputs });
    }
    if (options.extraFile) writeFileSync(join(plan.outDir, options.extraFile), 'junk');
    w.send({
      type: 'done',
      result: {
        ok: true,
        value: {
          ep: plan.executionProviders[0],
          fallbacks: [],
          sessionMs: 5,
          runMs: 2,
          setsDone: plan.setCount,
        },
      },
    });
    w.exit(0);
  };
}
