import { describe, expect, it } from 'vitest';
import { createSendLanes, laneOf } from './send-lanes.ts';

const A = '0x00000000000000000000000000000000000000aa';
const B = '0x00000000000000000000000000000000000000bb';

/** A send that records when it starts and ends, and finishes when released. */
function step(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return {
    release,
    work: async () => {
      log.push(`${name} start`);
      await done;
      log.push(`${name} end`);
      return name;
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('send lanes', () => {
  it('runs the sends of one address on one chain one at a time, in order', async () => {
    const lanes = createSendLanes();
    const log: string[] = [];
    const first = step(log, 'first');
    const second = step(log, 'second');
    const one = lanes({ chainId: 1, rpcUrl: 'http://node', address: A }, first.work);
    // The same address in another spelling is the same lane.
    const two = lanes(
      { chainId: 1, rpcUrl: 'http://node', address: A.toUpperCase().replace('0X', '0x') },
      second.work,
    );
    await tick();
    expect(log).toEqual(['first start']);
    second.release();
    await tick();
    expect(log).toEqual(['first start']);
    first.release();
    expect(await one).toBe('first');
    expect(await two).toBe('second');
    expect(log).toEqual(['first start', 'first end', 'second start', 'second end']);
  });

  it('lets other addresses and other chains go at the same time', async () => {
    const lanes = createSendLanes();
    const log: string[] = [];
    const a = step(log, 'a');
    const b = step(log, 'b');
    const otherChain = step(log, 'a on chain 2');
    const all = [
      lanes({ chainId: 1, rpcUrl: null, address: A }, a.work),
      lanes({ chainId: 1, rpcUrl: null, address: B }, b.work),
      laneOf(lanes, { chainId: 2, rpcUrl: null, address: A })(otherChain.work),
    ];
    await tick();
    expect(log.sort()).toEqual(['a on chain 2 start', 'a start', 'b start']);
    for (const s of [a, b, otherChain]) s.release();
    await Promise.all(all);
  });

  it('goes on after a send that failed, and hands the failure to its caller only', async () => {
    const lanes = createSendLanes();
    const who = { chainId: 1, rpcUrl: null, address: A };
    const failed = lanes(who, () => Promise.reject(new Error('nonce too low')));
    const next = lanes(who, () => Promise.resolve('sent'));
    await expect(failed).rejects.toThrow('nonce too low');
    expect(await next).toBe('sent');
  });
});
