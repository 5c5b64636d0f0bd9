import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import {
  createProcessLister,
  listProcessNamesFromProc,
  normalizeBusId,
  parseNvidiaComputeApps,
  parseNvidiaPmon,
  parsePsComm,
  parseTasklistCsv,
} from './processes.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('process names', () => {
  it('reads comm and the full argv[0] name from /proc', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const proc = async (pid: string, comm: string, cmdline: string) => {
      await mkdir(join(dir.path, pid), { recursive: true });
      await writeFile(join(dir.path, pid, 'comm'), comm + '\n');
      await writeFile(join(dir.path, pid, 'cmdline'), cmdline);
    };
    await proc('1', 'systemd', '/sbin/init\0splash\0');
    await proc('4242', 'Cyberpunk2077.e', 'Z:\\games\\Cyberpunk2077.exe\0--launcher-skip\0');
    await mkdir(join(dir.path, 'self'));
    await mkdir(join(dir.path, '999')); // exited between readdir and read
    const names = await listProcessNamesFromProc(dir.path);
    expect(names.sort()).toEqual(['Cyberpunk2077.e', 'Cyberpunk2077.exe', 'init', 'systemd']);
    const lister = createProcessLister({ platform: 'linux', procRoot: dir.path });
    expect(await lister()).toHaveLength(4);
  });

  it('parses tasklist and ps output', async () => {
    const tasklist =
      '"System Idle Process","0","Services","0","8 K"\r\n"eldenring.exe","5120","Console","1","2,100,000 K"\r\n';
    expect(parseTasklistCsv(tasklist)).toEqual(['System Idle Process', 'eldenring.exe']);
    expect(parsePsComm('/sbin/launchd\n/Applications/Game.app/Contents/MacOS/Game\n')).toEqual([
      'launchd',
      'Game',
    ]);
    const win = createProcessLister({ platform: 'win32', run: async () => tasklist });
    expect(await win()).toContain('eldenring.exe');
    const mac = createProcessLister({ platform: 'darwin', run: async () => 'ps\n' });
    expect(await mac()).toEqual(['ps']);
  });
});

describe('GPU processes', () => {
  it('parses nvidia-smi compute apps and maps bus ids to GPU ids', () => {
    const csv =
      '00000000:01:00.0, 4242, /usr/bin/python3\n00000000:02:00.0, 77, blender, a, b\ngarbage\n';
    expect(parseNvidiaComputeApps(csv)).toEqual([
      { gpuId: 'pci-0000:01:00.0', pid: 4242, name: '/usr/bin/python3', kind: 'compute' },
      { gpuId: 'pci-0000:02:00.0', pid: 77, name: 'blender, a, b', kind: 'compute' },
    ]);
    expect(normalizeBusId('00000000:0A:00.0')).toBe('0000:0a:00.0');
  });

  it('parses nvidia-smi pmon, graphics and compute', () => {
    const pmon = [
      '# gpu         pid   type     sm    mem    enc    dec    command',
      '# Idx           #    C/G      %      %      %      %    name',
      '    0       1534     G      3      1      -      -    Xorg',
      '    0       8812     C+G   95     40      -      -    eldenring.exe',
      '    1       4242     C     99     80      -      -    node',
      '    1          -     -      -      -      -      -    -',
    ].join('\n');
    const ids = ['gpu-a', 'gpu-b'];
    expect(parseNvidiaPmon(pmon, (i) => ids[i] ?? null)).toEqual([
      { gpuId: 'gpu-a', pid: 1534, name: 'Xorg', kind: 'graphics' },
      { gpuId: 'gpu-a', pid: 8812, name: 'eldenring.exe', kind: 'graphics' },
      { gpuId: 'gpu-b', pid: 4242, name: 'node', kind: 'compute' },
    ]);
  });
});
