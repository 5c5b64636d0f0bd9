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
  send(message: Outgoing): void;
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

function writeLine(line: string): void {
  const bytes = Buffer.from(line + '\n', 'utf8');
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
    return {
      send: (message) => port.postMessage({ ...message, seq: ++seq }),
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
  return {
    send: (message) => writeLine(JSON.stringify({ ...message, seq: ++seq })),
    onMessage: (listener) => messageListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
  };
}
