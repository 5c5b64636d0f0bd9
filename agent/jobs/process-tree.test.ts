import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processTreeRssBytes } from './process-tree.ts';

describe.skipIf(process.platform !== 'linux')('process tree memory', () => {
  it('counts a process and its children', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 5 & sleep 5; wait'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    const tree = processTreeRssBytes(child.pid as number) ?? 0;
    child.kill('SIGKILL');
    expect(tree).toBeGreaterThan(0);
    expect(processTreeRssBytes(process.pid)).toBeGreaterThan(10 * 2 ** 20);
    expect(processTreeRssBytes(999_999_999)).toBe(0);
  });
});
