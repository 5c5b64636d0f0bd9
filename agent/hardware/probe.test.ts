import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listGpus } from './inventory.ts';
import { silentHardwareLog } from './log.ts';
import {
  CUDA_NOT_INSTALLED_REASON,
  dawnAdapter,
  diagnose,
  inferWebGpuAdapter,
  judgeProbe,
  listVulkanDrivers,
  parseMesaDeviceList,
  probeAccelerators,
  probeEnv,
  probeLine,
  SOFTWARE_ADAPTER_REASON,
  vulkanDriverPaths,
  vulkanDriverVendor,
} from './probe.ts';
import type { ProbeFiles, VulkanDriver } from './probe.ts';
import type { ToolRun } from './run-tool.ts';
import { adapterName, probeReportSchema } from './schema.ts';
import type { AcceleratorProbe, Gpu, GpuInventory } from './schema.ts';
import { addPciDevice, emptySysfs } from './testing/fake-sysfs.ts';
import { fakeTools } from './testing/fake-tools.ts';
import { fixturesDir } from './testing/fixtures.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'roost-probe-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const LLVMPIPE = '  GPU 0: 10005:0 "llvmpipe (LLVM 15.0.6, 256 bits)" CPU\n';

function exited(
  stdout: string,
  stderr = '',
  extra: Partial<Extract<ToolRun, { kind: 'exited' }>> = {},
): ToolRun {
  return {
    kind: 'exited',
    code: 0,
    signal: null,
    stdout,
    stderr,
    truncated: false,
    durationMs: 500,
    ...extra,
  };
}
function line(message: object): string {
  return `@@roost-probe ${JSON.stringify(message)}\n`;
}
const okMessage = (ep: string, providers: string[], output = [1, 2], expected = [1, 2]) =>
  line({
    type: 'probe',
    ep,
    ok: true,
    sessionMs: 20,
    runMs: 5,
    providers,
    output,
    expected,
    maxError: Math.max(...output.map((v, i) => Math.abs(v - (expected[i] ?? 0)))),
  });
const failMessage = (ep: string, error: string) =>
  line({ type: 'probe', ep, ok: false, stage: 'session', error });

const inventory: GpuInventory = {
  scannedAt: '2026-01-01T00:00:00.000Z',
  problems: [],
  gpus: [
    {
      id: 'pci-0000:01:00.0',
      vendor: 'nvidia',
      name: 'NVIDIA GeForce RTX 3090',
      pciVendorId: '10de',
      pciDeviceId: '2204',
      busId: '0000:01:00.0',
      vramBytes: 24 * 1024 ** 3,
      display: false,
      source: 'nvidia-smi',
      fieldSources: {},
      status: 'ok',
    },
    {
      id: 'pci-0000:02:00.0',
      vendor: 'amd',
      name: 'AMD Radeon RX 7900 XT/XTX/GRE (Navi 31)',
      pciVendorId: '1002',
      pciDeviceId: '744c',
      busId: '0000:02:00.0',
      vramBytes: 20 * 1024 ** 3,
      display: true,
      source: 'amdgpu-sysfs',
      fieldSources: {},
      status: 'ok',
    },
  ],
};

describe('the probe on this machine, for real', () => {
  const hasLavapipe =
    existsSync('/usr/share/vulkan/icd.d/lvp_icd.json') ||
    existsSync('/usr/share/vulkan/icd.d/lvp_icd.x86_64.json');

  it('cpu works, webgpu lands on lavapipe and is called a software adapter, cuda is not installed', async () => {
    const cacheDir = tempDir();
    const report = await probeAccelerators({ cacheDir, log: silentHardwareLog });
    expect(probeReportSchema.parse(report)).toEqual(report);
    expect(report.onnxruntimeVersion).toBe('1.30.0');
    const byEp = Object.fromEntries(report.results.map((r) => [r.ep, r]));
    expect(byEp.cpu).toMatchObject({ ok: true, status: 'ok', adapter: { kind: 'cpu' } });
    expect(byEp.cpu?.durationMs).toBeGreaterThan(0);
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(report.offered.map((o) => o.ep)).toEqual(['cpu', 'webgpu', 'cuda', 'tensorrt']);
      expect(byEp.cuda).toMatchObject({
        ok: false,
        status: 'failed',
        reason: CUDA_NOT_INSTALLED_REASON,
        fix: 'roost gpu install-cuda',
      });
      expect(byEp.tensorrt).toMatchObject({
        ok: false,
        status: 'failed',
        fix: 'roost gpu install-cuda',
      });
    }
    if (hasLavapipe) {
      expect(byEp.webgpu).toMatchObject({
        ok: false,
        status: 'software-adapter',
        reason: SOFTWARE_ADAPTER_REASON,
        adapter: { kind: 'cpu', software: true },
      });
      expect(byEp.webgpu?.adapter?.name).toMatch(/llvmpipe/);
    }
    // Cached per driver + onnxruntime version: the second call does not spawn probes.
    expect(readdirSync(cacheDir)).toHaveLength(1);
    const again = await probeAccelerators({ cacheDir, log: silentHardwareLog });
    expect(again.cached).toBe(true);
    expect(again.results).toEqual(report.results);
    expect(again.cacheKey).toBe(report.cacheKey);
  }, 60_000);

  it('re-probes when the cache entry is garbage or the drivers changed', async () => {
    const cacheDir = tempDir();
    const first = await probeAccelerators({ cacheDir, log: silentHardwareLog, only: ['cpu'] });
    const [file] = readdirSync(cacheDir);
    writeFileSync(join(cacheDir, file ?? 'x'), '{"not": "a report"');
    const second = await probeAccelerators({ cacheDir, log: silentHardwareLog, only: ['cpu'] });
    expect(second.cached).toBe(false);
    const third = await probeAccelerators({
      cacheDir,
      log: silentHardwareLog,
      only: ['cpu'],
      inventory,
    });
    expect(third.cached).toBe(false);
    expect(third.cacheKey).not.toBe(first.cacheKey);
  }, 60_000);
});

