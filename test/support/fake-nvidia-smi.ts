import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real captures of GPU tools (read-only, beside the project). */
export const GPU_FIXTURES =
  process.env.ROOST_GPU_FIXTURES ??
  fileURLToPath(new URL('../../../shared/fixtures/gpu-tools/', import.meta.url));

/**
 * A stand-in for nvidia-smi on a machine without NVIDIA hardware: `-q -x` answers with a real
 * captured XML, the `--query-gpu ... -lms N` telemetry form prints one CSV line per tick for the
 * same GPU (by its bus id), with load that rises and falls. Everything else answers empty.
 */
export function fakeNvidiaSmi(
  xmlFixture = 'nvidia-smi-xml/geforce-rtx-3060_570.124.04_linux.xml',
): {
  env: Record<string, string>;
  busId: string;
  remove: () => void;
} {
  const xml = readFileSync(join(GPU_FIXTURES, xmlFixture), 'utf8');
  const busId = /<pci_bus_id>([^<]+)<\/pci_bus_id>/.exec(xml)?.[1] ?? '00000000:01:00.0';
  const dir = mkdtempSync(join(tmpdir(), 'roost-fake-nvidia-'));
  const xmlPath = join(dir, 'nvidia-smi.xml');
  writeFileSync(xmlPath, xml);
  const script = join(dir, 'nvidia-smi');
  writeFileSync(
    script,
    `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
if (args.includes('-q') && args.includes('-x')) { process.stdout.write(fs.readFileSync(${JSON.stringify(xmlPath)}, 'utf8')); process.exit(0); }
const q = args.find((a) => a.startsWith('--query-gpu='));
const lmsAt = args.indexOf('-lms');
if (q && lmsAt >= 0) {
  const lms = Number(args[lmsAt + 1]) || 1000;
  let t = 0;
  const tick = () => {
    const load = 50 + Math.round(45 * Math.sin(t / 3));
    process.stdout.write(['0', ${JSON.stringify(busId)}, load, 2048 + load * 40, 12288, 55 + Math.round(load / 5), (40 + load * 1.3).toFixed(2), 1500 + load * 5, 7500, 30 + Math.round(load / 3)].join(', ') + '\\n');
    t += 1;
  };
  tick();
  setInterval(tick, lms);
} else {
  process.exit(0);
}
`,
  );
  chmodSync(script, 0o755);
  const sysfs = join(dir, 'sys');
  writeFileSync(join(dir, 'README'), 'fake nvidia-smi for Roost tests');
  return {
    env: { ROOST_NVIDIA_SMI: script, ROOST_SYSFS_ROOT: sysfs },
    busId,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
