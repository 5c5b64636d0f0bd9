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
