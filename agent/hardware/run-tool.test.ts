import { afterEach, describe, expect, it } from 'vitest';
import { defaultSpawner, runTool } from './run-tool.ts';
import type { Spawner } from './run-tool.ts';
import type { FakeTools } from './testing/fake-tools.ts';
import { fakeTools } from './testing/fake-tools.ts';

let tools: FakeTools | undefined;
afterEach(() => {
  tools?.remove();
  tools = undefined;
});

describe('runTool', () => {
  it('returns output and exit code', async () => {
    tools = fakeTools();
    const path = tools.tool('t', { stdout: 'hello', stderr: 'oops', exitCode: 3 });
    const run = await runTool(defaultSpawner, path, [], { timeoutMs: 5000 });
    expect(run).toMatchObject({
      kind: 'exited',
      code: 3,
      stdout: 'hello',
      stderr: 'oops',
      truncated: false,
    });
  });

  it('says when the tool is not installed', async () => {
    const run = await runTool(defaultSpawner, '/nonexistent/roost-tool', [], { timeoutMs: 5000 });
    expect(run.kind).toBe('not-found');
  });

  it('kills a hung tool and what it started, on time', async () => {
    tools = fakeTools();
    const path = tools.tool('hang', { sleepSeconds: 30 });
    const started = Date.now();
    const run = await runTool(defaultSpawner, path, [], { timeoutMs: 200 });
    expect(run.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('caps the output it keeps and stops a flooding tool', async () => {
    tools = fakeTools();
    const path = tools.nodeTool(
      'flood',
      'const b = Buffer.alloc(65536, 97); const w = () => process.stdout.write(b, w); w();',
    );
    const run = await runTool(defaultSpawner, path, [], {
      timeoutMs: 10_000,
      maxOutputBytes: 100_000,
    });
    expect(run).toMatchObject({ kind: 'exited', truncated: true });
    if (run.kind === 'exited') expect(run.stdout.length).toBe(100_000);
  });

  it('turns a spawner that throws into data', async () => {
    const throwing: Spawner = () => {
      throw new Error('EMFILE: too many open files');
    };
    const run = await runTool(throwing, 'x', [], { timeoutMs: 1000 });
    expect(run).toMatchObject({ kind: 'spawn-error', message: 'EMFILE: too many open files' });
  });
});
