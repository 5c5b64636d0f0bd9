import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildLaunch,
  builtAfter,
  canDropPermissions,
  defaultWorkerEntry,
  prefetchDropVerdict,
  runtimeReadPaths,
  scrubWorkerEnv,
} from './sandbox.ts';

const paths = {
  entry: '/app/worker/entry.ts',
  inputsDir: '/data/jobs/j1/in',
  outDir: '/data/jobs/j1/out',
  scratchDir: '/data/jobs/j1/scratch',
};
const agentEnv = {
  PATH: '/usr/bin',
  HOME: '/home/alice',
  ROOST_TOKEN: 'secret-token',
  AWS_SECRET_ACCESS_KEY: 'aws',
  NODE_OPTIONS: '--require /tmp/evil.js',
  SSH_AUTH_SOCK: '/run/ssh',
  VK_ICD_FILENAMES: '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
  CUDA_VISIBLE_DEVICES: '1',
  LANG: 'C.UTF-8',
};

describe('the worker environment', () => {
  it('keeps what GPU runtimes need and drops everything else', () => {
    const env = scrubWorkerEnv(agentEnv, paths.scratchDir, 'linux');
    expect(env).toMatchObject({
      VK_ICD_FILENAMES: agentEnv.VK_ICD_FILENAMES,
      CUDA_VISIBLE_DEVICES: '1',
      LANG: 'C.UTF-8',
      HOME: paths.scratchDir,
      TMPDIR: paths.scratchDir,
    });
    for (const key of [
      'ROOST_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'NODE_OPTIONS',
      'SSH_AUTH_SOCK',
      'PATH',
    ]) {
      expect(env).not.toHaveProperty(key);
    }
    expect(JSON.stringify(env)).not.toContain('/home/alice');
  });

  it('keeps PATH on Windows, where DLLs are found through it', () => {
    expect(
      scrubWorkerEnv({ PATH: 'C:\\ort', SystemRoot: 'C:\\Windows' }, 'C:\\s', 'win32'),
    ).toMatchObject({
      PATH: 'C:\\ort',
      SystemRoot: 'C:\\Windows',
      TEMP: 'C:\\s',
    });
  });
});

