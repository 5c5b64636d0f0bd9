import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { AgentEvent } from '../../../agent/api/contract.ts';
import { AgentProvider } from '../AgentContext.tsx';
import { catchSavedFiles } from '../testing/saved-files.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';
import { PostedJobs, PostedJobsWaiting } from './PostedJobs.tsx';
import type { PostedJob, PostedJobsListing } from './post-job.ts';

afterEach(cleanup);

const REQUESTER = '0x' + 'a'.repeat(40);
const PROVIDER = '0x' + 'b'.repeat(40);
const OTHER = '0x' + 'd'.repeat(40);
const SERVED = 'http://127.0.0.1:8790';
const ENDS = '2026-11-20T12:00:00.000Z';
const at = (iso: string) => new Date(iso).toLocaleString();

function listing(over: Partial<PostedJobsListing> = {}): PostedJobsListing {
  return {
    network: {
      label: 'the local devnet',
      kind: 'local',
      marketAddress: '0x' + 'c'.repeat(40),
      testMoney: true,
      symbol: 'rUSD',
      decimals: 6,
    },
    payer: { address: REQUESTER, kind: 'devnet-account' },
    postProblem: null,
    jobs: [],
    older: 0,
    otherChains: 0,
    ...over,
  };
}

/** A custom network whose tokens have value, paid from this computer's wallet. */
const realMoney = (over: Partial<PostedJobsListing> = {}) =>
  listing({
    network: {
      label: 'chain 4242 (http://10.0.0.5:8545)',
      kind: 'custom',
      marketAddress: '0x' + 'c'.repeat(40),
      testMoney: false,
      symbol: 'USDC',
      decimals: 6,
    },
    payer: { address: REQUESTER, kind: 'wallet' },
    ...over,
  });

function job(over: Partial<PostedJob> = {}): PostedJob {
  return {
    jobId: '7',
    state: 'posted',
    name: 'resnet batch',
    requester: REQUESTER,
    specURI: `${SERVED}/spec.json`,
    specHash: '0x' + '1'.repeat(64),
    servedAt: SERVED,
    preparedAt: '2026-11-20T10:00:00.000Z',
    redundancy: 2,
    price: { amount: '5', symbol: 'rUSD', baseUnits: '5000000' },
    txHash: '0x' + '2'.repeat(64),
    leases: [
      { slot: 0, state: 'claimed', provider: PROVIDER, leaseEndsAt: ENDS },
      { slot: 1, state: 'open', provider: null },
    ],
    resultsDir: null,
    watch: 'watching',
    watchProblem: null,
    ...over,
  };
}

const posted = {
  jobId: '12',
  txHash: '0x' + '3'.repeat(64),
  specURI: `${SERVED}/spec.json`,
  servedAt: SERVED,
  requester: REQUESTER,
  price: { amount: '5', symbol: 'rUSD' },
  redundancy: 2,
};

const refused = (code: string, message: string) => ({ ok: false, error: { code, message } });

/** The component with the agent answering `answer`; its form opened unless `closed`. */
function mount(answer: (method: string, params: unknown) => unknown, { closed = false } = {}) {
  const calls: [string, unknown][] = [];
  const { client, emit } = fakeAgentClient((method, params) => {
    calls.push([method, params]);
    return answer(method, params);
  });
  render(
    <AgentProvider client={client}>
      <PostedJobs />
    </AgentProvider>,
  );
  if (!closed) fireEvent.click(screen.getByRole('button', { name: 'Post a job…' }));
  const sent = (method: string) => calls.filter(([m]) => m === method).map(([, p]) => p);
  return { calls, emit, sent };
}

