import { describe, expect, it } from 'vitest';
import {
  EMPTY_POST_FORM,
  escrowWords,
  leaseWords,
  postFieldOf,
  postJobParams,
  tokenUnits,
  type PostForm,
  type PostedJobsListing,
} from './post-job.ts';

const PROVIDER = '0x' + 'b'.repeat(40);
const REQUESTER = '0x' + 'a'.repeat(40);
const at = (iso: string) => new Date(iso).toLocaleString();
const ENDS = '2026-11-20T12:00:00.000Z';

const network: PostedJobsListing['network'] = {
  label: 'the local devnet',
  kind: 'local',
  marketAddress: '0x' + 'c'.repeat(40),
  testMoney: true,
  symbol: 'rUSD',
  decimals: 6,
};

describe('leaseWords', () => {
  it('says each state of a lease in plain words', () => {
    expect(leaseWords({ slot: 0, state: 'open', provider: null })).toBe(
      'open: waiting for a provider to claim it',
    );
    expect(leaseWords({ slot: 0, state: 'claimed', provider: PROVIDER, leaseEndsAt: ENDS })).toBe(
      `claimed by ${PROVIDER}, its lease ends ${at(ENDS)}`,
    );
    expect(
      leaseWords({ slot: 1, state: 'submitted', provider: PROVIDER, challengeEndsAt: ENDS }),
    ).toBe(`result in from ${PROVIDER}; unless it is disputed, it is paid at ${at(ENDS)}`);
    expect(
      leaseWords({
        slot: 0,
        state: 'accepted',
        provider: PROVIDER,
        verdict: 'accepted',
        verdictFinal: true,
      }),
    ).toBe(`accepted; ${PROVIDER} was paid`);
    expect(leaseWords({ slot: 0, state: 'paid', provider: PROVIDER })).toBe(
      `paid to ${PROVIDER} when its challenge window closed`,
    );
    expect(leaseWords({ slot: 0, state: 'expired', provider: null })).toBe('expired');
    expect(leaseWords({ slot: 0, state: 'cancelled', provider: null })).toBe(
      'cancelled; its reward was credited back to the posting account in the market',
    );
    expect(leaseWords({ slot: 0, state: 'voided', provider: PROVIDER })).toContain(
      `voided (${PROVIDER}'s result): nobody ruled in time`,
    );
  });

  it("adds the agent's note and what was decided here, with the dispute's reason", () => {
    expect(
      leaseWords({
        slot: 1,
        state: 'disputed',
        provider: PROVIDER,
        voidableAt: ENDS,
        verdict: 'disputed',
        reason: 'output y differs from the canary',
        verdictFinal: true,
      }),
    ).toBe(
      `disputed (${PROVIDER}'s result): the market's arbiter decides; if nobody rules by ${at(ENDS)}, the dispute ends unruled and the reward comes back to you. Roost disputed it: output y differs from the canary`,
    );
    expect(
      leaseWords({
        slot: 0,
        state: 'expired',
        provider: PROVIDER,
        leaseEndsAt: ENDS,
        note: 'its provider ran out of time; Roost reopens it and takes the collateral',
      }),
    ).toBe(
      `expired (${PROVIDER}): its provider ran out of time; Roost reopens it and takes the collateral`,
    );
    // Decided here, its transaction not confirmed yet: the chain still has it submitted.
    expect(
      leaseWords({
        slot: 0,
        state: 'submitted',
        provider: PROVIDER,
        challengeEndsAt: ENDS,
        verdict: 'accepted',
        verdictFinal: false,
      }),
    ).toBe(`result in from ${PROVIDER}. Roost accepted it (its transaction is not confirmed yet)`);
    expect(leaseWords({ slot: 0, state: 'paid', provider: PROVIDER, verdict: 'disputed' })).toBe(
      `paid to ${PROVIDER}: the market's arbiter ruled for the provider. Roost disputed it`,
    );
  });
});

describe('tokenUnits and escrowWords', () => {
  it('reads a price in base units, exactly', () => {
    expect(tokenUnits('12.5', 6)).toBe(12_500_000n);
    expect(tokenUnits('0.000001', 6)).toBe(1n);
    expect(tokenUnits('0.0000001', 6)).toBeUndefined();
    expect(tokenUnits('1e3', 6)).toBeUndefined();
    expect(tokenUnits('-1', 6)).toBeUndefined();
  });

  it('says what is escrowed from whom, and where', () => {
    const devnet = { address: REQUESTER, kind: 'devnet-account' as const };
    expect(escrowWords('5', 2, network, devnet)).toBe(
      `Posting escrows 10 rUSD (5 rUSD per lease × 2 leases) from ${REQUESTER}, a test account of the local devnet, on the local devnet.`,
    );
    expect(
      escrowWords(
        '0.1',
        1,
        { ...network, label: 'chain 4242 (http://10.0.0.5:8545)' },
        {
          address: REQUESTER,
          kind: 'wallet',
        },
      ),
    ).toBe(
      `Posting escrows 0.1 rUSD (1 lease) from ${REQUESTER}, this computer's wallet, on chain 4242 (http://10.0.0.5:8545).`,
    );
    expect(escrowWords('0.1', 2, { ...network, decimals: 18 }, devnet)).toContain('0.2 rUSD');
  });
});

