/**
 * Jobs posted from the app (the Jobs page, `market.postJob`): the requester of requester.ts living
 * in the agent. A post checks the files, escrows the price and serves the files here; the agent
 * then watches the job (its leases, results, verdicts) in the background and says so with
 * `market.postedJob` events, as `roost market post-job` does in a terminal. Every post goes into
 * the same journal as the CLI's, so `roost market requests` and the Jobs page list the same jobs,
 * and a job the agent stopped watching (a restart, a failed transaction) is picked up again by
 * `watch` or, in a long-lived agent, by itself when it starts and when the wallet unlocks.
 *
 * Who pays: on the local devnet its first unlocked test account (the CLI's default); on a custom
 * network this data folder's wallet, with its password for that action when the wallet is locked
 * (WalletService.userKey). The key stays in this process, held by the job's requester while it is
 * watched. The same wallet may take market jobs meanwhile: every transaction takes its nonce in
 * the address's send lane (send-lanes.ts), and the market client leaves its own jobs alone.
 */
import { JsonRpcProvider, getAddress } from 'ethers';
import type { Signer } from 'ethers';
import { connectJobMarket } from '../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../contracts/bindings/roost-test-token.ts';
import { basename, resolve, sep } from 'node:path';
import type { DownloadLinks } from '../api/download-links.ts';
import { fileNamePart, previewFile, zipDownload } from '../api/file-answers.ts';
import { ApiFailure } from '../api/errors.ts';
import type { Download, OutputPreview } from '../jobs/schema.ts';
import { formatUnitsExact, parseAmount } from '../wallet/amount.ts';
import { chainFailure } from '../wallet/chain.ts';
import type { NetworkSource, WalletNetwork } from '../wallet/network.ts';
import type { NetworkTokens } from '../wallet/schema.ts';
import { isTestNetwork } from '../wallet/network.ts';
import { noLanes, type Lane, type SendLanes } from '../wallet/send-lanes.ts';
import type { WalletService } from '../wallet/service.ts';
import { publicOrigin } from './artifact-server.ts';
import { chainKeyOf } from './chain-key.ts';
import { openRequestJournalIn } from './request-journal.ts';
import { cancelledBy, listPostedJobs, openLeasesOf } from './request-views.ts';
import type { PostedJobsMarket } from './request-views.ts';
import { RequesterError, folderRequester } from './requester.ts';
import type { LeaseOutcome, Requester, RequesterEvent } from './requester.ts';
import { SETTLED_LEASE_VIEW_STATES } from './schema.ts';
import type {
  CancelPostedJobResult,
  PostJobParams,
  PostJobResult,
  PostedJobEvent,
  PostedJobsResult,
} from './schema.ts';

export interface PostedJobsOptions {
  dataDir: string;
  network: NetworkSource;
  wallet: Pick<WalletService, 'userKey' | 'status'>;
  /** The user's word on the chain's tokens. */
  settings: () => { tokens: NetworkTokens };
  /**
   * The agent's send lanes: a custom network's wallet may be sending for the market client and
   * the Wallet page at the same time (default: none).
   */
  sendLanes?: SendLanes;
  log: { info(m: string): void; warn(m: string): void };
  emit: (event: PostedJobEvent) => void;
  /** How often a watched job's leases are read; default 2000 ms. */
  pollMs?: number;
  now?: () => Date;
  /** The host's download links (roost serve), for results asked for as a link. */
  downloadLinks?: DownloadLinks;
}

export interface PostedJobs {
  /** The newest `limit` jobs (default 20), newest first. */
  list(params?: { limit?: number; jobId?: string }): Promise<PostedJobsResult>;
  post(params: PostJobParams): Promise<PostJobResult>;
  watch(params: { jobId: string; password?: string }): Promise<{ jobId: string; servedAt: string }>;
  cancel(params: { jobId: string; password?: string }): Promise<CancelPostedJobResult>;
  /** The checked results of a job, every lease's, in one zip for saving from the page. */
  results(params: { jobId: string; as?: 'content' | 'link' | undefined }): Promise<Download>;
  /** One checked output of a lease at a glance. */
  outputPreview(params: { jobId: string; slot: number; file: string }): Promise<OutputPreview>;
  /** Watch again every unfinished job this agent can sign for without asking (long-lived hosts). */
  resumeAll(): Promise<void>;
  close(): Promise<void>;
}

