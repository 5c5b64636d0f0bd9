/**
 * The worker's end of the pipe to the agent. Two carriers, one shape:
 * - plain Node (child_process spawn, inside bwrap or not): lines in on stdin, lines out on fd 3;
 * - Electron's utilityProcess: `process.parentPort` messages carrying the same objects.
 * The agent's end lives in agent/jobs/spawner.ts; both speak worker/protocol.ts.
 */
import { writeSync } from 'node:fs';
import type { FromWorker } from './protocol.ts';
import { LineSplitter } from './protocol.ts';

/** A message without its sequence number; the channel numbers it. */
export type Outgoing = FromWorker extends infer M
  ? M extends unknown
    ? Omit<M, 'seq'>
    : never
  : never;

export interface ParentChannel {
  /** Sends the message, after any held ones. */
  send(message: Outgoing): void;
  /**
   * Numbers the message now and keeps it for the next `send` or `flush`: several messages in
   * one write wake the agent once (a batch of short sets), in order.
   */
  hold(message: Outgoing): void;
  flush(): void;
  /** Raw messages from the agent, still to be parsed. */
  onMessage(listener: (raw: unknown) => void): void;
  /** The agent went away (stdin closed, port closed): the worker must exit. */
  onClose(listener: () => void): void;
}

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
}

const OUT_FD = 3;

function writeLines(lines: string): void {
  const bytes = Buffer.from(lines, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(OUT_FD, bytes, offset, bytes.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      // A full pipe: wait a moment for the agent to read.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}

export function connectToParent(): ParentChannel {
  let seq = 0;
  const port = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (port) {
    let held: unknown[] = [];
    const flush = () => {
      const out = held;
      held = [];
      for (const m of out) port.postMessage(m);
    };
    return {
      send: (message) => {
        held.push({ ...message, seq: ++seq });
        flush();
      },
      hold: (message) => void held.push({ ...message, seq: ++seq }),
      flush,
      onMessage: (listener) => port.on('message', (event) => listener(event.data)),
      onClose: (listener) => port.on('close', listener),
    };
  }
  const splitter = new LineSplitter();
  const messageListeners: ((raw: unknown) => void)[] = [];
  const closeListeners: (() => void)[] = [];
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch {
      for (const l of messageListeners) l(undefined);
      return;
    }
    for (const line of lines) {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        raw = undefined;
      }
      for (const l of messageListeners) l(raw);
    }
  });
  const closed = () => {
    for (const l of closeListeners) l();
  };
  process.stdin.on('end', closed);
  process.stdin.on('error', closed);
  let held = '';
  const flush = () => {
    const out = held;
    held = '';
    if (out) writeLines(out);
  };
  return {
    send: (message) => {
      held += JSON.stringify({ ...message, seq: ++seq }) + '\n';
      flush();
    },
    hold: (message) => void (held += JSON.stringify({ ...message, seq: ++seq }) + '\n'),
    flush,
    onMessage: (listener) => messageListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
  };
}
