import { useEffect, useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { adapterName, executionProviderName } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeHardware } from '../pages/onboarding.ts';
import { sentence } from '../words.ts';
import { AgentText } from './AgentText.tsx';
import { InstallCuda, needsCudaLibraries } from './InstallCuda.tsx';
import { Sparkline } from './Sparkline.tsx';
import { WorkState, useActiveJobs, useDecisions } from './WorkState.tsx';
import { useDetect, type Detect } from '../hooks/useDetect.ts';

/**
 * An agent's message and its fix, as one text for AgentText: each is a phrase of its own
 * (`…: not a GPU`, `Install your GPU’s Vulkan driver …`), so each becomes a sentence.
 */
const words = (...parts: (string | null | undefined)[]) =>
  parts
    .filter((p): p is string => Boolean(p?.trim()))
    .map(sentence)
    .join(' ');

type Sample = ResultOf<'hardware.telemetry'>['samples'][number];
type Accelerator = Detect['gpus'][number]['accelerators'][number];

/** Seconds of telemetry the charts show. */
const WINDOW = 300;

function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return 'unknown';
  const gib = bytes / 1024 ** 3;
  return gib >= 1
    ? `${gib.toFixed(gib >= 10 ? 0 : 1)} GiB`
    : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

function AcceleratorList({ accelerators }: { accelerators: Accelerator[] }) {
  if (accelerators.length === 0)
    return <p className="muted">No accelerator was probed for this device.</p>;
  return (
    <ul className="accelerators">
      {accelerators.map((a) => (
        <li key={a.ep} className={a.ok ? 'acc-ok' : 'acc-no'}>
          <span className="acc-badge">{a.ok ? '✓' : '✕'}</span>
          <span className="acc-name">{executionProviderName(a.ep)}</span>
          {a.ok ? (
            <span className="muted">{a.adapter ? `on ${a.adapter}` : 'works'}</span>
          ) : (
            <span className="acc-reason">
              <AgentText text={a.reason ?? 'does not work here'} />
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** The live samples of every GPU, from `hardware.telemetry` then the event stream. */
function useTelemetry(): Map<string, Sample[]> {
  const { client, subscribe } = useAgent();
  const [byGpu, setByGpu] = useState(() => new Map<string, Sample[]>());
  useEffect(() => {
    let live = true;
    const add = (samples: Sample[]) =>
      setByGpu((old) => {
        const next = new Map(old);
        for (const s of samples)
          next.set(s.gpuId, [...(next.get(s.gpuId) ?? []), s].slice(-WINDOW));
        return next;
      });
    void client.call('hardware.telemetry', { sinceMs: Date.now() - WINDOW * 1000 }).then((r) => {
      if (live && r.ok) add(r.value.samples);
    });
    const stop = subscribe((e) => {
      if (e.event === 'hardware.telemetry') add([e.payload]);
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe]);
  return byGpu;
}

/**
 * No GPU: the one message the Dashboard gives about it (setup's first step says the same words),
 * whose action is the Check again button beside the heading. What support staff need (the
 * software renderer onnxruntime found, and why it is no GPU) waits under Details.
 */
function NoGpu({ report }: { report: Detect }) {
  const software = report.accelerators.filter((a) => a.status === 'software-adapter');
  return (
    <div className="no-gpu" data-testid="no-gpu">
      <p>
        <strong>{describeHardware(report).headline}</strong> If this computer has a graphics card,
        install its driver, then press Check again.
      </p>
      {software.length > 0 && (
        <details>
          <summary className="muted">Details</summary>
          <ul className="problems">
            {software.map((a) => (
              <li key={a.ep}>
                <AgentText
                  text={words(
                    `${executionProviderName(a.ep)}\u2019s only adapter is ${a.adapter ? adapterName(a.adapter) : 'a software renderer'}`,
                    a.reason,
                    a.fix,
                    a.detail,
                  )}
                />
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

export function GpuCards() {
  const { report, problem: error, busy, again } = useDetect();
  const telemetry = useTelemetry();
  const { decisions, reload } = useDecisions();
  const jobs = useActiveJobs();

  return (
    <section aria-labelledby="gpus-title" className="gpus">
      <div className="section-head">
        <h2 id="gpus-title">Hardware</h2>
        <button type="button" className="secondary" onClick={() => void again()} disabled={busy}>
          {busy ? 'Checking…' : 'Check again'}
        </button>
      </div>
      {error && (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      )}
      {!report && !error && (
        <p className="muted">Finding your GPUs and testing which accelerators work…</p>
      )}
      {report && report.gpus.length === 0 && <NoGpu report={report} />}
      {report && (
        <div className="cards">
          {report.gpus.map((gpu) => {
            const samples = telemetry.get(gpu.id) ?? [];
            const last = samples[samples.length - 1];
            return (
              <article
                key={gpu.id}
                className="card gpu-card"
                aria-label={gpu.displayName}
                data-testid="gpu-card"
              >
                <header>
                  {/* As the Activity list names it: "RTX 3070 #2" where two are the same model. */}
                  <h3>{gpu.displayName}</h3>
                  <p className="muted">
                    {gpu.vendor.toUpperCase()} ·{' '}
                    {gpu.vramShared && gpu.vramBytes === null
                      ? 'shared memory'
                      : formatBytes(gpu.vramBytes)}
                    {gpu.driverVersion ? ` · driver ${gpu.driverVersion}` : ''}
                    {gpu.display ? ' · drives the display' : ''}
                  </p>
                </header>
                <WorkState
                  gpuId={gpu.id}
                  decision={decisions.get(gpu.id)}
                  jobs={jobs}
                  onChanged={reload}
                />
                {gpu.status !== 'ok' && gpu.problem && (
                  <div className="banner banner-warn" role="alert">
                    <AgentText text={words(gpu.problem.message, gpu.problem.fix)} />
                  </div>
                )}
                <div className="sparks">
                  <Sparkline
                    label="Utilization"
                    unit="%"
                    max={100}
                    values={samples.map((s) => s.utilizationPct)}
                  />
                  <Sparkline
                    label="Temperature"
                    unit="°C"
                    max={100}
                    values={samples.map((s) => s.temperatureC)}
                  />
                  <Sparkline
                    label="Power"
                    unit="W"
                    max={gpu.powerLimitW}
                    values={samples.map((s) => s.powerW)}
                  />
                  <Sparkline
                    label="VRAM"
                    unit="GiB"
                    max={(last?.vramTotalBytes ?? gpu.vramBytes ?? 0) / 1024 ** 3}
                    format={(v) => v.toFixed(1)}
                    values={samples.map((s) =>
                      s.vramUsedBytes === null ? null : s.vramUsedBytes / 1024 ** 3,
                    )}
                  />
                </div>
                <h4>Accelerators</h4>
                <AcceleratorList accelerators={gpu.accelerators} />
                {needsCudaLibraries(gpu.accelerators.map((a) => a.reason)) && (
                  <InstallCuda onInstalled={again} />
                )}
              </article>
            );
          })}
          <article className="card" aria-label="CPU" data-testid="cpu-card">
            <header>
              <h3>{report.cpu.model}</h3>
              <p className="muted">CPU · {report.cpu.cores} threads</p>
            </header>
            {/* Without a GPU, jobs run here: the policy decides for the CPU as for a GPU. */}
            {decisions.has('cpu') && (
              <WorkState
                gpuId="cpu"
                decision={decisions.get('cpu')}
                jobs={jobs}
                onChanged={reload}
              />
            )}
            <h4>Accelerators</h4>
            <AcceleratorList accelerators={report.cpu.accelerators} />
          </article>
        </div>
      )}
      {report && report.problems.length > 0 && (
        <ul className="problems">
          {report.problems.map((p) => (
            <li key={`${p.tool}-${p.code}`}>
              <strong>{p.tool}</strong>: <AgentText text={words(p.message, p.fix)} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