/** The market now, as the listing and the requester need it. */
interface HostMarket extends PostedJobsMarket {
  kind: 'local' | 'custom';
  testMoney: boolean;
  tokenAddress: string;
  network: WalletNetwork;
}

interface Watched {
  requester: Requester;
  abort: AbortController;
  servedAt: string;
  done: Promise<void>;
}

const LIST_HINT = 'the Jobs page';
/** The notes on leases left to the watcher: "…; Roost cancels it and refunds the reward". */
const WATCHER = 'Roost, while it watches the job,';

function outcomeWords(jobId: string, outcomes: LeaseOutcome[]): string {
  const accepted = outcomes.filter((o) => o.verdict === 'accepted').length;
  if (accepted === outcomes.length)
    return `Job ${jobId}: every lease was accepted and its provider paid; the results are on the Jobs page.`;
  const parts = outcomes.map(
    (o) => `lease ${o.slot} ${o.verdict}${o.reason ? ` (${o.reason})` : ''}`,
  );
  return `Job ${jobId}: ${parts.join('; ')}.`;
}

export function createPostedJobs(options: PostedJobsOptions): PostedJobs {
  const now = options.now ?? (() => new Date());
  const watched = new Map<string, Watched>();
  /** Why a job is not watched now, in words: shown beside it until it is watched again. */
  const problems = new Map<string, string>();
  let closed = false;
  const tokens = new Map<string, { decimals: number; symbol: string }>();

  const emit = (
    jobId: string,
    kind: PostedJobEvent['kind'],
    text: string,
    extra: Pick<PostedJobEvent, 'slot' | 'allAccepted'> = {},
  ) => {
    try {
      options.emit({ jobId, kind, text, at: now().toISOString(), ...extra });
    } catch (error) {
      options.log.warn(`a posted-job listener failed: ${String(error)}`);
    }
  };

  async function openMarket(): Promise<HostMarket> {
    let network: WalletNetwork;
    try {
      network = await options.network();
    } catch (error) {
      throw new ApiFailure('UNAVAILABLE', (error as Error).message);
    }
    let chainKey: string;
    let token: { decimals: number; symbol: string } | undefined;
    try {
      chainKey = await chainKeyOf(
        network.provider,
        network.chainId,
        network.marketAddress,
        network.deployBlock,
      );
      token = tokens.get(chainKey);
      if (!token) {
        const contract = connectRoostTestToken(network.tokenAddress, network.provider);
        const [decimals, symbol] = await Promise.all([contract.decimals(), contract.symbol()]);
        token = { decimals: Number(decimals), symbol };
        tokens.set(chainKey, token);
      }
    } catch (error) {
      throw new ApiFailure(
        'UNAVAILABLE',
        `The market's chain (${network.rpcUrl ?? 'the local devnet'}) does not answer: ${(error as Error).message}. Check that its node runs, then try again.`,
      );
    }
    const local = network.name === 'local';
    return {
      kind: local ? 'local' : 'custom',
      label: local ? 'the local devnet' : `chain ${network.chainId} (${network.rpcUrl ?? '?'})`,
      testMoney: isTestNetwork({
        name: network.name,
        chainId: network.chainId,
        tokens: options.settings().tokens,
      }),
      chain: network.provider,
      marketAddress: network.marketAddress,
      tokenAddress: network.tokenAddress,
      chainKey,
      decimals: token.decimals,
      symbol: token.symbol,
      network,
    };
  }

  /** The devnet's unlocked test accounts (the local devnet only). */
  async function devnetAccounts(market: HostMarket): Promise<string[]> {
    if (!(market.chain instanceof JsonRpcProvider)) return [];
    try {
      return ((await market.chain.send('eth_accounts', [])) as string[]).map((a) => getAddress(a));
    } catch {
      return [];
    }
  }

  /**
   * Who signs for `who` (the account that posted a job; undefined: whoever posts a new one).
   * The local devnet: its unlocked account. A custom network: this data folder's wallet, unlocked
   * or opened with `password` (WALLET_LOCKED / WALLET_WRONG_PASSWORD otherwise).
   */
  async function signerFor(
    market: HostMarket,
    who: string | undefined,
    password: string | undefined,
    what: string,
  ): Promise<Signer> {
    if (market.kind === 'local') {
      const accounts = await devnetAccounts(market);
      const account = who === undefined ? accounts[0] : accounts.find((a) => a === getAddress(who));
      if (account === undefined)
        throw new ApiFailure(
          'FORBIDDEN',
          who === undefined
            ? 'The local devnet has no unlocked test account to pay with. Is it the devnet Roost started? Restart Roost, then try again.'
            : `${who} posted this job and is not one of the local devnet's unlocked accounts, so Roost cannot sign for it.`,
        );
      return (market.chain as JsonRpcProvider).getSigner(account);
    }
    const key = await options.wallet.userKey(password, what);
    if (who !== undefined && getAddress(who) !== getAddress(key.address))
      throw new ApiFailure(
        'FORBIDDEN',
        `${who} posted this job, not this data folder's wallet (${key.address}): only its own wallet can accept, dispute or cancel it.`,
      );
    return key.connect(market.chain);
  }

  /**
   * A job posted from this folder and its verdicts, each with only the files the requester
   * checked into the job's own results folder.
   */
  async function checkedResults(jobId: string) {
    const market = await openMarket();
    const { db, journal } = openRequestJournalIn(options.dataDir);
    let request;
    let verdicts;
    try {
      request = journal.byJob(market.chainKey, BigInt(jobId));
      verdicts = request ? journal.verdicts(market.chainKey, BigInt(jobId)) : [];
    } finally {
      db.close();
    }
    if (!request)
      throw new ApiFailure(
        'NOT_FOUND',
        `Job ${jobId} was not posted from this data folder on ${market.label}. ${LIST_HINT} lists the ones that were.`,
      );
    const resultsDir = resolve(request.dir, 'results');
    return {
      request,
      verdicts: verdicts.map((v) => ({
        ...v,
        outputs: v.outputs.filter((file) => resolve(file).startsWith(resultsDir + sep)),
      })),
    };
  }

  /** The signer's send lane on the market's chain. */
  function laneFor(market: HostMarket, signer: Signer): Lane {
    const lanes = options.sendLanes ?? noLanes;
    const { chainId, rpcUrl } = market.network;
    return (work) =>
      signer.getAddress().then((address) => lanes({ chainId, rpcUrl, address }, work));
  }

  function requesterOf(
    market: HostMarket,
    signer: Signer,
    serve?: { port?: number; publicUrl?: string },
  ) {
    return folderRequester(options.dataDir, market, {
      signer,
      pollMs: options.pollMs ?? 2000,
      onEvent: (event) => onRequesterEvent(event),
      lane: laneFor(market, signer),
      ...(serve ? { serve } : {}),
    });
  }

  function onRequesterEvent(event: RequesterEvent): void {
    if (event.type === 'warning') {
      options.log.warn(`posted job: ${event.message}`);
      return;
    }
    const id = event.jobId.toString();
    switch (event.type) {
      case 'posted':
        emit(id, 'posted', `Job ${id} is posted; its files are served at ${event.specURI}.`);
        break;
      case 'claimed':
        emit(id, 'claimed', `Job ${id}, lease ${event.slot}: claimed by ${event.provider}.`, {
          slot: event.slot,
        });
        break;
      case 'expired':
        emit(
          id,
          'expired',
          `Job ${id}, lease ${event.slot}: ${event.provider} ran out of time; the lease is open again and its collateral is yours.`,
          { slot: event.slot },
        );
        break;
      case 'result':
        emit(
          id,
          'result',
          `Job ${id}, lease ${event.slot}: a result came in from ${event.provider}; checking it.`,
          { slot: event.slot },
        );
        break;
      case 'verdict': {
        const o = event.outcome;
        emit(
          id,
          'verdict',
          `Job ${id}, lease ${o.slot}: ${o.verdict}${o.provider ? ` (${o.provider})` : ''}${o.reason ? `: ${o.reason}` : ''}.`,
          { slot: o.slot },
        );
        break;
      }
    }
  }

  /** Follows a posted job in the background until every lease is settled or it is stopped. */
  function follow(jobId: bigint, requester: Requester, servedAt: string): void {
    const id = jobId.toString();
    const abort = new AbortController();
    problems.delete(id);
    const done = requester
      .await(jobId, { signal: abort.signal })
      .then(
        (outcomes) => {
          if (abort.signal.aborted) return;
          options.log.info(outcomeWords(id, outcomes));
          emit(id, 'finished', outcomeWords(id, outcomes), {
            allAccepted: outcomes.every((o) => o.verdict === 'accepted'),
          });
        },
        (error: unknown) => {
          if (abort.signal.aborted) return;
          const why = (error as Error).message.replace(/\.$/, '');
          const text = `Roost stopped watching job ${id}: ${why}`;
          problems.set(id, why);
          options.log.warn(text);
          emit(id, 'stopped', `${text}. Watch it again from the Jobs page.`);
        },
      )
      .finally(async () => {
        watched.delete(id);
        await requester.close().catch(() => undefined);
      });
    watched.set(id, { requester, abort, servedAt, done });
  }

  function refusal(error: unknown): never {
    if (error instanceof RequesterError) throw new ApiFailure('JOB_REFUSED', error.message);
    throw error;
  }

  const host: PostedJobs = {
    async list(params = {}) {
      const market = await openMarket();
      const { db, journal } = openRequestJournalIn(options.dataDir);
      let listed: Awaited<ReturnType<typeof listPostedJobs>>;
      try {
        listed = await listPostedJobs(market, journal, WATCHER, {
          newest: params.limit ?? 20,
          ...(params.jobId !== undefined ? { jobId: BigInt(params.jobId) } : {}),
        });
      } catch (error) {
        throw new ApiFailure(
          'UNAVAILABLE',
          `The posted jobs could not be read from ${market.label}: ${(error as Error).message}`,
        );
      } finally {
        db.close();
      }
      let payer: PostedJobsResult['payer'] = null;
      if (market.kind === 'local') {
        const first = (await devnetAccounts(market))[0];
        if (first) payer = { address: first, kind: 'devnet-account' };
      } else {
        const status = await options.wallet.status();
        if (status.address) payer = { address: getAddress(status.address), kind: 'wallet' };
      }
      return {
        network: {
          label: market.label,
          kind: market.kind,
          marketAddress: getAddress(market.marketAddress),
          testMoney: market.testMoney,
          symbol: market.symbol,
          decimals: market.decimals,
        },
        payer,
        postProblem:
          payer === null
            ? market.kind === 'local'
              ? 'The local devnet has no unlocked test account to pay with.'
              : "On this network jobs are paid from this data folder's wallet, and it has none. Create or import one on the Wallet page first."
            : null,
        jobs: listed.jobs.map((job) => {
          const settled =
            job.state === 'not-posted' ||
            job.leases.every((l) => SETTLED_LEASE_VIEW_STATES.includes(l.state));
          const id = job.jobId ?? '';
          return {
            ...job,
            watch: watched.has(id) ? 'watching' : settled ? 'done' : 'stopped',
            watchProblem: watched.has(id) ? null : (problems.get(id) ?? null),
          };
        }),
        older: listed.older,
        otherChains: listed.otherChains,
      };
    },

    async post(params) {
      if (closed) throw new ApiFailure('UNAVAILABLE', 'Roost is stopping.');
      let publicUrl: string | undefined;
      if (params.publicUrl !== undefined) {
        try {
          publicUrl = publicOrigin(params.publicUrl).origin;
        } catch (error) {
          throw new ApiFailure('INVALID_PARAMS', `publicUrl: ${(error as Error).message}.`);
        }
        if (params.port === undefined)
          throw new ApiFailure(
            'INVALID_PARAMS',
            'A public URL needs a port: the tunnel or proxy behind that URL forwards to one fixed port on 127.0.0.1.',
          );
      }
      const market = await openMarket();
      let reward: bigint;
      try {
        reward = parseAmount(params.price, market.decimals, market.symbol);
      } catch (error) {
        throw new ApiFailure('INVALID_PARAMS', `price: ${(error as Error).message}`);
      }
      if (reward <= 0n)
        throw new ApiFailure(
          'INVALID_PARAMS',
          `price: a lease must pay more than 0 ${market.symbol}.`,
        );
      const signer = await signerFor(market, undefined, params.password, 'post a job');
      const requester = requesterOf(market, signer, {
        ...(params.port !== undefined ? { port: params.port } : {}),
        ...(publicUrl !== undefined ? { publicUrl } : {}),
      });
      let posted;
      try {
        posted = await requester.post({
          model: params.model,
          inputs: params.inputs,
          reward,
          redundancy: params.redundancy,
          canary: params.canary,
          ...(params.outputs ? { outputs: params.outputs } : {}),
          ...(params.leaseSeconds !== undefined ? { leaseSeconds: params.leaseSeconds } : {}),
          ...(params.deadlineSeconds !== undefined
            ? { deadlineSeconds: params.deadlineSeconds }
            : {}),
          ...(params.minScore !== undefined ? { minScore: params.minScore } : {}),
          ...(params.executionProviders ? { executionProviders: params.executionProviders } : {}),
          ...(params.name ? { name: params.name } : {}),
        });
      } catch (error) {
        await requester.close().catch(() => undefined);
        refusal(error);
      }
      const servedAt = posted.document.upload.url.replace(/\/uploads$/, '');
      const from = getAddress(await signer.getAddress());
      options.log.info(
        `posted job ${posted.jobId} from ${from}: ${formatUnitsExact(reward, market.decimals)} ${market.symbol} per lease × ${params.redundancy}; files served at ${servedAt}`,
      );
      // Stopping meanwhile: the job is posted and journaled; the next start watches it again.
      if (closed) await requester.close().catch(() => undefined);
      else follow(posted.jobId, requester, servedAt);
      return {
        jobId: posted.jobId.toString(),
        txHash: posted.txHash,
        specURI: posted.specURI,
        servedAt,
        requester: from,
        price: { amount: formatUnitsExact(reward, market.decimals), symbol: market.symbol },
        redundancy: params.redundancy,
      };
    },

    async watch({ jobId, password }) {
      const already = watched.get(jobId);
      if (already) return { jobId, servedAt: already.servedAt };
      const market = await openMarket();
      const { db, journal } = openRequestJournalIn(options.dataDir);
      let request;
      try {
        request = journal.byJob(market.chainKey, BigInt(jobId));
      } finally {
        db.close();
      }
      if (!request)
        throw new ApiFailure(
          'NOT_FOUND',
          `Job ${jobId} was not posted from this data folder on ${market.label}, so its files are not here to serve. ${LIST_HINT} lists the ones that were.`,
        );
      const signer = await signerFor(market, request.requester, password, 'watch a posted job');
      const requester = requesterOf(market, signer);
      let posted;
      try {
        posted = await requester.resume(BigInt(jobId));
      } catch (error) {
        await requester.close().catch(() => undefined);
        refusal(error);
      }
      if (closed) {
        await requester.close().catch(() => undefined);
        throw new ApiFailure('UNAVAILABLE', 'Roost is stopping.');
      }
      // Another watch may have started while this one resumed: keep the first.
      const raced = watched.get(jobId);
      if (raced) {
        await requester.close().catch(() => undefined);
        return { jobId, servedAt: raced.servedAt };
      }
      const servedAt = posted.document.upload.url.replace(/\/uploads$/, '');
      options.log.info(`watching posted job ${jobId} again; its files are served at ${servedAt}`);
      follow(BigInt(jobId), requester, servedAt);
      return { jobId, servedAt };
    },

    async results({ jobId, as }) {
      const { request, verdicts } = await checkedResults(jobId);
      const entries = verdicts.flatMap((v) =>
        v.outputs.map((file) => ({
          name: `lease-${v.slot}-${v.verdict}/${basename(file)}`,
          path: file,
        })),
      );
      if (entries.length === 0)
        throw new ApiFailure(
          'JOB_STATE',
          `Job ${jobId} has no checked results yet: Roost keeps a provider's files once it has checked them against the lease's result on chain.`,
        );
      const name = fileNamePart(request.record.document.job.name, jobId);
      return zipDownload(
        `roost-posted-job-${jobId}${name === jobId ? '' : `-${name}`}.zip`,
        entries,
        `the job's folder ${request.dir}`,
        undefined,
        { as, links: options.downloadLinks },
      );
    },

    async outputPreview({ jobId, slot, file }) {
      const { request, verdicts } = await checkedResults(jobId);
      const where = `the job's folder ${request.dir}`;
      const path = verdicts
        .find((v) => v.slot === slot)
        ?.outputs.find((f) => basename(f) === file && f.endsWith('.npy'));
      if (path === undefined)
        throw new ApiFailure(
          'NOT_FOUND',
          `Lease ${slot} of job ${jobId} has no checked output "${file.slice(0, 200)}": ${LIST_HINT} lists each lease's outputs once Roost has checked them.`,
        );
      return previewFile(file, path, where);
    },

    async cancel({ jobId, password }) {
      const market = await openMarket();
      const job = await openLeasesOf(market, BigInt(jobId), LIST_HINT).catch((error: unknown) => {
        throw new ApiFailure('NOT_FOUND', (error as Error).message);
      });
      if (job.open.length === 0)
        throw new ApiFailure(
          'JOB_STATE',
          `Job ${jobId} has no open lease to cancel: each was claimed, settled or cancelled already. A claimed lease runs to its end.`,
        );
      const signer = await signerFor(market, job.requester, password, 'cancel a posted job');
      let sent;
      let receipt;
      try {
        sent = await laneFor(
          market,
          signer,
        )(() => connectJobMarket(market.marketAddress, signer).cancelJob(BigInt(jobId)));
        receipt = await sent.wait();
      } catch (error) {
        // In the wallet's words: no coin for the fee, a node that stopped answering, ...
        throw chainFailure(error, market.network);
      }
      if (receipt === null || receipt.status !== 1)
        throw new ApiFailure(
          'UNAVAILABLE',
          `The cancellation (transaction ${sent.hash}) was not mined; the Jobs page shows where each lease stands.`,
        );
      // What the chain did, not what was open when asked: a lease may have been claimed since.
      const { cancelled, refund } = await cancelledBy(market, BigInt(jobId), receipt, job.open);
      const amount = formatUnitsExact(refund, market.decimals);
      options.log.info(
        `cancelled lease ${cancelled.join(' and ')} of posted job ${jobId}: ${amount} ${market.symbol} back in ${job.requester}'s balance in the market`,
      );
      return {
        jobId,
        cancelled,
        refund: { amount, symbol: market.symbol },
        txHash: sent.hash,
      };
    },

    async resumeAll() {
      if (closed) return;
      let listed: PostedJobsResult;
      try {
        listed = await host.list({ limit: 500 });
      } catch (error) {
        options.log.warn(`posted jobs could not be read: ${(error as Error).message}`);
        return;
      }
      for (const job of listed.jobs) {
        if (closed || job.watch !== 'stopped' || job.jobId === null) continue;
        const id = job.jobId;
        await host.watch({ jobId: id }).catch((error: unknown) => {
          const why = (error as Error).message.replace(/\.$/, '');
          // Said once per reason: its results wait unchecked until someone acts.
          if (problems.get(id) === why) return;
          problems.set(id, why);
          options.log.warn(`posted job ${id} is not watched: ${why}`);
          emit(
            id,
            'stopped',
            `Roost is not watching job ${id} you posted: ${why}. Watch it again from the Jobs page.`,
          );
        });
      }
    },

    async close() {
      closed = true;
      const all = [...watched.values()];
      for (const w of all) w.abort.abort();
      await Promise.all(all.map((w) => w.done));
    },
  };
  return host;
}
