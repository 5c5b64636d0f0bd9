/**
 * The worker path's cost, measured in one run: throughput of a batch job through the whole
 * job path (service → sandboxed worker: read .npy, run, write .npy, report; the agent records
 * each set) divided by raw onnxruntime-node in this process on the same model, inputs and
 * provider. Not a test: it prints figures.
 *
 *   node bench/worker.bench.ts [--ep cpu|webgpu] [--sets 150] [--batch 64] [--hidden 4096] [--rounds 5]
 *     [--permission-model on|off] [--bwrap auto|off] [--env scrubbed|inherit] [--waits]
 *     [--dir node_modules/.cache/roost-bench]
 *
 * Each round runs onnxruntime in process, then the job, then in process again, and compares
 * the job with the mean of the two; the figure is the median over rounds, with the spread (this
 * machine is shared, so single numbers wander). Enough sets that the measured stretch lasts a
 * few seconds: over 40 sets (under a second) one time slice lost to another process moved the
 * figure by several percent, and /proc's CPU ticks (10 ms) were too coarse for it.
 *
 * The job service's data folder goes under --dir, not the OS temp folder: the agent keeps jobs
 * in its own data folder, and a temp folder that test suites fill and empty all day can make
 * creating a file cost far more than usual (ext4 without a journal skips every inode freed in
 * the last minute or so: 0.5 ms a file in this machine's /tmp, 0.03 ms in a quiet folder), a
 * cost that belongs to the machine, not to the worker path. Its own files are deleted at the
 * end, so back-to-back runs in one folder see a little of it too.
 *
 * "warm" is the steady state of a batch job (sessions loaded, sets streaming), measured from
 * the arrival of each set's result at the agent; "end to end" adds everything a job pays
 * once: fetching into the cache, model and input checks, starting the sandbox, creating the
 * session, hashing and fsyncing the outputs, signing the receipt.
 */
import type * as OrtModule from 'onnxruntime-node';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { Wallet } from 'ethers';
import { createJobService } from '../agent/jobs/service.ts';
import { createNodeWorkerSpawner } from '../agent/jobs/spawner.ts';
import type { ExecutionProvider } from '../agent/jobs/schema.ts';
import { silentJobLog } from '../agent/jobs/util.ts';
import { encodeNpy } from '../worker/npy.ts';
import { batchOptions, classifierBatch } from './classifier-batch.ts';
import { loadOrt } from '../worker/ort.ts';
import type { Ort } from '../worker/ort.ts';
import { formatUse, threadTimes, usedByName, usedNs } from './thread-cpu.ts';
import type { NamedUse, ThreadTime } from './thread-cpu.ts';
import { formatWaits, processWithThread, sampleWaits } from './thread-waits.ts';
import type { WaitTally } from './thread-waits.ts';

const { values } = parseArgs({
  options: {
    ...batchOptions,
    rounds: { type: 'string', default: '5' },
    /** `off`: the worker without Node's permission model (to see what that layer costs). */
    'permission-model': { type: 'string', default: 'on' },
    /** `off`: the worker without bubblewrap (Linux), to see what that layer costs. */
    bwrap: { type: 'string', default: 'auto' },
    /** `inherit`: the worker gets this process's environment unscrubbed (HOME, caches, ...). */
    env: { type: 'string', default: 'scrubbed' },
    /**
     * Also sample what the main thread is doing (running, or asleep in which call) in process
     * and in the worker, every 200 µs from a thread of this process: a core's worth of reading
     * /proc, so not for the ratio's own rounds on a small machine.
     */
    waits: { type: 'boolean', default: false },
  },
});
const job = classifierBatch(values);
const ep = job.ep as ExecutionProvider;
const SETS = job.sets;
const BATCH = job.batch;
const WIDTH = job.width;
const ROUNDS = Math.max(1, Number(values.rounds));
const WARMUP = job.warmup;

