// After an upgrade that retires the benchmark suite (roost-std/3 → /4), a machine whose only
// report is of the old version is told so in "Why no jobs?", with the one action that fixes it,
// through the real agent reading the real report file from its data folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAgent, type Agent } from '../../../agent/agent.ts';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { STD_SUITE_ID } from '../../../agent/bench/schema.ts';
import { retiredReport, testSigner } from '../../../agent/bench/testing/fixtures.ts';
import { signReport } from '../../../agent/bench/sign.ts';
import { tempDir } from '../../support/temp-dir.ts';

let dir: { path: string; remove: () => Promise<void> };
let agent: Agent;

beforeAll(async () => {
  dir = await tempDir('roost-outdated-');
  const old = await signReport(retiredReport('roost-std/3'), testSigner());
  const reports = join(dir.path, 'bench', 'reports');
  await mkdir(reports, { recursive: true });
  await writeFile(join(reports, `${old.report.id}.json`), JSON.stringify(old));
  agent = await createAgent({
    dataDir: dir.path,
    host: 'test',
    background: true,
    embeddedDevnet: false,
    hardware: { env: { ...process.env, ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' } },
  });
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await dir?.remove();
});

describe('a benchmark of a retired suite', () => {
  it('is named in Why no jobs?, with the benchmark as the fix', async () => {
    const why = await agent.router.call('diagnostics.whyNoJobs', {});
    if (!why.ok) throw new Error(why.error.message);
    const answer = why.value as ResultOf<'diagnostics.whyNoJobs'>;
    const items = [...answer.blockers, ...answer.warnings];
    const item = items.find((i) => i.code === 'benchmark-outdated');
    expect(item, JSON.stringify(items.map((i) => i.code))).toBeDefined();
    expect(item?.message).toContain(`made with roost-std/3`);
    expect(item?.message).toContain(`(${STD_SUITE_ID})`);
    expect(item?.action).toEqual({ kind: 'method', method: 'bench.run' });
    // Not "never benchmarked": it was, with the old suite.
    expect(items.some((i) => i.code === 'no-benchmark')).toBe(false);
  });
});