describe('the launch command', () => {
  it('uses the permission model: read the job and runtime, write only out/ and scratch', () => {
    const launch = buildLaunch(paths, {
      nodePath: process.execPath,
      bwrapPath: null,
      permissionModel: true,
      env: agentEnv,
      platform: 'linux',
      runtimePaths: ['/app/worker', '/app/node_modules/onnxruntime-node'],
    });
    expect(launch.command).toBe(process.execPath);
    expect(launch.args).toContain('--permission');
    expect(launch.args).toContain('--allow-fs-read=/data/jobs/j1/in');
    expect(launch.args).toContain('--allow-fs-read=/app/node_modules/onnxruntime-node');
    const writes = launch.args.filter((a) => a.startsWith('--allow-fs-write='));
    expect(writes).toEqual([
      '--allow-fs-write=/data/jobs/j1/out',
      '--allow-fs-write=/data/jobs/j1/scratch',
    ]);
    for (const flag of ['--allow-child-process', '--allow-inspector', '--allow-wasi']) {
      expect(launch.args).not.toContain(flag);
    }
    // No worker threads unless the worker can drop that permission again (below).
    expect(launch.args).not.toContain('--allow-worker');
    expect(launch.args).toContain('--disallow-code-generation-from-strings');
    expect(launch.args.at(-1)).toBe(paths.entry);
    expect(launch.layers).toMatchObject({ scrubbedEnv: true, permissionModel: true, bwrap: false });
    expect(launch.layers.notes?.join(' ')).toMatch(/no network or pid isolation/);
  });

  it("passes the agent's environment on only when a measurement asks, and says so", () => {
    const launch = (scrubEnv?: boolean) =>
      buildLaunch(paths, {
        nodePath: process.execPath,
        bwrapPath: null,
        permissionModel: true,
        env: agentEnv,
        platform: 'linux',
        runtimePaths: [],
        ...(scrubEnv === undefined ? {} : { scrubEnv }),
      });
    expect(launch().env.ROOST_TOKEN).toBeUndefined();
    expect(launch(true).env.ROOST_TOKEN).toBeUndefined();
    const inherited = launch(false);
    expect(inherited.env.ROOST_TOKEN).toBe('secret-token');
    expect(inherited.env.HOME).toBe('/home/alice');
    expect(inherited.layers.scrubbedEnv).toBe(false);
    expect(inherited.layers.notes?.join(' ')).toMatch(/unscrubbed \(a measurement\)/);
  });

  it('allows worker threads (the I/O thread) only where the worker can drop that permission', () => {
    const launch = (workerThreads: boolean, permissionModel = true) =>
      buildLaunch(paths, {
        nodePath: process.execPath,
        bwrapPath: null,
        permissionModel,
        env: agentEnv,
        platform: 'linux',
        runtimePaths: ['/app/worker'],
        workerThreads,
      }).args;
    expect(launch(true)).toContain('--allow-worker');
    expect(launch(true)).not.toContain('--allow-child-process');
    expect(launch(false)).not.toContain('--allow-worker');
    expect(launch(true, false)).not.toContain('--allow-worker');
    // The project's Node (package.json's `node`, 24.21) has process.permission.drop; a binary
    // that is not Node has not.
    const node24 = fileURLToPath(new URL('../../node_modules/node/bin/node', import.meta.url));
    expect(canDropPermissions(node24)).toBe(true);
    expect(canDropPermissions('/bin/false')).toBe(false);
  });

  it('runs the built worker only while it is newer than every source it comes from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roost-built-'));
    try {
      const built = join(dir, 'entry.js');
      const sources = [join(dir, 'a.ts'), join(dir, 'b.ts'), join(dir, 'gone.ts')];
      const at = (file: string, seconds: number) => {
        writeFileSync(file, '');
        utimesSync(file, seconds, seconds);
      };
      expect(builtAfter(built, sources)).toBe(false); // not built
      at(sources[0] as string, 1000);
      at(sources[1] as string, 1000);
      at(built, 2000);
      expect(builtAfter(built, sources)).toBe(true);
      at(sources[1] as string, 3000); // a source edited after the build
      expect(builtAfter(built, sources)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Whichever it picks here is a file that exists.
    expect(existsSync(defaultWorkerEntry())).toBe(true);
  });

  it('asks whether Node can drop permissions in the background, so the first job need not', async () => {
    // A stand-in "Node" that answers yes, then is gone: only an answer kept from the
    // background question can still say yes.
    const dir = mkdtempSync(join(tmpdir(), 'roost-drop-'));
    const fake = join(dir, 'node');
    writeFileSync(fake, '#!/bin/sh\necho function\n', { mode: 0o755 });
    await prefetchDropVerdict(fake);
    rmSync(dir, { recursive: true, force: true });
    expect(canDropPermissions(fake)).toBe(true);
  });

  it('wraps the worker in bwrap on Linux: no network, own pid namespace, only its folders', () => {
    const launch = buildLaunch(paths, {
      nodePath: process.execPath,
      bwrapPath: '/usr/bin/bwrap',
      permissionModel: true,
      env: agentEnv,
      platform: 'linux',
      runtimePaths: ['/app/worker'],
    });
    expect(launch.command).toBe('/usr/bin/bwrap');
    const args = launch.args;
    expect(args).toEqual(
      expect.arrayContaining(['--unshare-all', '--die-with-parent', '--new-session']),
    );
    expect(args.join(' ')).toContain('--ro-bind /data/jobs/j1/in /data/jobs/j1/in');
    expect(args.join(' ')).toContain('--bind /data/jobs/j1/out /data/jobs/j1/out');
    expect(args.join(' ')).not.toContain('--share-net');
    expect(args.join(' ')).not.toMatch(/--(ro-)?bind \/home /);
    expect(args.join(' ')).not.toMatch(/--(ro-)?bind \/ \//);
    // bwrap comes first, then node with its own flags.
    const sep = args.indexOf('--');
    expect(args.slice(sep + 2)).toContain('--permission');
    expect(launch.layers).toMatchObject({ bwrap: true, permissionModel: true });
  });

  it('knows where the worker runtime is in this checkout', () => {
    const runtime = runtimeReadPaths();
    expect(runtime.some((p) => p.endsWith('worker'))).toBe(true);
    expect(runtime.some((p) => p.endsWith('onnxruntime-node'))).toBe(true);
    expect(runtime.some((p) => p.endsWith('zod'))).toBe(true);
  });
});
