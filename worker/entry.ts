/**
 * The job worker process: one per job, started by the agent's supervisor inside its sandbox
 * (agent/jobs/sandbox.ts). It says hello, takes exactly one `run`, streams progress, answers
 * `done` and exits. It exits at once when the agent goes away, and treats every message from the
 * agent as input to check (sequence numbers, schema), like the agent does with its messages.
 * onnxruntime-node is imported only when the job starts.
 */
import { loadOrt } from './ort.ts';
import { ioThreadBeside, runPlan } from './runner.ts';
import { HEARTBEAT_MS, PROTOCOL_VERSION, parseMessage, toWorkerSchema } from './protocol.ts';
import { connectToParent } from './transport.ts';

const channel = connectToParent();
let lastSeq = 0;
let running = false;
let cancelled = false;

function exit(code: number): never {
  // GPU runtimes may leave threads behind; the answer is out, so leave now.
  process.exit(code);
}

function protocolError(message: string): never {
  channel.send({
    type: 'done',
    result: { ok: false, error: { code: 'worker-protocol', message: `the agent sent ${message}` } },
  });
  exit(2);
}

channel.onClose(() => exit(1));
channel.onMessage((raw) => {
  const parsed = parseMessage(raw, toWorkerSchema);
  if (!parsed.ok) protocolError(parsed.error);
  const message = parsed.value;
  if (message.seq !== lastSeq + 1) protocolError(`message ${message.seq} after ${lastSeq}`);
  lastSeq = message.seq;
  if (message.type === 'cancel') {
    cancelled = true;
    return;
  }
  if (running) protocolError('a second job');
  running = true;
  void runPlan(message.plan, {
    send: (m) => channel.send(m),
    hold: (m) => channel.hold(m),
    cancelled: () => cancelled,
    loadOrt,
    // worker/io-thread.ts beside this file, or io-thread.js beside the built dist/worker/entry.js.
    ioThread: ioThreadBeside(import.meta.url),
  }).then((outcome) => {
    channel.send({ type: 'done', result: outcome });
    exit(0);
  });
});

const heartbeat = setInterval(() => {
  channel.send({ type: 'heartbeat', rssBytes: process.memoryUsage.rss() });
}, HEARTBEAT_MS);
heartbeat.unref();
// Stay alive for the agent's messages (stdin keeps the loop alive; this is for parentPort).
setInterval(() => undefined, 60_000);

channel.send({ type: 'hello', protocol: PROTOCOL_VERSION, node: process.version });
