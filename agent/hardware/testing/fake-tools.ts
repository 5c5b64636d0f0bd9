/** Fake command-line tools (shell scripts) for tests that run the real spawner. */
import { EventEmitter } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { SpawnedProcess, Spawner } from '../run-tool.ts';

export interface FakeTools {
  dir: string;
  /** Write an executable script `name` that prints, waits and exits as told; returns its path. */
  tool(
    name: string,
    behaviour: {
      stdoutFile?: string;
      stdout?: string;
      stderr?: string;
      exitCode?: number;
      sleepSeconds?: number;
    },
  ): string;
  /** Write an executable Node script (run by whatever `node` is on PATH). */
  nodeTool(name: string, source: string): string;
  remove(): void;
}

export function fakeTools(): FakeTools {
  const dir = mkdtempSync(join(tmpdir(), 'roost-tools-'));
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return {
    dir,
    tool(name, b) {
      const lines = ['#!/bin/sh'];
      if (b.sleepSeconds) lines.push(`sleep ${b.sleepSeconds}`);
      if (b.stdoutFile) lines.push(`cat ${quote(b.stdoutFile)}`);
      if (b.stdout !== undefined) lines.push(`printf '%s' ${quote(b.stdout)}`);
      if (b.stderr !== undefined) lines.push(`printf '%s' ${quote(b.stderr)} >&2`);
      lines.push(`exit ${b.exitCode ?? 0}`);
      const path = join(dir, name);
      writeFileSync(path, `${lines.join('\n')}\n`);
      chmodSync(path, 0o755);
      return path;
    },
    nodeTool(name, source) {
      const path = join(dir, name);
      writeFileSync(path, `#!/usr/bin/env node\n${source}\n`);
      chmodSync(path, 0o755);
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fake `nvidia-smi --query-gpu=... -lms N` that replays `lines` (`perTick` of them each
 * interval, as nvidia-smi prints one line per GPU), records its argv and pid, and optionally
 * exits after `maxTicks` ticks or prints nothing at all.
 */
export function fakeNvidiaSmiStream(
  tools: FakeTools,
  lines: string[],
  options: {
    perTick?: number;
    maxTicks?: number;
    exitCode?: number;
    silent?: boolean;
    name?: string;
  } = {},
): { path: string; argvFile: string; pidFile: string } {
  const argvFile = join(tools.dir, `${options.name ?? 'nvidia-smi'}.argv`);
  const pidFile = join(tools.dir, `${options.name ?? 'nvidia-smi'}.pids`);
  const source = `
const fs = require('node:fs');
fs.writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));
fs.appendFileSync(${JSON.stringify(pidFile)}, process.pid + '\\n');
const args = process.argv.slice(2);
const lms = Number(args[args.indexOf('-lms') + 1] || 1000);
const lines = ${JSON.stringify(lines)};
const perTick = ${options.perTick ?? 1};
const maxTicks = ${options.maxTicks ?? 0};
let i = 0, ticks = 0;
function tick() {
  ${options.silent ? '' : "for (let k = 0; k < perTick; k++) process.stdout.write(lines[i++ % lines.length] + '\\n');"}
  ticks++;
  if (maxTicks && ticks >= maxTicks) process.exit(${options.exitCode ?? 0});
}
tick();
setInterval(tick, lms);
`;
  return { path: tools.nodeTool(options.name ?? 'nvidia-smi', source), argvFile, pidFile };
}

/** A spawner that answers from a table instead of starting processes (for other-OS paths). */
export function tableSpawner(
  answer: (
    command: string,
    args: readonly string[],
  ) => { stdout?: string; stderr?: string; code?: number } | 'missing',
): Spawner {
  return (command, args) => {
    const child = new EventEmitter() as EventEmitter & SpawnedProcess;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    Object.assign(child, { stdout, stderr, pid: undefined, kill: () => true });
    const result = answer(command, args);
    setImmediate(() => {
      if (result === 'missing') {
        child.emit(
          'error',
          Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' }),
        );
        return;
      }
      stdout.end(result.stdout ?? '');
      stderr.end(result.stderr ?? '');
      child.emit('exit', result.code ?? 0, null);
      child.emit('close', result.code ?? 0, null);
    });
    return child;
  };
}
