import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBenchService } from '../../../agent/bench/service.ts';
import { STD_SUITE } from '../../../agent/bench/suite.ts';
import { createHardwareService, probeCacheDir } from '../../../agent/hardware/index.ts';
import type { HardwareService } from '../../../agent/hardware/index.ts';
import { loadOrCreateLocalSigner } from '../../../agent/wallet/signer.ts';
import { tempDir } from '../../support/temp-dir.ts';

// The one test that runs the real standard suite with the real quick preset on this machine's CPU,
// from a fresh data folder (models generated, reference computed): complete, every workload
// through the accuracy gate. Its time (the goal: under 60 s on a 2-core machine) is printed here
// and measured by `npm run bench:repeat`, not asserted: this suite runs files side by side, so a
// run here shares the cores with other tests.
let dir: { path: string; remove: () => Promise<void> };
let hardware: HardwareService;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  dir = await tempDir('roost-bench-quick-');
  hardware = createHardwareService({ cacheDir: probeCacheDir(dir.path), log: quiet });
});
afterAll(async () => {
  await hardware.stop();
  await dir.remove();
});

describe(`${STD_SUITE.id}, quick preset, CPU`, () => {
  it(
    'runs complete, every workload through the accuracy gate, with a composite',
    { timeout: 120_000 },
    async () => {
      const bench = createBenchService({
        dataDir: dir.path,
        signer: () => loadOrCreateLocalSigner(dir.path),
        hardware,
      });
      const started = performance.now();
      const { report } = await bench.run({ preset: 'quick', ep: 'cpu' });
      const seconds = (performance.now() - started) / 1000;
      const r = report.report;
      expect(r.suite.id).toBe('roost-std/4');
      expect(r.protocol.name).toBe('quick');
      expect(r.complete).toBe(true);
      for (const w of r.workloads) {
        expect([w.id, w.status, w.reason]).toEqual([w.id, 'ok', undefined]);
        expect(w.timing?.iterations ?? 0).toBeGreaterThanOrEqual(10);
        expect(w.accuracy?.error ?? 1).toBeLessThan(
          STD_SUITE.workloads.find((d) => d.id === w.id)?.tolerance ?? 0,
        );
      }
      expect(r.composite.value).toBeGreaterThan(0);
      console.log(
        `[bench] ${r.suite.id} quick on CPU: ${seconds.toFixed(1)} s, composite ${r.composite.value?.toFixed(1)} RCS, load average ${r.machine.loadAverage} at start, other programs ${r.machine.otherProgramsCores ?? '?'} cores during the run`,
      );
    },
  );
});