/** Raw onnxruntime in this process: inferences per second (wall) and per CPU second. */
async function inProcess(
  ort: Ort,
  model: Uint8Array,
  inputs: Float32Array[],
): Promise<{
  wall: number;
  cpu: number;
  msPerSet: number;
  cpuMsPerSet: number;
  threads: NamedUse[];
  /** Each measured run's ms, sorted (to compare with the worker's own per-set times). */
  runMs: number[];
  /** With --waits: what the main thread was doing through the measured runs. */
  waits?: WaitTally;
}> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
  });
  const tensors = inputs.map((x) => new ort.Tensor('float32', x, [BATCH, WIDTH]));
  for (let i = 0; i < WARMUP; i++)
    await session.run({ x: tensors[i % tensors.length] as OrtModule.Tensor });
  const threads0 = threadTimes(process.pid);
  const sampler = values.waits ? sampleWaits(process.pid, process.pid) : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const runMs: number[] = [];
  for (let i = WARMUP; i < SETS; i++) {
    const r0 = performance.now();
    const out = await session.run({ x: tensors[i] as OrtModule.Tensor });
    for (const t of Object.values(out)) t.dispose();
    runMs.push(performance.now() - r0);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const threads = usedByName(threads0, threadTimes(process.pid));
  const waits = await sampler?.stop();
  await session.release();
  const n = (SETS - WARMUP) * BATCH;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    wall: n / seconds,
    cpu: n / cpuSeconds,
    msPerSet: (seconds * 1000) / (SETS - WARMUP),
    cpuMsPerSet: (cpuSeconds * 1000) / (SETS - WARMUP),
    threads,
    runMs: runMs.sort((a, b) => a - b),
    ...(waits ? { waits } : {}),
  };
}

/**
 * What creating a file costs in `dir` right now, in ms: the worker path creates a folder and a
 * file a set, so a slow folder shows in its figure (see the top of this file). The files stay
 * until the end; deleting them now would slow the run that follows.
 */
