/**
 * The job worker's I/O thread (worker/set-io.ts says what it does and why). The worker's main
 * thread starts it as a node:worker_threads Worker beside session creation; when it cannot start,
 * the worker reads and writes on its main thread as before.
 */
import { parentPort } from 'node:worker_threads';
import { dropThreadStarts, serveIo } from './set-io.ts';

if (!parentPort) throw new Error('worker/io-thread.ts runs only as a worker thread');
// This thread starts none, and after this no code on it can (agent/jobs/sandbox.ts).
if (!dropThreadStarts())
  throw new Error('the I/O thread cannot drop the permission to start threads');
serveIo(parentPort);
