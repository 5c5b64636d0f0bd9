/** Fake command-line tools (shell scripts) for tests that run the real spawner. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
