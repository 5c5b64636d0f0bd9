// Game mode's "any other program on the GPU" and the power budget, wired as the agent wires
// them: the agent finds nvidia-smi (a stand-in answering with a real captured inventory), lists
// the GPU with its power limit, asks `--query-compute-apps` which programs compute on it, and the
// work policy pauses that GPU for a foreign one, or past the budget. pmon answers "not supported"
// here, as on many GeForce drivers under Windows.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../../agent/agent.ts';
import { fakeNvidiaSmi } from '../../support/fake-nvidia-smi.ts';
import { tempDir } from '../../support/temp-dir.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function agentWith(apps: string): Promise<{ agent: Agent; gpuId: string }> {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  const fake = fakeNvidiaSmi();
  cleanups.push(fake.remove);
  const appsFile = join(dir.path, 'apps.csv');
  await writeFile(appsFile, apps.replaceAll('BUS', fake.busId));
  const wrapper = join(dir.path, 'nvidia-smi');
  await writeFile(
    wrapper,
    `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
if (args[0]?.startsWith('--query-compute-apps=')) process.stdout.write(fs.readFileSync(${JSON.stringify(appsFile)}, 'utf8'));
else if (args[0] === 'pmon') { process.stderr.write('Failed to start pmon: Not Supported\\n'); process.exit(3); }
else { const r = require('node:child_process').spawnSync(${JSON.stringify(fake.env.ROOST_NVIDIA_SMI)}, args, { stdio: 'inherit' }); process.exit(r.status ?? 1); }
`,
  );
  await chmod(wrapper, 0o755);
  const agent = await createAgent({
    dataDir: join(dir.path, 'data'),
    host: 'test',
    hardware: { env: { ...process.env, ...fake.env, ROOST_NVIDIA_SMI: wrapper } },
  });
  cleanups.push(() => agent.close());
  await agent.router.call('settings.update', { work: { mode: 'always' } });
  const gpu = (await agent.hardware.list()).gpus.find((g) => g.vendor === 'nvidia');
  if (!gpu) throw new Error('the fake nvidia-smi GPU was not listed');
  return { agent, gpuId: gpu.id };
}

describe('the power budget with nvidia-smi', () => {
  it('counts the GPU at the power limit nvidia-smi reports, and holds it past the budget', async () => {
    const { agent, gpuId } = await agentWith('');
    expect((await agent.hardware.list()).gpus.find((g) => g.id === gpuId)?.powerLimitW).toBe(170);
    const within = await agent.router.call('settings.update', { work: { powerBudgetW: 170 } });
    expect(within.ok).toBe(true);
    expect((await agent.policy.evaluate()).find((d) => d.gpuId === gpuId)).toMatchObject({
      state: 'working',
    });
    await agent.router.call('settings.update', { work: { powerBudgetW: 150 } });
    const held = (await agent.policy.evaluate()).find((d) => d.gpuId === gpuId);
    expect(held).toMatchObject({ state: 'paused', cause: 'power-budget', heldBy: 'policy' });
    expect(held?.reason).toBe('Its 170 W power limit is more than your 150 W power budget');
    // A budget too small to be one is refused in words, and changes nothing.
    const tiny = await agent.router.call('settings.update', { work: { powerBudgetW: 5 } });
    expect(tiny.ok).toBe(false);
    if (!tiny.ok) expect(tiny.error.message).toMatch(/work\.powerBudgetW must be at least 10/);
    expect(agent.settings.get().work.powerBudgetW).toBe(150);
  });
});

describe('game mode with nvidia-smi', () => {
  it('pauses the GPU while another program computes on it', async () => {
    const { agent, gpuId } = await agentWith(
      'BUS, GPU-1a2b3c4d-0000-1111-2222-333344445555, 4242, 812 MiB, /usr/bin/blender\n',
    );
    const decision = (await agent.policy.evaluate()).find((d) => d.gpuId === gpuId);
    expect(decision).toMatchObject({ state: 'paused', cause: 'gpu-process', heldBy: 'policy' });
    expect(decision?.reason).toMatch(/^Another program is using this GPU \(blender, pid 4242\)/);
  });

  it('works when only the desktop holds the GPU, or nothing does', async () => {
    const { agent, gpuId } = await agentWith(
      'BUS, GPU-1a2b3c4d-0000-1111-2222-333344445555, 1534, 40 MiB, /usr/lib/xorg/Xorg\n',
    );
    const decision = (await agent.policy.evaluate()).find((d) => d.gpuId === gpuId);
    expect(decision).toMatchObject({ state: 'working', cause: 'always' });
  });
});
