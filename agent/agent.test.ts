import { describe, expect, it } from 'vitest';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAgent } from './agent.ts';
import { signReport } from './bench/sign.ts';
import { sampleReport, testSigner } from './bench/testing/fixtures.ts';
import type { AgentEvent } from './api/contract.ts';
import { tempDir } from '../test/support/temp-dir.ts';
import { fakeNvidiaSmi } from '../test/support/fake-nvidia-smi.ts';

describe('the agent', () => {
  it('reports a restored settings file as a warning the user can dismiss', async () => {
    const dir = await tempDir();
    await writeFile(join(dir.path, 'settings.json'), 'not json');
    const agent = await createAgent({ dataDir: dir.path, host: 'test' });
    const status = await agent.router.call('agent.status', {});
    if (!status.ok) throw new Error('status failed');
    // A host with no dashboard server (a test, the desktop app, a CLI command) names no port.
    expect((status.value as { server: unknown }).server).toBeNull();
    const warnings = (status.value as { warnings: { id: string; code: string }[] }).warnings;
    expect(warnings.map((w) => w.code)).toEqual(['SETTINGS_CORRUPT']);
    expect(await agent.router.call('agent.dismissWarning', { id: warnings[0]!.id })).toEqual({
      ok: true,
      value: { dismissed: true },
    });
    expect(await agent.router.call('agent.dismissWarning', { id: warnings[0]!.id })).toEqual({
      ok: true,
      value: { dismissed: false },
    });
    const after = await agent.router.call('agent.status', {});
    expect(after.ok && (after.value as { warnings: unknown[] }).warnings).toEqual([]);
    await agent.close();
    await dir.remove();
  });

  it('warns in its status when its data folder can be opened by other users', async () => {
    const dir = await tempDir();
    await chmod(dir.path, 0o755);
    const agent = await createAgent({ dataDir: dir.path, host: 'test' });
    const status = await agent.router.call('agent.status', {});
    await agent.close();
    await chmod(dir.path, 0o700);
    await dir.remove();
    if (!status.ok) throw new Error('status failed');
    const warnings = (status.value as { warnings: { code: string; message: string }[] }).warnings;
    expect(warnings).toEqual([
      expect.objectContaining({
        code: 'DATA_DIR_OPEN',
        message: expect.stringContaining(`run: chmod 700 '${dir.path}'`) as string,
      }),
    ]);
  });

  it('keeps its latest log lines for a page opened later: info and up, oldest first', async () => {
    const dir = await tempDir();
    const agent = await createAgent({ dataDir: dir.path, host: 'test' });
    try {
      // A settings change logs at info; a bad value for the limit is refused with why.
      await agent.router.call('settings.update', { pricing: { currency: 'USD' } });
      const all = await agent.router.call('agent.activity', {});
      if (!all.ok) throw new Error('activity failed');
      const entries = (all.value as { entries: { level: string; message: string; at: string }[] })
        .entries;
      expect(entries.at(-1)).toMatchObject({
        level: 'info',
        message: 'currency changed to USD',
      });
      expect(entries.some((e) => e.level === 'debug')).toBe(false);
      expect([...entries].sort((a, b) => a.at.localeCompare(b.at))).toEqual(entries);
      const one = await agent.router.call('agent.activity', { limit: 1 });
      expect(one.ok && (one.value as { entries: unknown[] }).entries).toEqual([entries.at(-1)]);
      expect(await agent.router.call('agent.activity', { limit: 0 })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_PARAMS' },
      });
    } finally {
      await agent.close();
      await dir.remove();
    }
  });

  it('counts a new benchmark at once, not a minute later', async () => {
    const dir = await tempDir();
    const agent = await createAgent({ dataDir: dir.path, host: 'test' });
    const score = async () => {
      const r = await agent.router.call('yield.suggestPrice', {});
      if (!r.ok) throw new Error('suggestPrice failed');
      return (r.value as { score: number | null }).score;
    };
    try {
      expect(await score()).toBeNull();
      // A run saves its signed report, then says it is done.
      const signed = await signReport(sampleReport(), testSigner());
      await mkdir(join(dir.path, 'bench', 'reports'), { recursive: true });
      await writeFile(
        join(dir.path, 'bench', 'reports', `${signed.report.id}.json`),
        JSON.stringify(signed),
      );
      agent.events.emit('bench.progress', {
        runId: signed.report.id,
        phase: 'done',
        fraction: 1,
        workloadCount: 6,
        message: 'Done',
      });
      expect(await score()).toBe(Math.round(signed.report.composite.value ?? NaN));
    } finally {
      await agent.close();
      await dir.remove();
    }
  });

  it('publishes settings.changed and a log line when settings change', async () => {
    const dir = await tempDir();
    const agent = await createAgent({ dataDir: dir.path, host: 'test' });
    const seen: AgentEvent[] = [];
    agent.events.subscribe((e) => seen.push(e));
    await agent.router.call('settings.update', { work: { mode: 'always' } });
    expect(seen.find((e) => e.event === 'settings.changed')?.payload).toMatchObject({
      work: { mode: 'always' },
    });
    expect(
      seen.some(
        (e) => e.event === 'agent.log' && e.payload.message === 'take work changed to “Always”',
      ),
    ).toBe(true);
    await agent.close();
    await dir.remove();
  });
});

