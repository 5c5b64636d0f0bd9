import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAgent } from './agent.ts';
import type { AgentEvent } from './api/contract.ts';
import { tempDir } from '../test/support/temp-dir.ts';

describe('the agent', () => {
  it('reports a restored settings file as a warning the user can dismiss', async () => {
    const dir = await tempDir();
    await writeFile(join(dir.path, 'settings.json'), 'not json');
    const agent = await createAgent({ dataDir: dir.path, host: 'test' });
    const status = await agent.router.call('agent.status', {});
    if (!status.ok) throw new Error('status failed');
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
        (e) => e.event === 'agent.log' && e.payload.message === 'settings changed: work.mode',
      ),
    ).toBe(true);
    await agent.close();
    await dir.remove();
  });
});