const type = (label: string | RegExp, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

/** Fills the form with a two-lease job with a canary, and asks for the review. */
async function fillAndReview() {
  await screen.findByLabelText('Price per lease (rUSD)');
  type('Model to post (.onnx)', '/data/model.onnx');
  type(/^Inputs, one per line/, 'x=/data/x0.npy');
  type('Price per lease (rUSD)', '5');
  type('Leases', '2');
  fireEvent.click(screen.getByLabelText(/^Canary/));
  type('Name (optional)', 'resnet batch');
  await waitFor(() =>
    expect(screen.getByRole('button', { name: 'Review…' })).toHaveProperty('disabled', false),
  );
  fireEvent.click(screen.getByRole('button', { name: 'Review…' }));
  return screen.getByRole('group', { name: 'Post this job' });
}

const form = () => screen.getByRole('form', { name: 'Post a job to the market' });

describe('PostedJobs: post a job', () => {
  it('shows the form only once asked for', async () => {
    mount((method) => (method === 'market.postedJobs' ? ok(listing()) : unavailable()), {
      closed: true,
    });
    const open = screen.getByRole('button', { name: 'Post a job…' });
    expect(open.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByLabelText('Model to post (.onnx)')).toBeNull();
    fireEvent.click(open);
    await screen.findByLabelText('Model to post (.onnx)');
    expect(screen.queryByRole('button', { name: 'Post a job…' })).toBeNull();
  });

  it('says what is escrowed from whom and where before anything is sent, then posts and clears the form', async () => {
    let jobs: PostedJob[] = [];
    const { sent } = mount((method) => {
      if (method === 'market.postedJobs') return ok(listing({ jobs }));
      if (method === 'market.postJob') {
        jobs = [job({ jobId: '12' })];
        return ok(posted);
      }
      return unavailable();
    });
    const review = await fillAndReview();
    expect(review.textContent).toContain(
      `Posting escrows 10 rUSD (5 rUSD per lease × 2 leases) from ${REQUESTER}, a test account of the local devnet, on the local devnet.`,
    );
    expect(review.textContent).toContain('rUSD on the local devnet is test money');
    expect(review.textContent).not.toContain('real money');
    // Back changes nothing and keeps what was typed.
    fireEvent.click(within(review).getByRole('button', { name: 'Back' }));
    expect(sent('market.postJob')).toEqual([]);
    expect(screen.getByLabelText('Model to post (.onnx)')).toHaveProperty(
      'value',
      '/data/model.onnx',
    );

    fireEvent.click(screen.getByRole('button', { name: 'Review…' }));
    expect(sent('market.postJob')).toEqual([]);
    fireEvent.click(screen.getByRole('button', { name: 'Post' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      `Job 12 is posted: providers fetch its files from ${SERVED}, and Roost checks each result as it comes in.`,
    );
    expect(sent('market.postJob')).toEqual([
      {
        model: '/data/model.onnx',
        inputs: { x: '/data/x0.npy' },
        price: '5',
        redundancy: 2,
        canary: true,
        name: 'resnet batch',
      },
    ]);
    expect(screen.getByLabelText('Model to post (.onnx)')).toHaveProperty('value', '');
    expect(screen.getByLabelText('Price per lease (rUSD)')).toHaveProperty('value', '');
    // The list is read again, and shows the new job.
    expect(await screen.findByTestId('posted-job-12')).toBeTruthy();
    expect(sent('market.postedJobs').length).toBeGreaterThanOrEqual(2);
  });

  it('says which accelerators providers may use, and sends them as the preference list', async () => {
    const { sent } = mount((method) => {
      if (method === 'market.postedJobs') return ok(listing());
      if (method === 'market.postJob') return ok(posted);
      return unavailable();
    });
    await screen.findByLabelText('Price per lease (rUSD)');
    fireEvent.click(screen.getByRole('button', { name: 'More options' }));
    type('Accelerators providers may run it on', 'cuda');
    const review = await fillAndReview();
    expect(review.textContent).toContain('on CUDA only. Roost serves its files');
    fireEvent.click(within(review).getByRole('button', { name: 'Post' }));
    await screen.findByRole('status');
    expect(sent('market.postJob')).toMatchObject([{ executionProviders: ['cuda'] }]);
  });

  it('says plainly when it is real money, paid from this computer’s wallet', async () => {
    mount((method) => (method === 'market.postedJobs' ? ok(realMoney()) : unavailable()));
    await screen.findByLabelText('Price per lease (USDC)');
    type('Model to post (.onnx)', '/data/model.onnx');
    type(/^Inputs, one per line/, 'x=/data/x0.npy');
    type('Price per lease (USDC)', '2.5');
    fireEvent.click(screen.getByRole('button', { name: 'Review…' }));
    const review = screen.getByRole('group', { name: 'Post this job' });
    expect(review.textContent).toContain(
      `Posting escrows 2.5 USDC (1 lease) from ${REQUESTER}, this computer's wallet, on chain 4242 (http://10.0.0.5:8545).`,
    );
    expect(review.textContent).toContain(
      'This is real money: USDC on chain 4242 (http://10.0.0.5:8545) has value.',
    );
  });

  it('asks for the wallet’s password when it is locked, posts again with it and keeps it no longer', async () => {
    const { sent } = mount((method, params) => {
      if (method === 'market.postedJobs') return ok(realMoney());
      if (method === 'market.postJob')
        return (params as { password?: string }).password === 'lab password'
          ? ok({ ...posted, price: { amount: '5', symbol: 'USDC' } })
          : refused('WALLET_LOCKED', 'The wallet is locked: unlock it (Wallet page).');
      return unavailable();
    });
    await screen.findByLabelText('Price per lease (USDC)');
    type('Model to post (.onnx)', '/data/model.onnx');
    type(/^Inputs, one per line/, 'x=/data/x0.npy');
    type('Price per lease (USDC)', '5');
    fireEvent.click(screen.getByRole('button', { name: 'Review…' }));
    expect(screen.queryByLabelText(/Wallet password/)).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Post' }));
    const password = await screen.findByLabelText('Wallet password (for this post only)');
    expect(screen.getByRole('alert').textContent).toContain(
      "This computer's wallet is locked: give its password to post this job.",
    );
    fireEvent.change(password, { target: { value: 'lab password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Post' }));
    expect((await screen.findByRole('status')).textContent).toMatch(/^Job 12 is posted/);
    const [first, second] = sent('market.postJob') as { password?: string }[];
    expect(first).not.toHaveProperty('password');
    expect(second).toMatchObject({ password: 'lab password' });
    // Posted: the review and its password are gone; the next post asks again.
    expect(screen.queryByLabelText(/Wallet password/)).toBeNull();
  });

  it("shows the agent's refusal as it says it, on the field it is about", async () => {
    const message = 'the input "x" (/data/x0.npy) is not usable: not a .npy file';
    mount((method) =>
      method === 'market.postedJobs'
        ? ok(listing())
        : method === 'market.postJob'
          ? refused('JOB_REFUSED', message)
          : unavailable(),
    );
    await fillAndReview();
    fireEvent.click(screen.getByRole('button', { name: 'Post' }));
    const alert = await within(await screen.findByRole('form')).findByRole('alert');
    expect(alert.textContent).toBe('The input "x" (/data/x0.npy) is not usable: not a .npy file.');
    const inputs = screen.getByLabelText(/^Inputs, one per line/);
    expect(inputs.getAttribute('aria-invalid')).toBe('true');
    expect(inputs.getAttribute('aria-describedby')).toBe('post-job-problem');
    expect(screen.getByLabelText('Model to post (.onnx)').getAttribute('aria-invalid')).toBeNull();
    // What was typed stays, to be mended.
    expect(inputs).toHaveProperty('value', 'x=/data/x0.npy');
  });

  it('checks the form before the review: full paths, and a port for a public URL', async () => {
    const { sent } = mount((method) =>
      method === 'market.postedJobs' ? ok(listing()) : unavailable(),
    );
    await screen.findByLabelText('Price per lease (rUSD)');
    type('Model to post (.onnx)', 'model.onnx');
    type(/^Inputs, one per line/, 'x=/data/x0.npy');
    type('Price per lease (rUSD)', '5');
    fireEvent.click(screen.getByRole('button', { name: 'Review…' }));
    expect((await within(form()).findByRole('alert')).textContent).toContain(
      'Give the full path (e.g. /home/you/model.onnx), not "model.onnx"',
    );
    type('Model to post (.onnx)', '/data/model.onnx');
    fireEvent.click(screen.getByRole('button', { name: 'More options' }));
    type('Public URL providers reach it by (needs the port)', 'https://jobs.lab.example');
    fireEvent.click(screen.getByRole('button', { name: 'Review…' }));
    expect(within(form()).getByRole('alert').textContent).toContain(
      'A public URL needs the port its tunnel or proxy forwards to',
    );
    expect(screen.getByLabelText(/^Port on this computer/).getAttribute('aria-invalid')).toBe(
      'true',
    );
    expect(screen.queryByRole('group', { name: 'Post this job' })).toBeNull();
    type(/^Port on this computer/, '8790');
    fireEvent.click(screen.getByRole('button', { name: 'Review…' }));
    fireEvent.click(screen.getByRole('button', { name: 'Post' }));
    await waitFor(() =>
      expect(sent('market.postJob')).toEqual([
        {
          model: '/data/model.onnx',
          inputs: { x: '/data/x0.npy' },
          price: '5',
          redundancy: 1,
          canary: false,
          port: 8790,
          publicUrl: 'https://jobs.lab.example',
        },
      ]),
    );
  });

  it('says why a post would be refused now, and does not let one start', async () => {
    const why =
      'This Roost takes market jobs with the same wallet that would pay for the job. Turn off "Take market jobs" in Settings on this computer.';
    mount((method) =>
      method === 'market.postedJobs' ? ok(realMoney({ postProblem: why })) : unavailable(),
    );
    expect((await screen.findByTestId('post-problem')).textContent).toBe(why);
    expect(screen.getByRole('button', { name: 'Review…' })).toHaveProperty('disabled', true);
  });

  it('says quietly when the market cannot be read, and keeps the form', async () => {
    const message =
      "The market's chain (the local devnet) does not answer: connect ECONNREFUSED. Check that its node runs, then try again.";
    mount((method) =>
      method === 'market.postedJobs' ? refused('UNAVAILABLE', message) : unavailable(),
    );
    expect((await screen.findByTestId('post-unavailable')).textContent).toBe(
      `Posting waits for the market: ${message}`,
    );
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('button', { name: 'Review…' })).toHaveProperty('disabled', true);
    expect(screen.queryByTestId('posted-jobs')).toBeNull();
  });
});

describe('PostedJobs: jobs you posted', () => {
  it('lists each lease in words, the results and the watch, and a post that never reached the chain', async () => {
    const jobs = [
      job({ resultsDir: '/data/roost/requester/jobs/post-1' }),
      job({
        jobId: '8',
        name: null,
        redundancy: 2,
        leases: [
          {
            slot: 0,
            state: 'accepted',
            provider: PROVIDER,
            verdict: 'accepted',
            verdictFinal: true,
          },
          {
            slot: 1,
            state: 'disputed',
            provider: OTHER,
            voidableAt: ENDS,
            verdict: 'disputed',
            reason: 'output y differs from the canary',
            verdictFinal: true,
          },
        ],
        watch: 'stopped',
        watchProblem: 'the chain did not answer',
      }),
      job({
        jobId: null,
        state: 'not-posted',
        name: 'cut off',
        txHash: null,
        leases: [],
        watch: 'done',
      }),
    ];
    mount((method) =>
      method === 'market.postedJobs' ? ok(listing({ jobs, otherChains: 2 })) : unavailable(),
    );
    const first = await screen.findByTestId('posted-job-7');
    expect(first.textContent).toContain('Job 7');
    expect(first.textContent).toContain('resnet batch');
    expect(first.textContent).toContain('5 rUSD × 2 leases');
    expect(first.textContent).toContain(
      `Lease 0: claimed by ${PROVIDER}, its lease ends ${at(ENDS)}`,
    );
    expect(first.textContent).toContain('Lease 1: open: waiting for a provider to claim it');
    expect(first.textContent).toContain('Checked results: /data/roost/requester/jobs/post-1');
    expect(first.textContent).toContain(`Roost is watching it; its files are served at ${SERVED}.`);
    expect(within(first).queryByRole('button', { name: 'Watch again' })).toBeNull();

    const second = screen.getByTestId('posted-job-8');
    expect(second.textContent).toContain(`Lease 0: accepted; ${PROVIDER} was paid`);
    expect(second.textContent).toContain(
      `Lease 1: disputed (${OTHER}'s result): the market's arbiter decides; if nobody rules by ${at(ENDS)}, the dispute ends unruled and the reward comes back to you. Roost disputed it: output y differs from the canary`,
    );
    expect(second.textContent).toContain('Not watched: the chain did not answer');
    expect(within(second).getByRole('button', { name: 'Watch again' })).toBeTruthy();
    // No lease open: nothing to cancel.
    expect(within(second).queryByRole('button', { name: 'Cancel open leases…' })).toBeNull();

    const unposted = screen.getByTestId('posted-job-not-posted');
    expect(unposted.textContent).toContain('Not posted');
    expect(unposted.textContent).toContain(
      'Its post never reached the chain: nothing was escrowed.',
    );
    expect(unposted.querySelectorAll('button')).toHaveLength(0);

    expect(screen.getByTestId('posted-jobs').textContent).toContain(
      '2 jobs you posted on another chain or market (an earlier devnet, say) are not listed.',
    );
  });

  it("downloads a job's checked results in one zip, and says why when there are none", async () => {
    const jobs = [job({ resultsDir: '/data/roost/requester/jobs/post-1' })];
    let answer: unknown = ok({
      fileName: 'roost-posted-job-7-resnet-batch.zip',
      mediaType: 'application/zip',
      bytes: 3,
      content: btoa('zip'),
    });
    const { sent } = mount(
      (method) =>
        method === 'market.postedJobs'
          ? ok(listing({ jobs }))
          : method === 'market.postedJobResults'
            ? answer
            : unavailable(),
      { closed: true },
    );
    const { saved, restore } = catchSavedFiles();
    try {
      const item = await screen.findByTestId('posted-job-7');
      fireEvent.click(within(item).getByRole('button', { name: 'Download (.zip)' }));
      await waitFor(() => expect(saved).toHaveLength(1));
      expect(saved[0]).toMatchObject({
        name: 'roost-posted-job-7-resnet-batch.zip',
        type: 'application/zip',
      });
      expect(await saved[0]!.text).toBe('zip');
      expect(sent('market.postedJobResults')).toEqual([{ jobId: '7' }]);

      answer = refused('NOT_FOUND', 'lease-0-accepted/y.npy is no longer in the job folder.');
      fireEvent.click(within(item).getByRole('button', { name: 'Download (.zip)' }));
      expect((await within(item).findByRole('alert')).textContent).toContain(
        'lease-0-accepted/y.npy is no longer in the job folder.',
      );
      expect(saved).toHaveLength(1);
    } finally {
      restore();
    }
  });

  it("previews each output Roost checked for a lease, and says why when it can't", async () => {
    const jobs = [
      job({
        resultsDir: '/data/roost/requester/jobs/post-1',
        leases: [
          {
            slot: 0,
            state: 'accepted',
            provider: PROVIDER,
            verdict: 'accepted',
            verdictFinal: true,
            outputs: ['c.npy', 'd.npy'],
          },
        ],
      }),
    ];
    const { sent } = mount(
      (method, params) =>
        method === 'market.postedJobs'
          ? ok(listing({ jobs }))
          : method === 'market.postedJobOutputPreview'
            ? (params as { file: string }).file === 'c.npy'
              ? ok({
                  file: 'c.npy',
                  dtype: 'float32',
                  shape: [4, 3],
                  count: 12,
                  min: -1.5,
                  max: 2.25,
                  mean: 0.5,
                  nan: 0,
                  infinite: 2,
                  first: ['0.5', 'inf'],
                })
              : refused('NOT_FOUND', 'Lease 0 of job 7 has no checked output "d.npy".')
            : unavailable(),
      { closed: true },
    );
    const item = await screen.findByTestId('posted-job-7');
    fireEvent.click(within(item).getByRole('button', { name: 'Preview c.npy of lease 0' }));
    expect((await within(item).findByTestId('preview-0-c.npy')).textContent).toBe(
      '2 are infinite. 12 values · min -1.5 · max 2.25 · mean 0.5 · first: 0.5, inf, …',
    );
    expect(sent('market.postedJobOutputPreview')).toEqual([{ jobId: '7', slot: 0, file: 'c.npy' }]);
    fireEvent.click(within(item).getByRole('button', { name: 'Preview d.npy of lease 0' }));
    expect((await within(item).findByTestId('preview-0-d.npy')).textContent).toContain(
      'has no checked output "d.npy"',
    );
  });

  it('shows no list when nothing was posted', async () => {
    const { sent } = mount((method) =>
      method === 'market.postedJobs' ? ok(listing()) : unavailable(),
    );
    await screen.findByLabelText('Price per lease (rUSD)');
    expect(sent('market.postedJobs')).toHaveLength(1);
    expect(screen.queryByTestId('posted-jobs')).toBeNull();
    expect(screen.getByRole('heading', { name: 'Post a job to the market' })).toBeTruthy();
  });

  it('watches a stopped job again, with the password when the wallet is locked', async () => {
    let watching = false;
    const { sent } = mount((method, params) => {
      if (method === 'market.postedJobs')
        return ok(
          realMoney({
            jobs: [
              job({
                watch: watching ? 'watching' : 'stopped',
                watchProblem: watching ? null : 'the wallet is locked',
              }),
            ],
          }),
        );
      if (method === 'market.watchPostedJob') {
        if ((params as { password?: string }).password === undefined)
          return refused('WALLET_LOCKED', 'The wallet is locked.');
        watching = true;
        return ok({ jobId: '7', servedAt: SERVED });
      }
      return unavailable();
    });
    const item = await screen.findByTestId('posted-job-7');
    expect(item.textContent).toContain('Not watched: the wallet is locked');
    fireEvent.click(within(item).getByRole('button', { name: 'Watch again' }));
    const password = await within(item).findByLabelText('Wallet password (to watch job 7 again)');
    fireEvent.change(password, { target: { value: 'lab password' } });
    fireEvent.click(within(item).getByRole('button', { name: 'Watch again' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      `Roost is watching job 7 again; its files are served at ${SERVED}.`,
    );
    expect(sent('market.watchPostedJob')).toEqual([
      { jobId: '7' },
      { jobId: '7', password: 'lab password' },
    ]);
    await waitFor(() => expect(item.textContent).toContain('Roost is watching it'));
    expect(within(item).queryByLabelText(/Wallet password/)).toBeNull();
  });

  it('cancels the open leases only after a question that says where the refund goes', async () => {
    let open = true;
    const { sent } = mount((method) => {
      if (method === 'market.postedJobs')
        return ok(
          listing({
            jobs: [
              job({
                leases: [
                  { slot: 0, state: 'claimed', provider: PROVIDER, leaseEndsAt: ENDS },
                  { slot: 1, state: open ? 'open' : 'cancelled', provider: null },
                ],
              }),
            ],
          }),
        );
      if (method === 'market.cancelPostedJob') {
        open = false;
        return ok({
          jobId: '7',
          cancelled: [1],
          refund: { amount: '5', symbol: 'rUSD' },
          txHash: '0x' + '4'.repeat(64),
        });
      }
      return unavailable();
    });
    const item = await screen.findByTestId('posted-job-7');
    fireEvent.click(within(item).getByRole('button', { name: 'Cancel open leases…' }));
    const question = within(item).getByRole('group', { name: 'Cancel the open leases of job 7' });
    expect(question.textContent).toContain(
      `Cancel lease 1 of job 7, which nobody has claimed? Its reward, 5 rUSD, goes back to the posting account's balance in the market (${REQUESTER}).`,
    );
    // Keep changes nothing.
    fireEvent.click(within(question).getByRole('button', { name: 'Keep' }));
    expect(sent('market.cancelPostedJob')).toEqual([]);

    fireEvent.click(within(item).getByRole('button', { name: 'Cancel open leases…' }));
    fireEvent.click(within(item).getByRole('button', { name: 'Cancel open leases' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      "Cancelled lease 1 of job 7: 5 rUSD went back to the posting account's balance in the market.",
    );
    expect(sent('market.cancelPostedJob')).toEqual([{ jobId: '7' }]);
    await waitFor(() =>
      expect(item.textContent).toContain(
        'Lease 1: cancelled; its reward was credited back to the posting account in the market',
      ),
    );
    expect(within(item).queryByRole('button', { name: 'Cancel open leases…' })).toBeNull();
  });

  it('asks for the password in the question when the wallet is locked, and cancels with it', async () => {
    const { sent } = mount((method, params) => {
      if (method === 'market.postedJobs') return ok(realMoney({ jobs: [job()] }));
      if (method === 'market.cancelPostedJob')
        return (params as { password?: string }).password === undefined
          ? refused('WALLET_LOCKED', 'The wallet is locked.')
          : ok({
              jobId: '7',
              cancelled: [1],
              refund: { amount: '5', symbol: 'USDC' },
              txHash: '0x' + '4'.repeat(64),
            });
      return unavailable();
    });
    const item = await screen.findByTestId('posted-job-7');
    fireEvent.click(within(item).getByRole('button', { name: 'Cancel open leases…' }));
    fireEvent.click(within(item).getByRole('button', { name: 'Cancel open leases' }));
    const question = within(item).getByRole('group', { name: 'Cancel the open leases of job 7' });
    const password = await within(question).findByLabelText(
      'Wallet password (for this cancellation only)',
    );
    fireEvent.change(password, { target: { value: 'lab password' } });
    fireEvent.click(within(question).getByRole('button', { name: 'Cancel open leases' }));
    expect((await screen.findByRole('status')).textContent).toMatch(/^Cancelled lease 1 of job 7/);
    expect(sent('market.cancelPostedJob')).toEqual([
      { jobId: '7' },
      { jobId: '7', password: 'lab password' },
    ]);
  });

  it('reads the list again when the agent says a posted job moved on', async () => {
    let state: 'open' | 'claimed' = 'open';
    const { sent, emit } = mount((method) =>
      method === 'market.postedJobs'
        ? ok(
            listing({
              jobs: [
                job({
                  redundancy: 1,
                  leases: [
                    state === 'open'
                      ? { slot: 0, state: 'open', provider: null }
                      : { slot: 0, state: 'claimed', provider: PROVIDER, leaseEndsAt: ENDS },
                  ],
                }),
              ],
            }),
          )
        : unavailable(),
    );
    const item = await screen.findByTestId('posted-job-7');
    expect(item.textContent).toContain('Lease 0: open');
    state = 'claimed';
    emit({
      event: 'market.postedJob',
      payload: {
        jobId: '7',
        kind: 'claimed',
        slot: 0,
        text: `Job 7, lease 0: claimed by ${PROVIDER}.`,
        at: '2026-11-20T11:00:00.000Z',
      },
    } as AgentEvent);
    await waitFor(() => expect(item.textContent).toContain(`Lease 0: claimed by ${PROVIDER}`));
    expect(sent('market.postedJobs')).toHaveLength(2);
  });
});

describe('PostedJobsWaiting: the Dashboard line', () => {
  function mountLine(jobs: () => PostedJob[]) {
    const { client, emit } = fakeAgentClient((method) =>
      method === 'market.postedJobs' ? ok(listing({ jobs: jobs() })) : unavailable(),
    );
    render(
      <AgentProvider client={client}>
        <PostedJobsWaiting />
      </AgentProvider>,
    );
    return emit;
  }

  it('says which posted job is not watched and why, and leads to the Jobs page', async () => {
    mountLine(() => [
      job({ jobId: '9', watch: 'stopped', watchProblem: 'The wallet is locked: unlock it.' }),
      job({ jobId: '8', watch: 'watching' }),
    ]);
    const line = await screen.findByTestId('posted-jobs-waiting');
    expect(line.textContent).toBe(
      'Job 9 you posted is not watched: Roost is not checking its results (The wallet is locked: unlock it). Watch again on the Jobs page',
    );
    expect(within(line).getByRole('link').getAttribute('href')).toBe('#/jobs');
  });

  it('says nothing while every posted job is watched or done, and reads again when one moves on', async () => {
    let jobs = [job({ watch: 'watching' }), job({ jobId: '3', watch: 'done' })];
    const emit = mountLine(() => jobs);
    await waitFor(() => expect(screen.queryByTestId('posted-jobs-waiting')).toBeNull());
    jobs = [job({ watch: 'stopped', watchProblem: null }), job({ jobId: '3', watch: 'stopped' })];
    emit({
      event: 'market.postedJob',
      payload: { jobId: '7', kind: 'stopped', text: 'stopped', at: ENDS },
    });
    expect((await screen.findByTestId('posted-jobs-waiting')).textContent).toContain(
      '2 jobs you posted are not watched: Roost is not checking their results.',
    );
  });
});
