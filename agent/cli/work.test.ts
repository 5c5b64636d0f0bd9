import { describe, expect, it } from 'vitest';
import { workText } from './work.ts';

const decision = (gpuId: string, state: 'working' | 'idle' | 'paused', reason: string) => ({
  gpuId,
  state,
  reason,
  until: null,
});

describe('roost work status text', () => {
  it('lines up the states however long the device ids, and starts each reason as a sentence', () => {
    const text = workText({
      decisions: [
        decision('cpu', 'working', 'working: no desktop session to watch for idle time'),
        decision('nvidia-0', 'paused', 'Paused by you until you start it again'),
      ],
    });
    expect(text.split('\n')).toEqual([
      'cpu       ready    No desktop session to watch for idle time',
      'nvidia-0  paused   Paused by you until you start it again',
    ]);
  });
});

describe('roost work status on a rig', () => {
  it('names the job running on each GPU, and none on a GPU with no job', () => {
    const text = workText(
      {
        decisions: [
          decision('pci-1', 'working', 'set to work always'),
          decision('pci-2', 'working', 'set to work always'),
          decision('pci-3', 'paused', 'Paused by you until you start it again'),
        ],
      },
      {},
      [
        { id: 'job-a', name: 'market job 7', device: { id: 'pci-2' } },
        { id: 'job-b', name: 'resnet (part 1 of 2)', device: { id: 'pci-1' } },
        // Still fetching its files: no GPU yet, named nowhere.
        { id: 'job-c', name: 'scan' },
      ],
    );
    expect(text.split('\n')).toEqual([
      'pci-1  ready    Set to work always. Running job resnet (part 1 of 2)',
      'pci-2  ready    Set to work always. Running market job 7',
      'pci-3  paused   Paused by you until you start it again',
    ]);
  });
});

describe('roost work status, a state with an end', () => {
  const now = Date.parse('2026-11-26T16:29:00Z');
  const at = (reason: string, until: string) => ({
    decisions: [{ gpuId: 'nvidia-0', state: 'paused' as const, reason, until }],
  });

  it('says the end once when the reason says it already', () => {
    expect(
      workText(at('paused by you until 18:29', '2026-11-26T18:29:00Z'), { now, timeZone: 'UTC' }),
    ).toBe('nvidia-0  paused   Paused by you until 18:29');
  });

  it('adds the end in the same words as the reasons do when the reason does not say it', () => {
    expect(
      workText(at('outside your work hours', '2026-11-27T07:00:00Z'), { now, timeZone: 'UTC' }),
    ).toBe('nvidia-0  paused   Outside your work hours (until tomorrow 07:00)');
  });
});
