/** Builds fake /sys trees for tests from the real sysfs dumps in shared/fixtures. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { extractTtar, fixture, fixturesDir } from './fixtures.ts';

export interface FakeSysfs {
  root: string;
  /** Write (or overwrite) a file under the root. */
  write(relative: string, content: string): void;
  remove(): void;
}

export function emptySysfs(): FakeSysfs {
  const base = mkdtempSync(join(tmpdir(), 'roost-sysfs-'));
  const root = join(base, 'sys');
  mkdirSync(root, { recursive: true });
  return {
    root,
    write(relative, content) {
      const path = join(root, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    },
    remove() {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/**
 * card0 = RX 580 (0000:09:00.0), card1 = RX 7900 XT (0000:03:00.0), from the amdgpu-sysfs-rs
 * dumps. (The RX 9070 XT dump also says 0000:09:00.0, so it gets a tree of its own.)
 */
export function amdCardsSysfs(
  cards: string[] = ['amdgpu-sysfs-rs_rx580', 'amdgpu-sysfs-rs_rx7900xt'],
): FakeSysfs {
  const fake = emptySysfs();
  cards.forEach((name, i) => {
    cpSync(
      join(fixturesDir, 'amdgpu-sysfs', name),
      join(fake.root, 'class', 'drm', `card${i}`, 'device'),
      {
        recursive: true,
      },
    );
  });
  return fake;
}

/** prometheus/procfs dump: card0 = Vega 10 (amdgpu), card1 = Intel UHD 620 (i915) with DP-5 connected. */
export function vegaIntelSysfs(): FakeSysfs {
  const base = mkdtempSync(join(tmpdir(), 'roost-sysfs-'));
  extractTtar(
    fixture('amdgpu-sysfs/procfs_sys-class-drm_vega10-card0_intel-uhd620-card1.ttar'),
    base,
  );
  const root = join(base, 'fixtures', 'sys');
  return {
    root,
    write(relative, content) {
      const path = join(root, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    },
    remove() {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Add a PCI device (and optionally a driver link) under bus/pci/devices. */
export function addPciDevice(
  fake: FakeSysfs,
  slot: string,
  ids: { vendor: string; device: string; class: string; driver?: string; bootVga?: boolean },
): void {
  const dir = `bus/pci/devices/${slot}`;
  fake.write(`${dir}/vendor`, `0x${ids.vendor}\n`);
  fake.write(`${dir}/device`, `0x${ids.device}\n`);
  fake.write(`${dir}/class`, `${ids.class}\n`);
  fake.write(`${dir}/subsystem_vendor`, '0x1462\n');
  fake.write(`${dir}/subsystem_device`, '0x3897\n');
  if (ids.bootVga !== undefined) fake.write(`${dir}/boot_vga`, ids.bootVga ? '1\n' : '0\n');
  if (ids.driver) {
    mkdirSync(join(fake.root, 'bus', 'pci', 'drivers', ids.driver), { recursive: true });
    symlinkSync(`../../../bus/pci/drivers/${ids.driver}`, join(fake.root, dir, 'driver'));
  }
}