describe('postJobParams', () => {
  const form = (over: Partial<PostForm>): PostForm => ({
    ...EMPTY_POST_FORM,
    model: '/data/model.onnx',
    inputs: 'x=/data/x0.npy\nx=/data/x1.npy',
    price: '5',
    ...over,
  });

  it('turns the accelerator choice into the preference list providers follow', () => {
    const eps = (accelerators: PostForm['accelerators']) => {
      const r = postJobParams(form({ accelerators }), network);
      return r.ok ? r.params.executionProviders : r.problem.text;
    };
    expect(eps('any')).toBeUndefined();
    expect(eps('cuda')).toEqual(['cuda']);
    expect(eps('cpu')).toEqual(['cpu']);
    // GPUs only: every GPU path, the CPU never.
    expect(eps('gpu')).not.toContain('cpu');
    expect(eps('gpu')).toEqual(expect.arrayContaining(['cuda', 'webgpu', 'dml', 'coreml']));
  });

  it("reads the form into the agent's params, leaving out what is empty", () => {
    expect(postJobParams(form({}), network)).toEqual({
      ok: true,
      params: {
        model: '/data/model.onnx',
        inputs: [{ x: '/data/x0.npy' }, { x: '/data/x1.npy' }],
        price: '5',
        redundancy: 1,
        canary: false,
      },
    });
    expect(
      postJobParams(
        form({
          inputs: 'x=/data/x0.npy',
          redundancy: 2,
          canary: true,
          name: ' resnet ',
          leaseMinutes: '15',
          deadlineHours: '0.5',
          minScore: '1200',
          port: '8790',
          publicUrl: 'https://jobs.lab.example',
        }),
        network,
      ),
    ).toEqual({
      ok: true,
      params: {
        model: '/data/model.onnx',
        inputs: { x: '/data/x0.npy' },
        price: '5',
        redundancy: 2,
        canary: true,
        name: 'resnet',
        leaseSeconds: 900,
        deadlineSeconds: 1800,
        minScore: 1200,
        port: 8790,
        publicUrl: 'https://jobs.lab.example',
      },
    });
  });

  it('says what is wrong and in which field', () => {
    const problem = (over: Partial<PostForm>) => {
      const r = postJobParams(form(over), network);
      return r.ok ? undefined : r.problem;
    };
    expect(problem({ model: '' })).toEqual({ text: 'Give the model file.', field: 'model' });
    expect(problem({ model: 'model.onnx' })?.field).toBe('model');
    expect(problem({ inputs: '' })).toEqual({ text: 'Give at least one input.', field: 'inputs' });
    expect(problem({ inputs: 'x=batches/x.npy' })?.field).toBe('inputs');
    expect(problem({ price: '' })).toEqual({
      text: 'Give the price per lease, in rUSD.',
      field: 'price',
    });
    expect(problem({ price: 'five' })?.text).toBe(
      'Write the price as a number of rUSD, like 12.5 (got "five").',
    );
    expect(problem({ price: '0.0000001' })?.text).toContain('rUSD has 6 decimals');
    expect(problem({ price: '0' })?.text).toBe('A lease must pay more than 0 rUSD.');
    expect(problem({ leaseMinutes: '2.5' })?.field).toBe('leaseMinutes');
    expect(problem({ deadlineHours: '0.01' })?.field).toBe('deadlineHours');
    expect(problem({ minScore: '-3' })?.field).toBe('minScore');
    expect(problem({ port: '70000' })?.field).toBe('port');
    expect(problem({ publicUrl: 'jobs.lab.example', port: '8790' })?.field).toBe('publicUrl');
    // A public URL needs the port its tunnel forwards to: checked before anything is sent.
    expect(problem({ publicUrl: 'https://jobs.lab.example' })).toEqual({
      text: 'A public URL needs the port its tunnel or proxy forwards to, on 127.0.0.1 here: give the port too.',
      field: 'port',
    });
    expect(problem({ name: 'n'.repeat(201) })?.field).toBe('name');
  });
});

describe('postFieldOf', () => {
  it("finds the field an agent's refusal is about", () => {
    expect(postFieldOf('the model /data/m.onnx is not a file that can be read')).toBe('model');
    expect(postFieldOf('the model cannot be posted: too big')).toBe('model');
    expect(postFieldOf("the model's inputs are x, but the job gives y")).toBe('inputs');
    expect(postFieldOf('the input "x" (/data/x.npy) is not usable: not a .npy file')).toBe(
      'inputs',
    );
    expect(postFieldOf('input set 1 names y but the first names x; every set needs …')).toBe(
      'inputs',
    );
    expect(postFieldOf('price: rUSD has 6 decimals')).toBe('price');
    expect(postFieldOf('the deadline (120 s from now) must leave a whole lease')).toBe(
      'deadlineHours',
    );
    expect(postFieldOf('nothing was posted: port 8790 on 127.0.0.1, where …')).toBe('port');
    expect(postFieldOf('A public URL needs a port: the tunnel …')).toBe('port');
    expect(postFieldOf('publicUrl: not an http(s) URL.')).toBe('publicUrl');
    expect(postFieldOf('leaseSeconds must be at least 60 (got 5).')).toBe('leaseMinutes');
    expect(postFieldOf('the canary run was refused: …')).toBeUndefined();
  });
});
