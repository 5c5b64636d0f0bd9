#!/usr/bin/env node
// The `roost` command. Roost runs on Node 24 (the Node inside Electron 45), which runs the
// TypeScript sources directly. Under an older Node (npm's own, say) re-run with the pinned one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(
      `Error: Roost needs Node 24 or newer (this is Node ${process.versions.node}). Run \`npm ci\` in the Roost folder to get it, or install Node 24.\n`,
    );
    process.exit(1);
  }
  const child = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

const { runCli } = await import('../agent/cli.ts');
// The first Ctrl+C (or SIGTERM) stops Roost cleanly; more signals while it stops (a terminal
// sends one to the whole process group, npm forwards another) don't cut that short.
const stopped = new Promise((resolve) => {
  let stopping = false;
  const onSignal = (signal) => {
    if (!stopping) {
      stopping = true;
      resolve(signal);
      setTimeout(() => {
        process.stderr.write('Error: Roost did not stop within 15 s; exiting now.\n');
        process.exit(1);
      }, 15_000).unref();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
});
// Questions (passwords, recovery words, y/N) are asked on the terminal with the answer hidden
// for secrets, or, when stdin is not a terminal, read one line each from stdin (for scripts).
let stdinLines;
async function prompt(question, { secret }) {
  const { createInterface } = await import('node:readline');
  if (!process.stdin.isTTY) {
    stdinLines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    process.stderr.write(question);
    const next = await stdinLines.next();
    process.stderr.write('\n');
    if (next.done) throw new Error(`no answer on stdin to "${question.trim()}"`);
    return next.value;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (secret) {
    // Echo nothing of what is typed.
    rl._writeToOutput = (text) => {
      if (text.includes(question)) process.stderr.write(question);
    };
  }
  try {
    return await new Promise((resolve) => rl.question(question, resolve));
  } finally {
    if (secret) process.stderr.write('\n');
    rl.close();
  }
}

const code = await runCli(process.argv.slice(2), {
  prompt,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  untilStopped: () => stopped,
});
process.exitCode = code;
