import { lookup } from 'node:dns/promises';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cudaManifest,
  defaultOnnxruntimePackageDir,
  downloadFailure,
  installCuda,
} from './install-cuda.ts';
import { silentHardwareLog } from './log.ts';
import type { InstallCudaProgress } from './schema.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function listing(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const info = statSync(join(dir, name));
      return `${name}:${info.size}:${info.mtimeMs}`;
    });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 9;
}

const realBinDir = join(defaultOnnxruntimePackageDir(), 'bin', 'napi-v6', 'linux', 'x64');

describe('installCuda with onnxruntime-node\u2019s real installer', () => {
  it.runIf(process.platform === 'linux' && process.arch === 'x64')(
    'fails clearly and changes nothing when the download host cannot be reached',
    async () => {
      const port = await closedPort();
      const before = listing(realBinDir);
      const progress: InstallCudaProgress[] = [];
      const result = await installCuda({
        env: { ...process.env, GLOBAL_AGENT_HTTPS_PROXY: `http://127.0.0.1:${port}` },
        onProgress: (p) => progress.push(p),
        log: silentHardwareLog,
        timeoutMs: 60_000,
      });
      expect(result).toEqual({
        ok: false,
        code: 'unreachable',
        message: `Could not connect to the download server (127.0.0.1:${port}). Nothing was changed. Check the internet connection (or set HTTPS_PROXY) and run \`roost gpu install-cuda\` again.`,
        unchanged: true,
      });
      expect(listing(realBinDir)).toEqual(before);
      expect(progress.map((p) => p.phase)).toEqual(['checking', 'resolving']);
    },
    60_000,
  );

  it.runIf(process.platform === 'linux' && process.arch === 'x64')(
    'here, with this machine\u2019s own network, api.nuget.org is unreachable: it says so and changes nothing',
    async (context) => {
      const resolves = await lookup('api.nuget.org').then(
        () => true,
        () => false,
      );
      // Never download hundreds of MB from a test: only run where the host is unreachable.
      if (resolves) context.skip();
      const before = listing(realBinDir);
      const result = await installCuda({ log: silentHardwareLog, timeoutMs: 60_000 });
      expect(result).toMatchObject({ ok: false, code: 'unreachable', unchanged: true });
      if (!result.ok) {
        expect(result.message).toMatch(
          /^Could not reach api\.nuget\.org: the name does not resolve \(no network or DNS\)\. Nothing was changed\./,
        );
      }
      expect(listing(realBinDir)).toEqual(before);
    },
    60_000,
  );

  it('refuses platforms onnxruntime-node has no CUDA libraries for', async () => {
    const result = await installCuda({ platform: 'win32', arch: 'x64', log: silentHardwareLog });
    expect(result).toMatchObject({ ok: false, code: 'unsupported-platform', unchanged: true });
    if (!result.ok)
      expect(result.message).toMatch(
        /only for Linux x64, not win32\/x64 \(on Windows, the DirectML/,
      );
  });

  it('reads the file list from onnxruntime-node\u2019s own metadata', () => {
    expect(cudaManifest(defaultOnnxruntimePackageDir(), 'linux', 'x64')).toEqual([
      'libonnxruntime_providers_cuda.so',
      'libonnxruntime_providers_shared.so',
      'libonnxruntime_providers_tensorrt.so',
    ]);
    expect(cudaManifest(defaultOnnxruntimePackageDir(), 'darwin', 'arm64')).toBeUndefined();
  });
});

describe('installCuda with a fake installer', () => {
  function fakePackage(installJs: string): { packageDir: string; binDir: string } {
    const packageDir = mkdtempSync(join(tmpdir(), 'roost-ort-'));
    dirs.push(packageDir);
    const binDir = join(packageDir, 'bin', 'napi-v6', 'linux', 'x64');
    mkdirSync(binDir, { recursive: true });
    mkdirSync(join(packageDir, 'script'));
    writeFileSync(
      join(packageDir, 'package.json'),
      '{"name":"onnxruntime-node","version":"1.30.0"}',
    );
    writeFileSync(
      join(packageDir, 'script', 'install-metadata.js'),
      `module.exports = { manifests: { 'linux/x64:cuda12': { './libonnxruntime_providers_cuda.so': {}, './libonnxruntime_providers_shared.so': {} } } };`,
    );
    writeFileSync(join(binDir, 'libonnxruntime.so.1'), 'core');
    writeFileSync(join(binDir, 'libonnxruntime_providers_shared.so'), 'old shared');
    writeFileSync(
      join(packageDir, 'script', 'install.js'),
      `const fs = require('fs'); const path = require('path');
const bin = path.join(__dirname, '..', 'bin', 'napi-v6', 'linux', 'x64');
if (!process.argv.includes('--onnxruntime-node-install') || process.env.npm_package_json) process.exit(7);
${installJs}`,
    );
    return { packageDir, binDir };
  }
  const base = { platform: 'linux' as const, arch: 'x64', log: silentHardwareLog };

  it('reports progress and verifies a good install', async () => {
    const { packageDir, binDir } = fakePackage(`
console.log('Downloading https://api.nuget.org/v3-flatcontainer/x.nupkg');
console.log('Extracting runtimes/linux-x64/native/libonnxruntime_providers_cuda.so to ' + bin);
fs.writeFileSync(path.join(bin, 'libonnxruntime_providers_cuda.so'), 'cuda');
console.log('Extracting runtimes/linux-x64/native/libonnxruntime_providers_shared.so to ' + bin);
fs.writeFileSync(path.join(bin, 'libonnxruntime_providers_shared.so'), 'new shared');`);
    const progress: InstallCudaProgress[] = [];
    const result = await installCuda({
      ...base,
      packageDir,
      env: {
        PATH: process.env.PATH ?? '',
        npm_config_onnxruntime_node_install: 'skip',
        npm_package_json: '/x/package.json',
      },
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({
      ok: true,
      installed: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
    });
    expect(progress.map((p) => p.phase)).toEqual([
      'checking',
      'resolving',
      'downloading',
      'extracting',
      'extracting',
      'verifying',
    ]);
    expect(readFileSync(join(binDir, 'libonnxruntime_providers_shared.so'), 'utf8')).toBe(
      'new shared',
    );
  });

  it('puts everything back after a download that dies half way', async () => {
    const { packageDir, binDir } = fakePackage(`
console.log('Downloading https://api.nuget.org/v3-flatcontainer/x.nupkg');
fs.writeFileSync(path.join(bin, 'libonnxruntime_providers_cuda.so'), 'half');
fs.writeFileSync(path.join(bin, 'libonnxruntime_providers_shared.so'), 'half shared');
console.error('Error: socket hang up'); process.exit(1);`);
    const before = readdirSync(binDir).sort();
    const progress: InstallCudaProgress[] = [];
    const result = await installCuda({ ...base, packageDir, onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ ok: false, code: 'unreachable', unchanged: true });
    expect(readdirSync(binDir).sort()).toEqual(before);
    expect(readFileSync(join(binDir, 'libonnxruntime_providers_shared.so'), 'utf8')).toBe(
      'old shared',
    );
    expect(progress.at(-1)?.phase).toBe('rolling-back');
  });

  it('rolls back an install that leaves a library missing', async () => {
    const { packageDir, binDir } = fakePackage(
      `fs.writeFileSync(path.join(bin, 'libonnxruntime_providers_cuda.so'), 'cuda'); fs.rmSync(path.join(bin, 'libonnxruntime_providers_shared.so'));`,
    );
    const result = await installCuda({ ...base, packageDir });
    expect(result).toMatchObject({ ok: false, code: 'verify-failed', unchanged: true });
    expect(readdirSync(binDir).sort()).toEqual([
      'libonnxruntime.so.1',
      'libonnxruntime_providers_shared.so',
    ]);
  });

  it('stops a hung download and changes nothing', async () => {
    const { packageDir, binDir } = fakePackage(
      `fs.writeFileSync(path.join(bin, 'libonnxruntime_providers_cuda.so'), 'x'); setInterval(() => {}, 1000);`,
    );
    const result = await installCuda({ ...base, packageDir, timeoutMs: 500 });
    expect(result).toMatchObject({ ok: false, code: 'timeout', unchanged: true });
    expect(readdirSync(binDir)).not.toContain('libonnxruntime_providers_cuda.so');
  });
});

describe('downloadFailure', () => {
  it('reads the installer\u2019s real unhandled-rejection output', () => {
    const dns =
      "Error: getaddrinfo ENOTFOUND api.nuget.org\n    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26) {\n  errno: -3008,\n  code: 'ENOTFOUND',\n  syscall: 'getaddrinfo',\n  hostname: 'api.nuget.org'\n}";
    expect(downloadFailure(dns)).toMatchObject({
      unreachable: true,
      message: 'Could not reach api.nuget.org: the name does not resolve (no network or DNS).',
    });
    expect(
      downloadFailure('Error: Failed to download from https://x. HTTP status code = 503'),
    ).toMatchObject({ unreachable: false, message: 'The download server answered HTTP 503.' });
    expect(downloadFailure('weird')).toMatchObject({
      unreachable: false,
      message: 'The CUDA installer failed: weird.',
    });
  });
});
