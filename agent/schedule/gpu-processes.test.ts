import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GPU_FIXTURES } from '../../test/support/fake-nvidia-smi.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import {
  COMPUTE_APPS_ARGS,
  createNvidiaProcessSource,
  descendantPids,
  parseComputeApps,
  parsePmon,
} from './gpu-processes.ts';
import { decideWork, emptyPolicyMemory } from './policy.ts';
import { defaultCommandRunner } from './processes.ts';
import { facts, workSettings } from './testing/fixtures.ts';

const H100_APPS = 'nvidia-smi-csv/h100-80gb-hbm3_590.48.01_query-compute-apps_load.csv';
const H100 = { id: 'pci-0000:00:09.0', busId: '0000:00:09.0', vendor: 'nvidia' };

// No pmon capture exists among the shared fixtures: this follows the documented layout of
// `nvidia-smi pmon -c 1 -s u` (two `#` header lines, `-` for no value, the command last).
const PMON = [
  '# gpu         pid   type     sm    mem    enc    dec    jpg    ofa    command',
  '# Idx           #    C/G      %      %      %      %      %      %    name',
  '    0       1534     G      1      0      -      -      -      -    Xorg',
  '    0       8812     C+G   93     41      -      -      -      -    eldenring.exe',
  '    0      11345     C     99     80      -      -      -      -    gpu_burn',
  '    1          -     -      -      -      -      -      -      -    -',
].join('\n');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('nvidia-smi compute apps', () => {
  it('reads the real H100 capture by its header, units and all', async () => {
    const text = await readFile(join(GPU_FIXTURES, H100_APPS), 'utf8');
    const { apps, skipped } = parseComputeApps(text);
    expect(skipped).toEqual([]);
    expect(apps).toEqual([
      {
        busId: '0000:00:09.0',
        uuid: 'GPU-00000000-0000-0000-0000-000000000000',
        pid: 11327,
        usedMemoryMiB: 2566,
        name: '/root/tools/memhog',
      },
      expect.objectContaining({ pid: 11328, usedMemoryMiB: 1542 }),
      expect.objectContaining({ pid: 11345, name: './gpu_burn', usedMemoryMiB: 15690 }),
    ]);
  });

  it('reads the noheader form Roost asks for, names with commas, N/A memory and junk', () => {
    const text = [
      '00000000:01:00.0, GPU-1a2b3c4d-0000-1111-2222-333344445555, 4242, 812 MiB, /usr/bin/python3',
      '00000000:02:00.0, [N/A], 77, [N/A], C:\\Games\\My, Game.exe',
      '00000000:02:00.0, [N/A], notapid, 1 MiB, broken',
      'No running processes found',
    ].join('\n');
    const { apps, skipped } = parseComputeApps(text);
    expect(apps).toEqual([
      {
        busId: '0000:01:00.0',
        uuid: 'GPU-1a2b3c4d-0000-1111-2222-333344445555',
        pid: 4242,
        usedMemoryMiB: 812,
        name: '/usr/bin/python3',
      },
      {
        busId: '0000:02:00.0',
        uuid: null,
        pid: 77,
        usedMemoryMiB: null,
        name: 'C:\\Games\\My, Game.exe',
      },
    ]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(/notapid/);
    expect(parseComputeApps('').apps).toEqual([]);
  });

  it('reads pmon rows, graphics and compute, and skips the empty GPU', () => {
    expect(parsePmon(PMON)).toEqual([
      { gpuIndex: 0, pid: 1534, type: 'G', smPct: 1, name: 'Xorg' },
      { gpuIndex: 0, pid: 8812, type: 'C+G', smPct: 93, name: 'eldenring.exe' },
      { gpuIndex: 0, pid: 11345, type: 'C', smPct: 99, name: 'gpu_burn' },
    ]);
  });
});

describe('the gpuProcesses source', () => {
  async function fakeSmi(opts: { pmonFails?: boolean } = {}) {
    const dir = await tempDir('roost-fake-smi-');
    cleanups.push(dir.remove);
    const apps = join(dir.path, 'apps.csv');
    await writeFile(apps, await readFile(join(GPU_FIXTURES, H100_APPS), 'utf8'));
    const pmon = join(dir.path, 'pmon.txt');
    await writeFile(pmon, PMON);
    const calls = join(dir.path, 'calls.log');
    const script = join(dir.path, 'nvidia-smi');
    await writeFile(
      script,
      `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(calls)}, args.join(' ') + '\\n');
if (args[0]?.startsWith('--query-compute-apps=')) process.stdout.write(fs.readFileSync(${JSON.stringify(apps)}, 'utf8'));
else if (args[0] === 'pmon') {
  if (${opts.pmonFails ? 'true' : 'false'}) { process.stderr.write('Not supported\\n'); process.exit(3); }
  process.stdout.write(fs.readFileSync(${JSON.stringify(pmon)}, 'utf8'));
} else process.exit(6);
`,
    );
    await chmod(script, 0o755);
    const callLog = async () =>
      (await readFile(calls, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
    return { script, apps, callLog };
  }

  it('runs the real program, maps bus ids to GPUs, leaves out its own workers and idle graphics', async () => {
    const smi = await fakeSmi();
    let clock = 0;
    const source = createNvidiaProcessSource({
      nvidiaSmi: smi.script,
      gpus: async () => [H100],
      run: defaultCommandRunner,
      ownPids: async () => new Set([11328]),
      now: () => clock,
    });
    const procs = await source();
    expect(procs).toEqual([
      { gpuId: H100.id, pid: 11327, name: '/root/tools/memhog', kind: 'compute' },
      { gpuId: H100.id, pid: 11345, name: './gpu_burn', kind: 'compute' },
      { gpuId: H100.id, pid: 8812, name: 'eldenring.exe', kind: 'graphics' },
    ]);
    expect(await smi.callLog()).toEqual([COMPUTE_APPS_ARGS.join(' '), 'pmon -c 1 -s u']);
    // Within the interval the answer is reused; after it, nvidia-smi is asked again.
    clock = 5_000;
    await source();
    expect(await smi.callLog()).toHaveLength(2);
    clock = 10_000;
    await source();
    expect(await smi.callLog()).toHaveLength(4);

    // The policy pauses the GPU for the foreign program.
    const result = decideWork(
      facts({
        settings: workSettings({ mode: 'always' }),
        gpus: [{ id: H100.id, name: 'H100', display: false }],
        gpuProcesses: procs,
      }),
      emptyPolicyMemory(),
    );
    expect(result.decisions[0]).toMatchObject({ state: 'paused', cause: 'gpu-process' });
    expect(result.decisions[0]?.reason).toMatch(/memhog, pid 11327/);
  });

  it('goes on with compute apps alone when pmon is not supported, and says so once', async () => {
    const smi = await fakeSmi({ pmonFails: true });
    const told: string[] = [];
    let clock = 0;
    const source = createNvidiaProcessSource({
      nvidiaSmi: smi.script,
      gpus: async () => [H100],
      ownPids: async () => new Set(),
      now: () => clock,
      onPmonUnsupported: (why) => told.push(why),
    });
    expect((await source())?.map((p) => p.pid)).toEqual([11327, 11328, 11345]);
    clock = 60_000;
    await source();
    expect(told).toHaveLength(1);
    expect((await smi.callLog()).filter((l) => l.startsWith('pmon'))).toHaveLength(1);
  });

  it('asks nothing without an NVIDIA GPU, and throws when nvidia-smi fails', async () => {
    const smi = await fakeSmi();
    const none = createNvidiaProcessSource({
      nvidiaSmi: smi.script,
      gpus: async () => [{ id: 'pci-0000:03:00.0', busId: '0000:03:00.0', vendor: 'amd' }],
    });
    expect(await none()).toBeNull();
    expect(await smi.callLog()).toEqual([]);
    const broken = createNvidiaProcessSource({
      nvidiaSmi: join(smi.apps, 'missing-nvidia-smi'),
      gpus: async () => [H100],
    });
    await expect(broken()).rejects.toThrow();
  });

  it('finds the agent and its workers in /proc by their parent ids', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const stat = async (pid: number, ppid: number, comm: string) => {
      await mkdir(join(dir.path, String(pid)), { recursive: true });
      await writeFile(join(dir.path, String(pid), 'stat'), `${pid} (${comm}) S ${ppid} 1 1 0`);
    };
    await stat(1, 0, 'systemd');
    await stat(100, 1, 'node');
    await stat(200, 100, 'bwrap');
    await stat(300, 200, 'node (worker) x');
    await stat(400, 1, 'python3');
    expect([...(await descendantPids(100, dir.path))].sort()).toEqual([100, 200, 300]);
  });
});