describe('the agent’s work policy, diagnostics and logs', () => {
  it('schedules each GPU, keeps a manual pause across a restart, and hands it back', async () => {
    const fake = fakeNvidiaSmi();
    const dir = await tempDir();
    const hardware = { env: { ...process.env, ...fake.env } };
    const agent = await createAgent({ dataDir: dir.path, host: 'test', hardware });
    const status = await agent.router.call('schedule.status', {});
    if (!status.ok) throw new Error(status.error.message);
    const value = status.value as { decisions: { gpuId: string; state: string; reason: string }[] };
    expect(value.decisions).toHaveLength(1);
    const gpuId = value.decisions[0]!.gpuId;
    // Headless (no idle source), default mode idle: nothing holds the GPU back.
    expect(value.decisions[0]!.state).toBe('working');

    const paused = await agent.router.call('schedule.hold', { gpuId, action: 'pause' });
    if (!paused.ok) throw new Error(paused.error.message);
    expect(
      (paused.value as { decisions: { state: string; heldBy: string }[] }).decisions[0],
    ).toMatchObject({ state: 'paused', heldBy: 'you' });
    const past = await agent.router.call('schedule.hold', {
      gpuId,
      action: 'pause',
      until: '2001-01-01T00:00:00Z',
    });
    expect(past).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    await agent.close();

    const again = await createAgent({ dataDir: dir.path, host: 'test', hardware });
    const kept = await again.router.call('schedule.status', {});
    expect(kept.ok && (kept.value as { decisions: { state: string }[] }).decisions[0]!.state).toBe(
      'paused',
    );
    const cleared = await again.router.call('schedule.clearHold', { gpuId: null });
    expect(
      cleared.ok && (cleared.value as { decisions: { state: string }[]; holds: unknown[] }).holds,
    ).toEqual([]);
    await again.close();
    await dir.remove();
    fake.remove();
  });

  it('keeps market jobs off a GPU paused by hand: one lease per working card', async () => {
    const fake = fakeNvidiaSmi('nvidia-smi-xml/dual-geforce-rtx-2070_590.44.01_multi-gpu.xml');
    const dir = await tempDir();
    // CUDA works on both cards, as the probe says it per device on an NVIDIA rig.
    let ids: string[] = [];
    const agent = await createAgent({
      dataDir: dir.path,
      host: 'test',
      hardware: { env: { ...process.env, ...fake.env } },
      jobs: {
        probeResults: async () =>
          ids.map((gpuId, deviceIndex) => ({
            ep: 'cuda',
            ok: true,
            status: 'ok',
            deviceIndex,
            adapter: { name: 'NVIDIA GeForce RTX 2070', software: false, gpuId },
          })),
      },
    });
    ids = (await agent.hardware.list()).gpus.map((g) => g.id);
    expect(ids).toHaveLength(2);
    const jobs = await agent.jobs();
    expect(await jobs.places(['cuda', 'cpu'], 'market')).toBe(2);
    const paused = await agent.router.call('schedule.hold', { gpuId: ids[0], action: 'pause' });
    expect(paused.ok).toBe(true);
    // The market holds one lease of a CUDA job now; the owner's own jobs may still use both.
    expect(await jobs.places(['cuda', 'cpu'], 'market')).toBe(1);
    expect(await jobs.places(['cuda', 'cpu'], 'private')).toBe(2);
    await agent.close();
    await dir.remove();
    fake.remove();
  });

  it('answers why no jobs, each blocker with its fix', async () => {
    const dir = await tempDir();
    const agent = await createAgent({
      dataDir: dir.path,
      host: 'test',
      hardware: {
        env: {
          ...process.env,
          ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi',
          ROOST_SYSFS_ROOT: join(dir.path, 'no-sys'),
        },
      },
    });
    const r = await agent.router.call('diagnostics.whyNoJobs', {});
    if (!r.ok) throw new Error(r.error.message);
    const answer = r.value as {
      answer: string;
      headline: string;
      blockers: { code: string; fix: string }[];
    };
    expect(answer.answer).toBe('blocked');
    expect(answer.blockers.length).toBeGreaterThan(0);
    for (const b of answer.blockers) expect(b.fix.length).toBeGreaterThan(10);
    await agent.close();
    await dir.remove();
  });

  it('scrubs secrets from the event stream and the log file', async () => {
    const dir = await tempDir();
    const agent = await createAgent({
      dataDir: dir.path,
      host: 'test',
      background: true,
      embeddedDevnet: false,
      hardware: { env: { ...process.env, ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' } },
    });
    const token = 'tok_' + 'x'.repeat(40);
    agent.addSecret(token);
    const seen: string[] = [];
    agent.events.subscribe((e) => {
      if (e.event === 'agent.log') seen.push(e.payload.message);
    });
    const key = '0x' + 'ab'.repeat(32);
    agent.log.info(`imported key ${key} with token ${token}`);
    await agent.close();
    const line = seen.find((m) => m.startsWith('imported key'))!;
    expect(line).not.toContain(key);
    expect(line).not.toContain(token);
    const file = await readFile(join(dir.path, 'logs', 'roost.log'), 'utf8');
    expect(file).toContain('imported key');
    expect(file).not.toContain(key);
    expect(file).not.toContain(token);
    await dir.remove();
  });
});
