/**
 * Drives each lease through its steps (one run at a time per lease), each step a state in the
 * journal: decide (claim or skip, and why), claim, run the job in the sandboxed worker as a local
 * job (cancelled before its lease ends), upload the outputs to the requester, submit the result
 * hash, finalize after the challenge window, and withdraw above the user's threshold. Every
 * transaction goes through the transaction manager under a key, so a step done again after a
 * restart sends nothing twice.
 */
import { z } from 'zod';
import { getAddress, parseUnits } from 'ethers';
import {
  connectJobMarket,
  jobMarketInterface,
  leaseStateNames,
  parseJobMarketLog,
} from '../../contracts/bindings/job-market.ts';
import { executionProviderName } from '../hardware/schema.ts';
import { canonicalJson } from '../jobs/util.ts';
import { decide, type Decision } from './decide.ts';
import { messageOf, tokens } from './format.ts';
import { ACTIVE_LEASE_STATES, HELD_LEASE_STATES } from './schema.ts';
import type { LeaseRecord, MarketJob } from './schema.ts';
import type { MarketLog, MarketServiceOptions } from './service-options.ts';
import { claimedLine, signingProblem, type LeaseRecorder, type Session } from './session.ts';
import { TransferError, fetchMarketJob, uploadResult } from './transfer.ts';
import { TxRevertError, type TxRecord } from './tx-manager.ts';

const LOST_ERRORS = new Set([
  'NoOpenLease',
  'AlreadyLeased',
  'ClaimWindowClosed',
  'UnknownJob',
  'WrongLeaseState',
]);

export interface LeaseDriverOptions {
  options: Pick<
    MarketServiceOptions,
    'jobs' | 'settings' | 'policy' | 'maxVramMiB' | 'wallet' | 'fetch' | 'capacity'
  >;
  log: MarketLog;
  now: () => Date;
  recorder: LeaseRecorder;
  /** Whether work for `s` goes on: it is still the session, and the service runs. */
  current(s: Session): boolean;
  /** Whether the provider is registered (one of the facts behind a skip). */
  registered(): boolean;
}

export interface LeaseDriver {
  /** Drives the lease now, or once more after the run under way. */
  schedule(s: Session, jobId: string): void;
  /** Resolves when no lease is being driven. */
  settled(): Promise<void>;
}

