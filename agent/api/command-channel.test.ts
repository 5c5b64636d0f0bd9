import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  APP_FILE,
  commandSocketPath,
  findRunningApp,
  startCommandChannel,
} from './command-channel.ts';
import type { Router } from './router.ts';
import { EventBus } from '../events.ts';
import { createLogger } from '../log.ts';
import { tempDir } from '../../test/support/temp-dir.ts';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('roost-channel-');
});
afterEach(async () => {
  await dir.remove();
});

describe('the command channel’s address', () => {
  it('is agent.sock in the data folder where the path fits a socket', () => {
    expect(commandSocketPath('/home/ann/.config/Roost', 'linux', '/tmp')).toBe(
      '/home/ann/.config/Roost/agent.sock',
    );
  });

  it('is a private folder in the temp dir, named by the data folder, where it would not fit', () => {
    const deep = '/home/ann/' + 'x'.repeat(100);
    const path = commandSocketPath(deep, 'darwin', '/tmp');
    expect(path).toMatch(/^\/tmp\/roost-[0-9a-f]{16}\/agent\.sock$/);
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(103);
    expect(commandSocketPath(deep, 'darwin', '/tmp')).toBe(path);
    expect(commandSocketPath(deep + 'y', 'darwin', '/tmp')).not.toBe(path);
  });

  it('is a named pipe on Windows, the same whatever the case of the folder', () => {
    const pipe = commandSocketPath('C:\\Users\\Ann\\AppData\\Roaming\\Roost', 'win32');
    expect(pipe).toMatch(/^\\\\\.\\pipe\\roost-[0-9a-f]{16}$/);
    expect(commandSocketPath('c:\\users\\ann\\appdata\\roaming\\roost', 'win32')).toBe(pipe);
  });
});

describe('findRunningApp', () => {
  it('finds nothing without app.json, with a damaged one, or when its process is gone', async () => {
    expect(await findRunningApp(dir.path)).toBeUndefined();
    await writeFile(join(dir.path, 'api-token'), 't'.repeat(43));
    await writeFile(join(dir.path, APP_FILE), '{"pid": "one"');
    expect(await findRunningApp(dir.path)).toBeUndefined();
    // A process id far above any this machine hands out.
    await writeFile(
      join(dir.path, APP_FILE),
      JSON.stringify({ pid: 2 ** 30, socket: '/x/agent.sock', startedAt: 'now' }),
    );
    expect(await findRunningApp(dir.path)).toBeUndefined();
    await writeFile(
      join(dir.path, APP_FILE),
      JSON.stringify({ pid: process.pid, socket: '/x/agent.sock', startedAt: 'now' }),
    );
    expect(await findRunningApp(dir.path)).toMatchObject({
      pid: process.pid,
      socket: '/x/agent.sock',
      token: 't'.repeat(43),
    });
  });
});

describe('startCommandChannel', () => {
  // The refusal comes before anything is served: no router is called.
  const agent = () => ({
    router: {} as Router,
    events: new EventBus(),
    log: createLogger({ sink: () => undefined }),
    addSecret: () => undefined,
  });

  it('refuses a socket folder in the temp dir that other users can open, and writes nothing', async () => {
    const deep = join(dir.path, 'd'.repeat(110));
    await mkdir(deep, { recursive: true });
    const socket = commandSocketPath(deep);
    await mkdir(join(socket, '..'), { recursive: true });
    await chmod(join(socket, '..'), 0o777);
    try {
      await expect(startCommandChannel({ dataDir: deep, agent: agent() })).rejects.toThrow(
        /is not a private folder of this user; remove it, or use a data folder with a shorter path/,
      );
      expect(await findRunningApp(deep)).toBeUndefined();
    } finally {
      await rm(join(socket, '..'), { recursive: true, force: true });
    }
  });
});