async function fileCreateMs(dir: string): Promise<number> {
  await mkdir(dir);
  const t0 = performance.now();
  for (let i = 0; i < 32; i++) closeSync(openSync(join(dir, String(i)), 'w'));
  return (performance.now() - t0) / 32;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function main(): Promise<void> {
  await mkdir(resolve(values.dir), { recursive: true });
  const root = await mkdtemp(join(resolve(values.dir), 'worker-'));
  try {
    const model = job.model();
    const inputs = Array.from({ length: SETS }, (_, s) => job.input(s));
    console.log(
      `model: ${job.describe} (${job.gflopPerSet.toFixed(2)} GFLOP per set), provider ${ep}, ${SETS} sets (${WARMUP} warm-up), files in ${root}`,
    );
    console.log(
      `creating a file there: ${(await fileCreateMs(join(root, 'probe'))).toFixed(3)} ms (in a quiet folder on ext4 ~0.03 ms)`,
    );
    const modelFile = join(root, 'model.onnx');
    await writeFile(modelFile, model);
    const sets: { x: { uri: string; sha256: string; bytes: number } }[] = [];
    for (const [s, x] of inputs.entries()) {
      const bytes = encodeNpy('float32', [BATCH, WIDTH], x);
      const file = join(root, `x${s}.npy`);
      await writeFile(file, bytes);
      sets.push({ x: { uri: pathToFileURL(file).href, sha256: sha(bytes), bytes: bytes.length } });
    }
    const ort = await loadOrt();
    const wallet = Wallet.createRandom();
    const real = createNodeWorkerSpawner({
      permissionModel: values['permission-model'] !== 'off',
      bwrap: values.bwrap === 'off' ? 'off' : 'auto',
      scrubEnv: values.env !== 'inherit',
    });

    /** One batch job through the worker path; per-set arrival times at the agent. */
    async function throughWorker(name: string) {
      const arrivals: { set: number; at: number }[] = [];
      /** Each set's run in the worker, and its wait on its files, as its set-done says. */
      const setMs: number[] = [];
      const waitMs: number[] = [];
      let workerPid: number | undefined;
      // The worker's threads (and bwrap's) when the measured window opens, and a few sets before
      // the last: by the last set's result the worker is releasing its session, and onnxruntime's
      // threads may be gone before they are read (they then vanished from the sums). `cpuSets`
      // is how many sets ended between the two readings.
      let atWarm: { threads: ThreadTime[]; set: number } | undefined;
      let atEnd: { threads: ThreadTime[]; set: number } | undefined;
      const END_SAMPLE = Math.max(WARMUP, SETS - 8);
      // The agent's own CPU while the sets stream: this process is the agent.
      let agentAtWarm = process.cpuUsage();
      let agentCpuMs = 0;
      // With --waits: the worker's main thread (of the process that has the I/O thread),
      // sampled over the same window.
      let sampler: ReturnType<typeof sampleWaits> | undefined;
      let waits: Promise<WaitTally> | undefined;
      const service = await createJobService({
        dataDir: join(root, `data-${name}`),
        // Retries and worker warnings would change the figures: show them.
        log: {
          ...silentJobLog,
          warn: (m) => console.log(`  ${m}`),
          error: (m) => console.log(`  ${m}`),
        },
        signer: { address: wallet.address, signMessage: (m) => wallet.signMessage(m) },
        spawnWorker: (launch) => {
          const worker = real(launch);
          workerPid = worker.pid;
          return {
            ...worker,
            pid: worker.pid,
            sandbox: worker.sandbox,
            onMessage: (listener) =>
              worker.onMessage((raw) => {
                if ((raw as { type?: string } | undefined)?.type === 'set-done') {
                  const {
                    set,
                    runMs,
                    waitMs: wait,
                  } = raw as {
                    set: number;
                    runMs: number;
                    waitMs?: number;
                  };
                  arrivals.push({ set, at: performance.now() });
                  setMs.push(runMs);
                  waitMs.push(wait ?? 0);
                  if (workerPid !== undefined && set >= WARMUP - 1 && !atWarm) {
                    atWarm = { threads: threadTimes(workerPid), set };
                    agentAtWarm = process.cpuUsage();
                    const main = processWithThread(atWarm.threads, 'roost-io');
                    if (values.waits && main !== undefined) sampler = sampleWaits(main, main);
                  } else if (workerPid !== undefined && atWarm && set >= END_SAMPLE && !atEnd) {
                    atEnd = { threads: threadTimes(workerPid), set };
                    const agent = process.cpuUsage(agentAtWarm);
                    agentCpuMs = (agent.user + agent.system) / 1000;
                    waits = sampler?.stop();
                  }
                }
                listener(raw);
              }),
          };
        },
      });
      const t0 = performance.now();
      const submitted = await service.submit({
        format: 'roost.job/1',
        model: { uri: pathToFileURL(modelFile).href, sha256: sha(model), bytes: model.length },
        inputs: sets,
        executionProviders: [ep],
        limits: { maxSeconds: 3600 },
      });
      if (!submitted.ok) throw new Error(submitted.error.message);
      const done = await service.wait(submitted.value.id);
      const endToEnd = performance.now() - t0;
      await service.close();
      if (!done.ok || done.value.state !== 'done') {
        throw new Error(
          `the job did not finish: ${JSON.stringify(done.ok ? done.value.error : done.error)}`,
        );
      }
      // Results of short sets come several to a write, when the last of them is done: the
      // window opens at the arrival of the write that holds set WARMUP - 1, and counts only the
      // sets after that write's last one (counting from set WARMUP - 1 itself would credit the
      // worker with sets it finished before the window opened).
      let open = arrivals.findIndex((a) => a.set >= WARMUP - 1);
      // One write's results reach the agent within a few ms (it checks each in turn); writes
      // are a set's time or more apart.
      while (
        open + 1 < arrivals.length &&
        (arrivals[open + 1]?.at ?? 0) - (arrivals[open]?.at ?? 0) < 5
      )
        open++;
      const start = arrivals[open] as { set: number; at: number };
      const end = arrivals.at(-1) as { set: number; at: number };
      const warmMs = end.at - start.at;
      const warmSets = end.set - start.set;
      const cpuSets = Math.max(1, (atEnd?.set ?? 0) - (atWarm?.set ?? 0));
      const workerCpuSeconds = usedNs(atWarm?.threads ?? [], atEnd?.threads ?? []) / 1e9;
      return {
        msPerSet: warmMs / warmSets,
        setMs: setMs.slice(WARMUP).sort((a, b) => a - b),
        waitMs: waitMs.slice(WARMUP).sort((a, b) => a - b),
        workerCpuMsPerSet: (workerCpuSeconds * 1000) / cpuSets,
        threads: usedByName(atWarm?.threads ?? [], atEnd?.threads ?? []),
        threadSets: cpuSets,
        agentCpuMsPerSet: agentCpuMs / cpuSets,
        warm: (warmSets * BATCH) / (warmMs / 1000),
        warmCpu: (cpuSets * BATCH) / Math.max(0.001, workerCpuSeconds),
        whole: (SETS * BATCH) / (endToEnd / 1000),
        endToEnd,
        receipt: done.value.result?.receipt,
        sandbox: done.value.sandbox,
        waits: await (waits ?? sampler?.stop()),
      };
    }

    const median = (xs: number[]) =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const fmt = (n: number) => `${n.toFixed(1)} inferences/s`;
    const rounds: {
      raw: number;
      rawCpu: number;
      warm: number;
      warmCpu: number;
      whole: number;
      steady: boolean;
    }[] = [];
    let last: Awaited<ReturnType<typeof throughWorker>> | undefined;
    // An agent runs job after job: its first job also compiles its own code (V8 does that on
    // background threads, beside onnxruntime's), and was measured ~1 ms a set slower. One
    // round first that does not count.
    await inProcess(ort, model, inputs);
    await throughWorker('warm-up');
    for (let round = 0; round < ROUNDS; round++) {
      const rawBefore = await inProcess(ort, model, inputs);
      last = await throughWorker(String(round));
      const rawAfter = await inProcess(ort, model, inputs);
      const raw = (rawBefore.wall + rawAfter.wall) / 2;
      const rawCpu = (rawBefore.cpu + rawAfter.cpu) / 2;
      rounds.push({
        raw,
        rawCpu,
        warm: last.warm,
        warmCpu: last.warmCpu,
        whole: last.whole,
        // The machine's load held still through the round when the two in-process runs agree.
        steady: Math.abs(rawBefore.wall - rawAfter.wall) / raw <= 0.05,
      });
      console.log(
        `round ${round + 1}: in-process ${fmt(raw)}, worker warm ${fmt(last.warm)} (${(last.warm / raw).toFixed(3)}), end to end ${fmt(last.whole)} (${(last.whole / raw).toFixed(3)}); per CPU second ${(last.warmCpu / rawCpu).toFixed(3)}${rounds.at(-1)?.steady ? '' : ' [load changed]'}`,
      );
      const ms = (n: number) => n.toFixed(2);
      // A run's spread: a worker whose median run matches but whose tail is longer loses its
      // time in occasional slow sets, not in every one.
      const spread = (sorted: number[]) => {
        const at = (q: number) => ms(sorted[Math.floor(q * (sorted.length - 1))] ?? 0);
        return `median ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}`;
      };
      console.log(
        `  a set, ms: in process ${ms(rawBefore.msPerSet)} / ${ms(rawAfter.msPerSet)} (CPU ${ms((rawBefore.cpuMsPerSet + rawAfter.cpuMsPerSet) / 2)}; a run: ${spread(rawAfter.runMs)}), worker path ${ms(last.msPerSet)} (CPU: worker ${ms(last.workerCpuMsPerSet)}, agent ${ms(last.agentCpuMsPerSet)}; a run: ${spread(last.setMs)}; waiting on files: ${spread(last.waitMs)}, ${ms(last.waitMs.reduce((a, b) => a + b, 0) / Math.max(1, last.waitMs.length))} on average)`,
      );
      // Where the CPU went, thread by thread (the in-process run after the job, and the worker
      // process with bwrap if any, over the same measured sets).
      console.log(`  CPU by thread, in process: ${formatUse(rawAfter.threads, SETS - WARMUP)}`);
      console.log(`  CPU by thread, worker:     ${formatUse(last.threads, last.threadSets)}`);
      if (values.waits) {
        const show = (w: WaitTally | undefined) =>
          w ? formatWaits(w) : 'not sampled (no I/O thread found)';
        console.log(`  main thread, in process: ${show(rawAfter.waits)}`);
        console.log(`  main thread, worker:     ${show(last.waits)}`);
      }
    }
    const warmRatios = rounds.map((r) => r.warm / r.raw);
    const warmRatio = median(warmRatios);
    const wholeRatio = median(rounds.map((r) => r.whole / r.raw));
    console.log(`in-process onnxruntime (${ep}), median: ${fmt(median(rounds.map((r) => r.raw)))}`);
    console.log(`worker path, warm, median:        ${fmt(median(rounds.map((r) => r.warm)))}`);
    console.log(
      `worker path, end to end, median:  ${fmt(median(rounds.map((r) => r.whole)))} (${SETS} sets in ${((last?.endToEnd ?? 0) / 1000).toFixed(2)} s, session ${last?.receipt?.timings.sessionMs.toFixed(0)} ms)`,
    );
    console.log(`sandbox: ${JSON.stringify(last?.sandbox)}`);
    console.log(`end-to-end ÷ in-process: ${wholeRatio.toFixed(3)} (pays start-up once per job)`);
    const cpuRatio = median(rounds.map((r) => r.warmCpu / r.rawCpu));
    console.log(
      `inferences per CPU second, worker ÷ in-process: ${cpuRatio.toFixed(3)} (steadier than wall time on a busy machine; the worker's CPU counts its sandbox and file work)`,
    );
    const steady = rounds.filter((r) => r.steady).map((r) => r.warm / r.raw);
    console.log(
      steady.length > 0
        ? `in steady rounds only (both in-process runs within 5%; ${steady.length} of ${ROUNDS}): median ${median(steady).toFixed(3)}, spread ${Math.min(...steady).toFixed(3)}–${Math.max(...steady).toFixed(3)}`
        : `no steady round (both in-process runs within 5%): the machine's load changed throughout`,
    );
    console.log(
      `worker-path ÷ in-process (warm batch): ${warmRatio.toFixed(3)} (median of ${ROUNDS} rounds; spread ${Math.min(...warmRatios).toFixed(3)}–${Math.max(...warmRatios).toFixed(3)})`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