export function createLeaseDriver(deps: LeaseDriverOptions): LeaseDriver {
  const { options, log, now, recorder } = deps;
  const driving = new Map<string, { again: boolean; done: Promise<void> }>();

  function schedule(s: Session, jobId: string): void {
    const running = driving.get(jobId);
    if (running) {
      running.again = true;
      return;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          if (!deps.current(s)) return;
          await drive(s, jobId);
        } while (entry.again);
      } catch (error) {
        log.warn(`market job ${jobId}: ${messageOf(error)} (will try again)`);
      } finally {
        driving.delete(jobId);
      }
    })();
    driving.set(jobId, entry);
  }

  async function document(s: Session, lease: LeaseRecord): Promise<MarketJob> {
    const known = s.docs.get(lease.jobId);
    if (known) return known;
    const doc = await fetchMarketJob(lease.specUri, lease.specHash, {
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    s.docs.set(lease.jobId, doc);
    return doc;
  }

  /** The market's time for the arbiter to rule on a dispute, in seconds: read once a session. */
  const arbitrationTimeouts = new WeakMap<Session, Promise<number>>();
  function arbitrationTimeout(s: Session): Promise<number> {
    let known = arbitrationTimeouts.get(s);
    if (!known) {
      known = connectJobMarket(s.net.marketAddress, s.net.provider)
        .arbitrationTimeout()
        // A uint32 of seconds, as the market stores it; anything else is not this market.
        .then((raw) => Number(z.bigint().min(0n).max(0xffffffffn).parse(raw)));
      // A failed read is not remembered: the node may answer next time.
      known.catch(() => arbitrationTimeouts.delete(s));
      arbitrationTimeouts.set(s, known);
    }
    return known;
  }

  async function chainNow(s: Session): Promise<number> {
    const block = await s.net.provider.getBlock('latest');
    return Math.max(block?.timestamp ?? 0, Math.floor(now().getTime() / 1000));
  }

  async function decideOn(s: Session, lease: LeaseRecord): Promise<Decision> {
    const market = connectJobMarket(s.net.marketAddress, s.net.provider);
    const [provider, free, policy, vram, clock] = await Promise.all([
      market.getProvider(s.address),
      market.freeStake(s.address),
      options.policy(),
      options.maxVramMiB(),
      chainNow(s),
    ]);
    let doc: MarketJob | undefined;
    try {
      doc = await document(s, lease);
    } catch (error) {
      const retry = error instanceof TransferError ? error.retryable : true;
      return { take: false, reason: messageOf(error), transient: retry, retryLater: retry };
    }
    const active = s.leases
      .list({ states: ACTIVE_LEASE_STATES })
      .filter((l) => l.jobId !== lease.jobId).length;
    return decide({
      enabled: options.settings().market.enabled,
      ownJob: getAddress(lease.requester) === s.address,
      signing: await signingProblem(options.wallet),
      registered: provider.registeredAt !== 0n,
      score: provider.score,
      pricePerUnitHour: provider.pricePerUnitHour,
      freeStake: free,
      policy,
      active,
      capacity:
        typeof options.capacity === 'function'
          ? Math.max(1, await options.capacity(doc.job.executionProviders ?? ['cpu']))
          : (options.capacity ?? 1),
      maxVramMiB: vram,
      now: clock,
      token: s.meta,
      job: {
        reward: BigInt(lease.reward),
        collateral: BigInt(lease.collateral),
        minScore: BigInt(lease.minScore),
        leaseSeconds: lease.leaseSeconds,
        deadline: lease.deadline,
        minVramMiB: doc.requirements?.minVramMiB,
      },
    });
  }

  async function claim(s: Session, lease: LeaseRecord): Promise<void> {
    let record: TxRecord;
    try {
      record = await s.tx.execute({
        key: `claim:${lease.jobId}`,
        to: s.net.marketAddress,
        data: jobMarketInterface.encodeFunctionData('claimJob', [BigInt(lease.jobId)]),
        label: `claim job ${lease.jobId}`,
      });
    } catch (error) {
      if (error instanceof TxRevertError) {
        const lost = error.errorName !== null && LOST_ERRORS.has(error.errorName);
        recorder.move(
          s,
          lease.jobId,
          ['claiming'],
          lost ? 'lost' : 'skipped',
          { reason: error.reason },
          `the claim was refused: ${error.reason}`,
        );
        return;
      }
      throw error;
    }
    if (record.state !== 'mined') {
      recorder.move(
        s,
        lease.jobId,
        ['claiming'],
        'lost',
        { reason: record.error ?? 'the claim failed' },
        // The transaction's error is a sentence of its own ("It failed on the chain: …").
        record.error ? `the claim did not go in. ${record.error}` : `the claim ${record.state}`,
      );
      return;
    }
    const receipt = await s.net.provider.getTransactionReceipt(record.hash);
    for (const raw of receipt?.logs ?? []) {
      const parsed = parseJobMarketLog(raw);
      if (
        parsed?.name === 'LeaseClaimed' &&
        String(parsed.args.provider).toLowerCase() === s.address.toLowerCase()
      ) {
        recorder.move(
          s,
          lease.jobId,
          ['claiming', 'seen', 'skipped'],
          'claimed',
          {
            slot: Number(parsed.args.slot),
            leaseEndsAt: Number(parsed.args.leaseEndsAt),
            reason: null,
          },
          claimedLine(Number(parsed.args.slot)),
        );
      }
    }
  }

  async function localJobFor(s: Session, lease: LeaseRecord, doc: MarketJob): Promise<string> {
    const jobs = await options.jobs();
    // After a crash between queueing and recording it: adopt the job already queued.
    const wanted = canonicalJson(doc.job);
    for (const j of jobs.list({ limit: 200 })) {
      if (j.origin !== 'market' || j.createdAt < lease.updatedAt) continue;
      if (j.state === 'failed' || j.state === 'cancelled') continue;
      const detail = jobs.show(j.id);
      if (detail.ok && canonicalJson(detail.value.spec) === wanted) return j.id;
    }
    const submitted = await jobs.submit(doc.job, {
      origin: 'market',
      // The Jobs page's queue says which market job it ran.
      name: `market job ${lease.jobId}`,
    });
    if (!submitted.ok) throw new TransferError(submitted.error.message, false);
    return submitted.value.id;
  }

  function watchLocalJob(s: Session, lease: LeaseRecord): void {
    if (lease.localJobId === null || s.waiting.has(lease.jobId)) return;
    s.waiting.add(lease.jobId);
    const localId = lease.localJobId;
    const abort = new AbortController();
    const endsAt = (lease.leaseEndsAt ?? 0) * 1000;
    // A job that cannot finish inside its lease is stopped, so the worker is free again.
    const watchdog = setTimeout(
      () => {
        void options.jobs().then((jobs) => jobs.cancel(localId));
      },
      Math.max(0, endsAt - now().getTime() - 5_000),
    );
    void (async () => {
      try {
        const jobs = await options.jobs();
        const done = await jobs.wait(localId, abort.signal);
        if (!done.ok) throw new Error(done.error.message);
        const detail = done.value;
        if (detail.state === 'done') {
          recorder.move(
            s,
            lease.jobId,
            ['running'],
            'uploading',
            {},
            `ran on ${
              detail.result
                ? executionProviderName(detail.result.receipt.executionProvider)
                : 'the worker'
            }`,
          );
        } else {
          const why =
            detail.state === 'cancelled' && now().getTime() >= endsAt - 5_000
              ? 'the lease ran out before the job finished'
              : `the job ${detail.state}: ${detail.error?.message ?? 'no reason given'}`;
          recorder.move(
            s,
            lease.jobId,
            ['running'],
            'failed',
            { reason: why },
            `${why}; the lease will expire and its collateral goes to the requester`,
          );
        }
      } finally {
        clearTimeout(watchdog);
        s.waiting.delete(lease.jobId);
        schedule(s, lease.jobId);
      }
    })().catch((error: unknown) => log.warn(`market job ${lease.jobId}: ${messageOf(error)}`));
  }

  async function drive(s: Session, jobId: string): Promise<void> {
    const lease = s.leases.get(jobId);
    if (!lease) return;
    switch (lease.state) {
      case 'seen':
      case 'skipped': {
        if (lease.state === 'skipped') {
          const facts = JSON.stringify([
            deps.registered(),
            options.settings(),
            await options.policy(),
            s.leases.list({ states: ACTIVE_LEASE_STATES }).length,
            // Collateral comes free when a held lease settles (free stake is read from the chain).
            s.leases.list({ states: HELD_LEASE_STATES }).length,
            (await options.wallet.status()).workSigning,
          ]);
          const retry = s.retries.get(jobId);
          const due = retry !== undefined && now().getTime() >= retry.at;
          if (s.lastFacts.get(jobId) === facts && !due) return;
          s.lastFacts.set(jobId, facts);
        }
        const decision = await decideOn(s, lease);
        // Every other reason goes away with a fact above (a stake or a lease settling moves the
        // leases held): only an unreachable requester is tried again on a clock.
        if (decision.take || decision.retryLater !== true) s.retries.delete(jobId);
        else {
          const before = s.retries.get(jobId)?.delayMs;
          const delayMs = before === undefined ? 5_000 : Math.min(60_000, before * 2);
          s.retries.set(jobId, { at: now().getTime() + delayMs, delayMs });
        }
        if (!decision.take) {
          if (lease.state === 'seen' || lease.reason !== decision.reason) {
            recorder.move(
              s,
              jobId,
              [lease.state],
              'skipped',
              { reason: decision.reason },
              `skipped: ${decision.reason}`,
            );
          }
          return;
        }
        const claiming = recorder.move(
          s,
          jobId,
          ['seen', 'skipped'],
          'claiming',
          { reason: decision.reason },
          `claiming: ${decision.reason}`,
        );
        if (claiming) await claim(s, claiming);
        return;
      }
      case 'claiming':
        await claim(s, lease);
        return;
      case 'claimed': {
        const doc = await document(s, lease);
        const localJobId = await localJobFor(s, lease, doc);
        const running = recorder.move(
          s,
          jobId,
          ['claimed'],
          'running',
          { localJobId },
          `running as local job ${localJobId}`,
        );
        if (running) watchLocalJob(s, running);
        return;
      }
      case 'running':
        watchLocalJob(s, lease);
        return;
      case 'uploading': {
        if (lease.localJobId === null || lease.slot === null) return;
        const doc = await document(s, lease);
        const detail = (await options.jobs()).show(lease.localJobId);
        if (!detail.ok) throw new Error(detail.error.message);
        try {
          const uploaded = await uploadResult({
            document: doc,
            slot: lease.slot,
            provider: s.address,
            jobDir: detail.value.jobDir,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          });
          recorder.move(
            s,
            jobId,
            ['uploading'],
            'submitting',
            { resultHash: uploaded.resultHash, resultUri: uploaded.resultUri },
            `outputs uploaded to ${uploaded.resultUri}`,
          );
        } catch (error) {
          if (error instanceof TransferError && !error.retryable) {
            recorder.move(
              s,
              jobId,
              ['uploading'],
              'failed',
              { reason: error.message },
              `${error.message}; the lease will expire`,
            );
            return;
          }
          throw error;
        }
        schedule(s, jobId);
        return;
      }
      case 'submitting': {
        if (lease.slot === null || lease.resultHash === null || lease.resultUri === null) return;
        // The claim must be on the chain before the result: after a reorganisation it may be
        // on its way back (wait() sends it again if no one has yet).
        const claimKey = `claim:${jobId}`;
        const submitKey = `submit:${jobId}:${lease.slot}`;
        const claimed =
          s.tx.get(claimKey) && s.tx.get(submitKey)?.state !== 'mined'
            ? await s.tx.wait(claimKey)
            : undefined;
        let record: TxRecord;
        try {
          record = await s.tx.execute({
            key: submitKey,
            to: s.net.marketAddress,
            data: jobMarketInterface.encodeFunctionData('submitResult', [
              BigInt(jobId),
              lease.slot,
              lease.resultHash,
              lease.resultUri,
            ]),
            label: `submit the result of job ${jobId}`,
          });
        } catch (error) {
          if (error instanceof TxRevertError) {
            // A reorganisation that took the claim away just after it was looked at refuses the
            // result too: once the claim is back (in another block), the result goes in again.
            if (claimed && (await s.tx.wait(claimKey)).blockHash !== claimed.blockHash) {
              schedule(s, jobId);
              return;
            }
            recorder.move(
              s,
              jobId,
              ['submitting'],
              'failed',
              { reason: error.reason },
              `the result was refused: ${error.reason}`,
            );
            return;
          }
          throw error;
        }
        if (record.state === 'mined') {
          const market = connectJobMarket(s.net.marketAddress, s.net.provider);
          const onChain = await market.getLease(BigInt(jobId), lease.slot);
          recorder.move(
            s,
            jobId,
            ['submitting'],
            'submitted',
            { challengeEndsAt: Number(onChain.challengeEndsAt) },
            'result submitted; the requester may check it until the challenge window closes',
          );
        } else if (record.state === 'reverted') {
          // Mined but refused (the lease ran out on the way, say): said, not left submitting.
          recorder.move(
            s,
            jobId,
            ['submitting'],
            'failed',
            { reason: record.error ?? 'the result failed on the chain' },
            record.error
              ? `the result did not go in. ${record.error}`
              : 'the result failed on the chain',
          );
        }
        return;
      }
      case 'submitted': {
        if (lease.slot === null || lease.challengeEndsAt === null) return;
        if ((await chainNow(s)) < lease.challengeEndsAt) return;
        const market = connectJobMarket(s.net.marketAddress, s.net.provider);
        const onChain = await market.getLease(BigInt(jobId), lease.slot);
        if (leaseStateNames[Number(onChain.state)] !== 'Submitted') return;
        try {
          await s.tx.execute({
            key: `finalize:${jobId}:${lease.slot}`,
            to: s.net.marketAddress,
            data: jobMarketInterface.encodeFunctionData('finalizeResult', [
              BigInt(jobId),
              lease.slot,
            ]),
            label: `finalize job ${jobId}`,
          });
        } catch (error) {
          if (!(error instanceof TxRevertError)) throw error;
          log.info(`market job ${jobId}: not final yet (${error.reason})`);
        }
        return;
      }
      case 'disputed': {
        // Nobody ruled: once the arbiter's time is up anyone may void the dispute, which
        // unlocks this provider's collateral (and refunds the requester). On a lab's own market
        // the lab's wallet is the arbiter and can't rule on the jobs it posted, so this is how
        // such a dispute ends.
        if (lease.slot === null || lease.challengeEndsAt === null) return;
        const market = connectJobMarket(s.net.marketAddress, s.net.provider);
        const timeout = await arbitrationTimeout(s);
        if ((await chainNow(s)) < lease.challengeEndsAt + timeout) return;
        const onChain = await market.getLease(BigInt(jobId), lease.slot);
        if (leaseStateNames[Number(onChain.state)] !== 'Disputed') return;
        try {
          await s.tx.execute({
            key: `void:${jobId}:${lease.slot}`,
            to: s.net.marketAddress,
            data: jobMarketInterface.encodeFunctionData('voidStaleDispute', [
              BigInt(jobId),
              lease.slot,
            ]),
            label: `end the dispute of job ${jobId}, which nobody ruled on in time`,
          });
        } catch (error) {
          if (!(error instanceof TxRevertError)) throw error;
          log.info(`market job ${jobId}: the dispute can't be ended yet (${error.reason})`);
        }
        return;
      }
      case 'paid':
        await autoWithdraw(s, lease);
        return;
      default:
        return;
    }
  }

  async function autoWithdraw(s: Session, lease: LeaseRecord): Promise<void> {
    const threshold = options.settings().market.autoWithdrawAbove;
    if (threshold === null) return;
    const key = `withdraw:after:${lease.jobId}`;
    if (s.tx.get(key)) return;
    const market = connectJobMarket(s.net.marketAddress, s.net.provider);
    const available = await market.withdrawable(s.address);
    const limit = parseUnits(threshold.toFixed(s.meta.decimals), s.meta.decimals);
    if (available === 0n || available < limit) return;
    const record = await s.tx.execute({
      key,
      to: s.net.marketAddress,
      data: jobMarketInterface.encodeFunctionData('withdraw', [available]),
      label: `withdraw ${tokens(available, s.meta)}`,
    });
    if (record.state === 'mined')
      log.info(
        `market: withdrew ${tokens(available, s.meta)} to the wallet (above your ${threshold} threshold)`,
      );
  }

  return {
    schedule,
    async settled() {
      await Promise.all([...driving.values()].map((d) => d.done.catch(() => undefined)));
    },
  };
}