describe('a probe child that crashes or hangs', () => {
  function fakeEntry(probeBody: string): string {
    const dir = tempDir();
    const entry = join(dir, 'entry.mjs');
    writeFileSync(
      entry,
      `const [cmd] = process.argv.slice(2);
if (cmd === 'list') {
  console.log('@@roost-probe ' + JSON.stringify({ type: 'backends', onnxruntimeVersion: '9.9.9', backends: [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }], binDir: '/x', providerFiles: [] }));
} else { ${probeBody} }`,
    );
    return entry;
  }

  it('reports a native crash as data and the agent carries on', async () => {
    const probeEntry = fakeEntry(
      "console.error('Segmentation fault in libvulkan'); process.kill(process.pid, 'SIGSEGV');",
    );
    const report = await probeAccelerators({
      probeEntry,
      log: silentHardwareLog,
      only: ['webgpu'],
    });
    expect(report.results).toEqual([
      expect.objectContaining({
        ep: 'webgpu',
        ok: false,
        status: 'crashed',
        reason: expect.stringMatching(/crashed while starting WebGPU \(SIGSEGV\)/),
      }),
    ]);
    expect(report.results[0]?.detail).toMatch(/libvulkan/);
  });

  it('times out a hung provider', async () => {
    const probeEntry = fakeEntry('setInterval(() => {}, 1000);');
    const started = Date.now();
    const report = await probeAccelerators({
      probeEntry,
      log: silentHardwareLog,
      only: ['cpu'],
      epTimeoutMs: 500,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(report.results[0]).toMatchObject({
      ep: 'cpu',
      ok: false,
      status: 'timeout',
      reason: 'CPU did not start within 1 s',
    });
  });

  it('says so when onnxruntime itself cannot load', async () => {
    const dir = tempDir();
    const entry = join(dir, 'entry.mjs');
    writeFileSync(
      entry,
      "console.log('@@roost-probe ' + JSON.stringify({ type: 'error', stage: 'load', error: 'GLIBC_2.38 not found' }));",
    );
    const report = await probeAccelerators({ probeEntry: entry, log: silentHardwareLog });
    expect(report.results).toEqual([
      expect.objectContaining({
        ep: 'cpu',
        ok: false,
        reason: 'onnxruntime could not be loaded: GLIBC_2.38 not found',
      }),
    ]);
  });
});

describe('judgeProbe', () => {
  const opts = { timeoutMs: 120_000 };

  it('picks the discrete GPU over llvmpipe and matches it to the inventory', () => {
    const stderr = `selectable devices:\n  GPU 0: 1002:744c "AMD Radeon RX 7900 XTX (RADV NAVI31)" discrete GPU\n${LLVMPIPE}`;
    const result = judgeProbe(
      'webgpu',
      exited(okMessage('webgpu', ['WebGpuExecutionProvider']), stderr),
      { ...opts, inventory },
    );
    expect(result).toMatchObject({
      ok: true,
      status: 'ok',
      durationMs: 25,
      adapter: {
        name: 'AMD Radeon RX 7900 XTX (RADV NAVI31)',
        vendorId: '1002',
        deviceId: '744c',
        kind: 'discrete',
        software: false,
        gpuId: 'pci-0000:02:00.0',
      },
    });
  });

  it('flags lavapipe as a software adapter, not a GPU', () => {
    const result = judgeProbe(
      'webgpu',
      exited(okMessage('webgpu', ['WebGpuExecutionProvider']), LLVMPIPE),
      opts,
    );
    expect(result).toMatchObject({
      ok: false,
      status: 'software-adapter',
      reason: SOFTWARE_ADAPTER_REASON,
    });
  });

  it('rejects a silent fall back to the CPU', () => {
    const result = judgeProbe(
      'webgpu',
      exited(okMessage('webgpu', ['CPUExecutionProvider'])),
      opts,
    );
    expect(result).toMatchObject({
      ok: false,
      status: 'failed',
      reason: 'onnxruntime ran the probe on CPUExecutionProvider instead of WebGPU',
    });
  });

  it('rejects a wrong answer', () => {
    const result = judgeProbe(
      'cuda',
      exited(okMessage('cuda', ['CUDAExecutionProvider'], [1, 7], [1, 2])),
      opts,
    );
    expect(result).toMatchObject({ ok: false, status: 'wrong-result' });
    expect(result.detail).toMatch(/expected \[1,2\], got \[1,7\]/);
  });

  it('names the CUDA GPU it ran on', () => {
    const result = judgeProbe('cuda', exited(okMessage('cuda', ['CUDAExecutionProvider'])), {
      ...opts,
      deviceIndex: 0,
      inventory,
    });
    expect(result).toMatchObject({
      ok: true,
      deviceIndex: 0,
      adapter: {
        name: 'NVIDIA GeForce RTX 3090',
        gpuId: 'pci-0000:01:00.0',
        vendorId: '10de',
        deviceId: '2204',
      },
    });
  });

  it('turns a provider failure into the reason and the fix', () => {
    const stderr =
      '\u001b[1;31m2026-11-25 [E:onnxruntime:onnxruntime-node, provider_bridge_ort.cc:2146 Create] Failed to load library /x/libonnxruntime_providers_shared.so with error: /x/libonnxruntime_providers_shared.so: cannot open shared object file: No such file or directory\u001b[m';
    const result = judgeProbe(
      'cuda',
      exited(
        failMessage(
          'cuda',
          'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library',
        ),
        stderr,
      ),
      { ...opts, deviceIndex: 0 },
    );
    expect(result).toMatchObject({
      ok: false,
      status: 'failed',
      reason: CUDA_NOT_INSTALLED_REASON,
      fix: 'roost gpu install-cuda',
      deviceIndex: 0,
      durationMs: 500,
    });
    expect(result.detail?.includes(String.fromCharCode(27))).toBe(false);
  });

  it('suggests `roost gpu install-cuda` only where the GPU list has an NVIDIA card', () => {
    const notInstalled = exited(
      failMessage(
        'cuda',
        'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library',
      ),
      'Failed to load library /x/libonnxruntime_providers_shared.so with error: cannot open shared object file',
    );
    const noGpus: GpuInventory = { gpus: [], problems: [], scannedAt: inventory.scannedAt };
    const amdOnly: GpuInventory = {
      ...inventory,
      gpus: inventory.gpus.filter((g) => g.vendor !== 'nvidia'),
    };
    expect(amdOnly.gpus.length).toBeGreaterThan(0);
    for (const gpus of [noGpus, amdOnly]) {
      const result = judgeProbe('cuda', notInstalled, { ...opts, inventory: gpus });
      expect(result).toMatchObject({
        ok: false,
        status: 'failed',
        reason: 'no NVIDIA GPU was found, and CUDA runs only on one',
      });
      expect(result.fix).toBeUndefined();
      expect(JSON.stringify(result)).not.toContain('install-cuda');
    }
    expect(judgeProbe('tensorrt', notInstalled, { ...opts, inventory: noGpus }).reason).toBe(
      'no NVIDIA GPU was found, and TensorRT runs only on one',
    );
    // With an NVIDIA card (and without a GPU list, where nothing is known) the advice stays.
    for (const extra of [{ inventory }, {}]) {
      expect(judgeProbe('cuda', notInstalled, { ...opts, ...extra })).toMatchObject({
        reason: CUDA_NOT_INSTALLED_REASON,
        fix: 'roost gpu install-cuda',
      });
    }
    // Other failures keep their own reasons, card or no card.
    const cudnn = exited(failMessage('cuda', 'Failed to load shared library'), 'libcudnn.so.9');
    expect(judgeProbe('cuda', cudnn, { ...opts, inventory: noGpus }).reason).toBe(
      'cuDNN 9 is not installed (libcudnn is missing)',
    );
  });

  it('explains garbage output from the child', () => {
    const result = judgeProbe('cpu', exited('@@roost-probe {not json\nhello'), opts);
    expect(result).toMatchObject({
      ok: false,
      status: 'failed',
      reason: 'the CPU probe gave no answer',
    });
  });
});

describe('diagnose', () => {
  it.each([
    [
      'cuda',
      'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library',
      'Failed to load library /x/libonnxruntime_providers_shared.so with error: cannot open shared object file',
      CUDA_NOT_INSTALLED_REASON,
    ],
    [
      'cuda',
      'Failed to load shared library',
      'libcudart.so.12: cannot open shared object file',
      'the CUDA 12 runtime libraries are missing (libcudart/libcublas)',
    ],
    [
      'cuda',
      'Failed to load shared library',
      'libcudnn.so.9: cannot open shared object file',
      'cuDNN 9 is not installed (libcudnn is missing)',
    ],
    [
      'tensorrt',
      'Failed to load shared library',
      'libnvinfer.so.10: cannot open shared object file',
      'TensorRT itself is not installed (libnvinfer is missing)',
    ],
    [
      'cuda',
      'CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version',
      '',
      'the NVIDIA driver is too old for CUDA 12',
    ],
    ['cuda', 'CUDA failure 100: no CUDA-capable device is detected', '', 'CUDA sees no NVIDIA GPU'],
    [
      'dml',
      'no available backend found. ERR: [dml] backend not found.',
      '',
      `DirectML is not available in this onnxruntime-node build on ${process.platform}`,
    ],
    [
      'webgpu',
      'Failed to get a WebGPU adapter',
      '',
      'no usable WebGPU adapter: the GPU\u2019s Vulkan/D3D12/Metal driver did not start',
    ],
    ['cpu', 'something odd', '', 'CPU failed to start: something odd'],
  ] as const)('%s: %s', (ep, error, output, reason) => {
    expect(diagnose(ep, error, output).reason).toBe(reason);
  });
});

describe('parseMesaDeviceList and dawnAdapter', () => {
  it('reads and de-duplicates the device-select list', () => {
    const devices = parseMesaDeviceList(
      `selectable devices:\n${LLVMPIPE}selectable devices:\n${LLVMPIPE}`,
    );
    expect(devices).toEqual([
      { vendorId: '10005', deviceId: '0', name: 'llvmpipe (LLVM 15.0.6, 256 bits)', type: 'CPU' },
    ]);
    expect(dawnAdapter(devices)).toEqual({
      name: 'llvmpipe (LLVM 15.0.6, 256 bits)',
      kind: 'cpu',
      software: true,
    });
    expect(dawnAdapter([])).toBeUndefined();
  });

  it('prefers discrete, then integrated GPUs', () => {
    const devices = parseMesaDeviceList(
      '  GPU 0: 8086:a780 "Intel(R) Graphics (RPL-S)" integrated GPU\n  GPU 1: 10de:2204 "NVIDIA GeForce RTX 3090" discrete GPU\n',
    );
    expect(dawnAdapter(devices, inventory)).toMatchObject({
      name: 'NVIDIA GeForce RTX 3090',
      kind: 'discrete',
      gpuId: 'pci-0000:01:00.0',
    });
  });
});

describe('probeEnv', () => {
  it('passes what GPU runtimes need and nothing else', () => {
    const env = probeEnv(
      {
        PATH: '/usr/bin',
        HOME: '/home/m',
        LD_LIBRARY_PATH: '/opt/cuda/lib64',
        ROOST_WALLET_PASSWORD: 'hunter2',
        AWS_SECRET_ACCESS_KEY: 'x',
        VK_ICD_FILENAMES: '/x.json',
      },
      'webgpu',
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/m',
      LD_LIBRARY_PATH: '/opt/cuda/lib64',
      VK_ICD_FILENAMES: '/x.json',
      ELECTRON_RUN_AS_NODE: '1',
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      MESA_VK_DEVICE_SELECT_DEBUG: '1',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// A WebGPU adapter Mesa does not list (the H200 machine: NVIDIA's Vulkan driver, no Mesa)

/** Files in memory: a path that is a key is a file; a folder lists the keys directly under it. */
function memoryFiles(files: Record<string, string>): ProbeFiles & { read: string[] } {
  const read: string[] = [];
  return {
    read,
    readText: async (path) => {
      read.push(path);
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    listDir: async (path) => {
      const names = Object.keys(files)
        .filter((f) => f.startsWith(`${path}/`) && !f.slice(path.length + 1).includes('/'))
        .map((f) => f.slice(path.length + 1));
      if (names.length === 0) throw new Error(`ENOENT: ${path}`);
      return names;
    },
  };
}

const icd = (library: string) =>
  JSON.stringify({
    file_format_version: '1.0.1',
    ICD: { library_path: library, api_version: '1.4.312' },
  });
const NVIDIA_ICD = icd('libGLX_nvidia.so.0');
const LVP_ICD = icd('/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so');
const INTEL_ICD = icd('/usr/lib/x86_64-linux-gnu/libvulkan_intel.so');
const RADEON_ICD = icd('/usr/lib/x86_64-linux-gnu/libvulkan_radeon.so');

const h200: Gpu = {
  id: 'pci-0000:19:00.0',
  vendor: 'nvidia',
  name: 'NVIDIA H200',
  pciVendorId: '10de',
  pciDeviceId: '2335',
  busId: '0000:19:00.0',
  vramBytes: 143_771 * 1024 ** 2,
  display: false,
  source: 'nvidia-smi',
  fieldSources: {},
  status: 'ok',
};
const h200Inventory: GpuInventory = { ...inventory, gpus: [h200] };

const webgpuOk = () => exited(okMessage('webgpu', ['WebGpuExecutionProvider']), 'no Mesa here\n');

describe('a WebGPU adapter Mesa does not list', () => {
  const opts = { timeoutMs: 120_000, platform: 'linux' as const };

  it('is the H200 when NVIDIA\u2019s is the only Vulkan driver, and says it was inferred', async () => {
    const files = memoryFiles({
      '/usr/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
      '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
    });
    const vulkanDrivers = await listVulkanDrivers({ HOME: '/root' }, files);
    expect(vulkanDrivers).toEqual([
      {
        manifest: '/usr/share/vulkan/icd.d/nvidia_icd.json',
        library: 'libGLX_nvidia.so.0',
        vendor: 'nvidia',
      },
    ]);
    const result = judgeProbe('webgpu', webgpuOk(), {
      ...opts,
      inventory: h200Inventory,
      vulkanDrivers,
    });
    expect(result).toEqual({
      ep: 'webgpu',
      ok: true,
      status: 'ok',
      durationMs: 25,
      adapter: {
        name: 'NVIDIA H200',
        kind: 'discrete',
        software: false,
        vendorId: '10de',
        deviceId: '2335',
        gpuId: 'pci-0000:19:00.0',
        inferredFrom: 'vulkan-driver',
      },
    });
    expect(probeReportSchema.shape.results.element.parse(result)).toEqual(result);
    expect(adapterName(result.adapter!)).toBe(
      'NVIDIA H200 (inferred from the installed Vulkan driver)',
    );
  });

  it('is not inferred where a software driver is installed: Dawn may have taken it', async () => {
    const files = memoryFiles({
      '/usr/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
      '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json': LVP_ICD,
    });
    const vulkanDrivers = await listVulkanDrivers({ HOME: '/root' }, files);
    expect(vulkanDrivers.map((d) => d.vendor)).toEqual(['software', 'nvidia']);
    const result = judgeProbe('webgpu', webgpuOk(), {
      ...opts,
      inventory: h200Inventory,
      vulkanDrivers,
    });
    expect(result).toMatchObject({ ok: true, status: 'ok' });
    expect(result.adapter).toBeUndefined();
  });

  it('reads only the manifests VK_DRIVER_FILES (or VK_ICD_FILENAMES) names, files or folders', async () => {
    const files = memoryFiles({
      '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json': LVP_ICD,
      '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
    });
    const nvidiaOnly = [
      {
        manifest: '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json',
        library: 'libGLX_nvidia.so.0',
        vendor: 'nvidia',
      },
    ];
    for (const env of [
      { VK_DRIVER_FILES: '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json' },
      { VK_DRIVER_FILES: '/usr/local/nvidia/share/vulkan/icd.d' },
      { VK_ICD_FILENAMES: '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json' },
      // VK_DRIVER_FILES replaces the older name; VK_ADD_DRIVER_FILES is ignored beside it.
      {
        VK_DRIVER_FILES: '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json',
        VK_ICD_FILENAMES: '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
        VK_ADD_DRIVER_FILES: '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
      },
    ]) {
      const vulkanDrivers = await listVulkanDrivers({ HOME: '/root', ...env }, files);
      expect(vulkanDrivers, JSON.stringify(env)).toEqual(nvidiaOnly);
      expect(
        judgeProbe('webgpu', webgpuOk(), { ...opts, inventory: h200Inventory, vulkanDrivers })
          .adapter,
      ).toMatchObject({ name: 'NVIDIA H200', gpuId: h200.id, inferredFrom: 'vulkan-driver' });
    }
    // Without it the standard folders are searched, lavapipe is found, and nothing is inferred.
    const standard = await listVulkanDrivers({ HOME: '/root' }, files);
    expect(standard.map((d) => d.vendor)).toEqual(['software']);
  });

  it('is the NVIDIA GPU on a laptop with an Intel integrated and an NVIDIA discrete GPU', async () => {
    // The GPU list as listGpus builds it from /sys and the real nvidia-smi XML of an RTX 3060.
    const sysfs = emptySysfs();
    const tools = fakeTools();
    try {
      addPciDevice(sysfs, '0000:00:02.0', {
        vendor: '8086',
        device: '9a49',
        class: '0x030000',
        driver: 'i915',
        bootVga: true,
      });
      addPciDevice(sysfs, '0000:2d:00.0', {
        vendor: '10de',
        device: '2487',
        class: '0x030200',
        driver: 'nvidia',
        bootVga: false,
      });
      const smi = tools.tool('nvidia-smi', {
        stdoutFile: join(fixturesDir, 'nvidia-smi-xml/geforce-rtx-3060_570.124.04_linux.xml'),
      });
      const laptop = await listGpus({
        env: { PATH: process.env.PATH ?? '', ROOST_SYSFS_ROOT: sysfs.root, ROOST_NVIDIA_SMI: smi },
        platform: 'linux',
        log: silentHardwareLog,
      });
      expect(laptop.gpus.map((g) => [g.id, g.vendor, g.name, g.vramShared ?? false])).toEqual([
        ['pci-0000:00:02.0', 'intel', expect.any(String), true],
        ['pci-0000:2d:00.0', 'nvidia', 'NVIDIA GeForce RTX 3060', false],
      ]);
      const files = memoryFiles({
        '/usr/share/vulkan/icd.d/intel_icd.x86_64.json': INTEL_ICD,
        '/usr/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
      });
      const vulkanDrivers = await listVulkanDrivers({ HOME: '/home/m' }, files);
      expect(
        judgeProbe('webgpu', webgpuOk(), { ...opts, inventory: laptop, vulkanDrivers }).adapter,
      ).toEqual({
        name: 'NVIDIA GeForce RTX 3060',
        kind: 'discrete',
        software: false,
        vendorId: '10de',
        deviceId: '2487',
        gpuId: 'pci-0000:2d:00.0',
        inferredFrom: 'vulkan-driver',
      });
      // With Intel's driver alone, the Intel GPU is the only one Vulkan reaches.
      const intelOnly = await listVulkanDrivers(
        { HOME: '/home/m' },
        memoryFiles({ '/usr/share/vulkan/icd.d/intel_icd.x86_64.json': INTEL_ICD }),
      );
      expect(inferWebGpuAdapter(laptop, intelOnly)).toMatchObject({
        kind: 'integrated',
        gpuId: 'pci-0000:00:02.0',
        vendorId: '8086',
      });
    } finally {
      sysfs.remove();
      tools.remove();
    }
  });

  it('is not inferred when no GPU in the list has a vendor with a driver, or there is no list', () => {
    const amdDriver: VulkanDriver[] = [
      { manifest: '/usr/share/vulkan/icd.d/radeon_icd.x86_64.json', library: 'x', vendor: 'amd' },
    ];
    expect(inferWebGpuAdapter(h200Inventory, amdDriver)).toBeUndefined();
    expect(inferWebGpuAdapter(h200Inventory, [])).toBeUndefined();
    expect(inferWebGpuAdapter(undefined, amdDriver)).toBeUndefined();
    // A GPU without a working kernel driver is not one Vulkan reaches.
    const nouveau: GpuInventory = { ...inventory, gpus: [{ ...h200, status: 'no-driver' }] };
    const nvidiaDriver: VulkanDriver[] = [
      { manifest: 'nvidia_icd.json', library: 'x', vendor: 'nvidia' },
    ];
    expect(inferWebGpuAdapter(nouveau, nvidiaDriver)).toBeUndefined();
    const result = judgeProbe('webgpu', webgpuOk(), {
      ...opts,
      inventory: h200Inventory,
      vulkanDrivers: amdDriver,
    });
    expect(result).toMatchObject({ ok: true, status: 'ok' });
    expect(result.adapter).toBeUndefined();
    // Linux without the driver list read: nothing to go by.
    expect(
      judgeProbe('webgpu', webgpuOk(), { ...opts, inventory: h200Inventory }).adapter,
    ).toBeUndefined();
  });

  it('changes nothing where Mesa lists the devices', () => {
    const stderr = `  GPU 0: 1002:744c "AMD Radeon RX 7900 XTX (RADV NAVI31)" discrete GPU\n${LLVMPIPE}`;
    const nvidiaDriver: VulkanDriver[] = [
      { manifest: 'nvidia_icd.json', library: 'x', vendor: 'nvidia' },
    ];
    const run = exited(okMessage('webgpu', ['WebGpuExecutionProvider']), stderr);
    const withDrivers = judgeProbe('webgpu', run, {
      ...opts,
      inventory,
      vulkanDrivers: nvidiaDriver,
    });
    expect(withDrivers).toEqual(judgeProbe('webgpu', run, { timeoutMs: 120_000, inventory }));
    expect(withDrivers.adapter).toEqual({
      name: 'AMD Radeon RX 7900 XTX (RADV NAVI31)',
      vendorId: '1002',
      deviceId: '744c',
      kind: 'discrete',
      software: false,
      gpuId: 'pci-0000:02:00.0',
    });
    // lavapipe alone in Mesa's list is still a software adapter.
    const software = judgeProbe(
      'webgpu',
      exited(okMessage('webgpu', ['WebGpuExecutionProvider']), LLVMPIPE),
      { ...opts, inventory: h200Inventory, vulkanDrivers: nvidiaDriver },
    );
    expect(software).toMatchObject({ status: 'software-adapter', adapter: { software: true } });
  });

  it('comes from the GPU list alone on Windows and macOS', () => {
    for (const platform of ['win32', 'darwin'] as const) {
      const result = judgeProbe('webgpu', webgpuOk(), { timeoutMs: 1000, platform, inventory });
      expect(result.adapter).toEqual({
        name: 'NVIDIA GeForce RTX 3090',
        kind: 'discrete',
        software: false,
        vendorId: '10de',
        deviceId: '2204',
        gpuId: 'pci-0000:01:00.0',
        inferredFrom: 'gpu-list',
      });
      expect(adapterName(result.adapter!)).toBe(
        'NVIDIA GeForce RTX 3090 (inferred from the GPU list)',
      );
    }
    // Apple silicon: the only GPU, integrated.
    const mac: GpuInventory = {
      ...inventory,
      gpus: [
        {
          ...h200,
          id: 'gpu-0',
          vendor: 'apple',
          name: 'Apple M3 Max',
          pciVendorId: null,
          pciDeviceId: null,
          vramBytes: null,
          vramShared: true,
        },
      ],
    };
    expect(
      judgeProbe('webgpu', webgpuOk(), { timeoutMs: 1000, platform: 'darwin', inventory: mac })
        .adapter,
    ).toEqual({
      name: 'Apple M3 Max',
      kind: 'integrated',
      software: false,
      gpuId: 'gpu-0',
      inferredFrom: 'gpu-list',
    });
    // A BMC's display chip (vendor other) is never taken for the WebGPU adapter.
    const bmc: GpuInventory = {
      ...inventory,
      gpus: [{ ...h200, id: 'gpu-0', vendor: 'other', name: 'ASPEED Graphics Family' }],
    };
    expect(inferWebGpuAdapter(bmc, undefined)).toBeUndefined();
  });

  it('skips manifests it cannot read or understand, and never throws', async () => {
    const files = memoryFiles({
      '/usr/share/vulkan/icd.d/broken.json': '{"ICD": {"library_path": ',
      '/usr/share/vulkan/icd.d/empty.json': '',
      '/usr/share/vulkan/icd.d/no-icd.json': '{"file_format_version": "1.0.0"}',
      '/usr/share/vulkan/icd.d/array.json': '[1, 2]',
      '/usr/share/vulkan/icd.d/README': 'not a manifest',
      '/usr/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
    });
    expect(await listVulkanDrivers({ HOME: '/root' }, files)).toEqual([
      {
        manifest: '/usr/share/vulkan/icd.d/nvidia_icd.json',
        library: 'libGLX_nvidia.so.0',
        vendor: 'nvidia',
      },
    ]);
    expect(files.read).not.toContain('/usr/share/vulkan/icd.d/README');
    const failing: ProbeFiles = {
      readText: () => Promise.reject(new Error('EACCES')),
      listDir: () => Promise.reject(new Error('EACCES')),
    };
    expect(await listVulkanDrivers({ VK_DRIVER_FILES: '/x/nvidia_icd.json' }, failing)).toEqual([]);
    expect(await listVulkanDrivers({}, failing)).toEqual([]);
  });

  it('tells the vendor from the manifest\u2019s and the library\u2019s names', () => {
    expect(
      (
        [
          ['nvidia_icd.json', 'libGLX_nvidia.so.0'],
          ['nouveau_icd.x86_64.json', '/usr/lib/libvulkan_nouveau.so'],
          ['radeon_icd.x86_64.json', '/usr/lib/x86_64-linux-gnu/libvulkan_radeon.so'],
          ['amd_icd64.json', '/usr/lib/x86_64-linux-gnu/amdvlk64.so'],
          ['intel_icd.x86_64.json', '/usr/lib/x86_64-linux-gnu/libvulkan_intel.so'],
          ['intel_hasvk_icd.x86_64.json', '/usr/lib/x86_64-linux-gnu/libvulkan_intel_hasvk.so'],
          ['lvp_icd.x86_64.json', '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so'],
          ['vk_swiftshader_icd.json', './libvk_swiftshader.so'],
          ['nvidia_icd.json', '/opt/mesa/lib/libvulkan_lvp.so'],
          ['virtio_icd.x86_64.json', '/usr/lib/x86_64-linux-gnu/libvulkan_virtio.so'],
          ['custom.json', '/opt/vendor/lib/libvk.so'],
        ] as const
      ).map(([manifest, library]) =>
        vulkanDriverVendor(`/usr/share/vulkan/icd.d/${manifest}`, library),
      ),
    ).toEqual([
      'nvidia',
      'nvidia',
      'amd',
      'amd',
      'intel',
      'intel',
      'software',
      'software',
      'software',
      'unknown',
      'unknown',
    ]);
    expect(RADEON_ICD).toContain('radeon');
  });

  it('searches where the Vulkan loader does', () => {
    expect(vulkanDriverPaths({ HOME: '/home/m' })).toEqual([
      '/home/m/.config/vulkan/icd.d',
      '/etc/xdg/vulkan/icd.d',
      '/usr/local/etc/vulkan/icd.d',
      '/etc/vulkan/icd.d',
      '/home/m/.local/share/vulkan/icd.d',
      '/usr/local/share/vulkan/icd.d',
      '/usr/share/vulkan/icd.d',
    ]);
    expect(
      vulkanDriverPaths({
        HOME: '/home/m',
        XDG_CONFIG_HOME: '/cfg',
        XDG_DATA_HOME: '/data',
        XDG_DATA_DIRS: '/opt/share:relative/share:/usr/share',
        VK_ADD_DRIVER_FILES: '/opt/extra/nvidia_icd.json',
      }),
    ).toEqual([
      '/cfg/vulkan/icd.d',
      '/etc/xdg/vulkan/icd.d',
      '/usr/local/etc/vulkan/icd.d',
      '/etc/vulkan/icd.d',
      '/data/vulkan/icd.d',
      '/opt/share/vulkan/icd.d',
      '/usr/share/vulkan/icd.d',
      '/usr/local/share/vulkan/icd.d',
      '/opt/extra/nvidia_icd.json',
    ]);
    expect(vulkanDriverPaths({ VK_DRIVER_FILES: '/a.json::/b' })).toEqual(['/a.json', '/b']);
  });

  it('reaches the probe report: the H200 machine end to end', async () => {
    const dir = tempDir();
    const entry = join(dir, 'entry.mjs');
    writeFileSync(
      entry,
      `const [cmd] = process.argv.slice(2);
if (cmd === 'list') {
  console.log('@@roost-probe ' + JSON.stringify({ type: 'backends', onnxruntimeVersion: '9.9.9', backends: [{ name: 'webgpu', bundled: true }], binDir: '/x', providerFiles: [] }));
} else {
  console.error('WebGPU EP Context is created for: Instance=0x1, Device=0x2');
  process.stdout.write(${JSON.stringify(okMessage('webgpu', ['WebGpuExecutionProvider']))});
}`,
    );
    const files = memoryFiles({
      '/usr/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
      '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
    });
    const report = await probeAccelerators({
      probeEntry: entry,
      log: silentHardwareLog,
      inventory: h200Inventory,
      env: {
        PATH: process.env.PATH ?? '',
        VK_DRIVER_FILES: '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json',
      },
      files,
      platform: 'linux',
    });
    expect(probeReportSchema.parse(report)).toEqual(report);
    expect(report.results).toEqual([
      expect.objectContaining({
        ep: 'webgpu',
        ok: true,
        status: 'ok',
        adapter: expect.objectContaining({
          name: 'NVIDIA H200',
          gpuId: h200.id,
          inferredFrom: 'vulkan-driver',
        }),
      }),
    ]);
    expect(files.read).toEqual(['/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json']);
  });
});

describe('probeLine', () => {
  const base = { durationMs: 122.4, ok: false } as const;
  it('names the provider and the device as people call them, with why and how long', () => {
    expect(
      probeLine({
        ...base,
        ep: 'cuda',
        deviceIndex: 0,
        status: 'failed',
        reason: 'CUDA provider libraries are not installed: run `roost gpu install-cuda`.',
      } as AcceleratorProbe),
    ).toBe(
      'CUDA (device 0) does not work: CUDA provider libraries are not installed: run `roost gpu install-cuda` (checked in 122 ms)',
    );
    expect(
      probeLine({
        ...base,
        ep: 'cpu',
        status: 'ok',
        ok: true,
        adapter: { name: 'AMD EPYC', kind: 'cpu', software: false },
      } as AcceleratorProbe),
    ).toBe('CPU works on AMD EPYC (checked in 122 ms)');
  });

  it('says a software adapter is not a GPU once', () => {
    expect(
      probeLine({
        ...base,
        ep: 'webgpu',
        status: 'software-adapter',
        reason:
          'The WebGPU adapter is a software renderer (lavapipe/llvmpipe/SwiftShader): not a GPU.',
        adapter: { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', kind: 'cpu', software: true },
      } as AcceleratorProbe),
    ).toBe(
      'WebGPU runs only on llvmpipe (LLVM 15.0.6, 256 bits), a software renderer on the CPU, not a GPU (checked in 122 ms)',
    );
  });
});
