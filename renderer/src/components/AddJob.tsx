/**
 * The Jobs page's "Add a private job": a model and its .npy inputs (chosen, dropped or by their
 * paths on the machine Roost runs on), the accelerator, the GPU (or the batch split over every
 * GPU) and where to copy the outputs.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { JobFiles } from './JobFiles.tsx';
import { useDetect } from '../hooks/useDetect.ts';
import { parseInputSets, pathProblem } from '../pages/job-paths.ts';

type Target = ResultOf<'bench.targets'>['targets'][number];

type Field = 'model' | 'inputs' | 'out' | 'device';

/**
 * Which field an agent's refusal of a private job is about, from how it names the file: "The
 * model: …" or `Input "x": …` (agent/jobs/service.ts `artifactOf`), or the GPU: `There is no
 * device "…" here` (a card taken out since the page asked).
 */
export function fieldOf(message: string): Field | undefined {
  if (/^The model\b/.test(message)) return 'model';
  if (/^Input "/.test(message)) return 'inputs';
  if (/^(There is no device|Splitting needs)\b/.test(message)) return 'device';
  return undefined;
}

/** The GPU choice that splits a batch into one job per GPU (no GPU id looks like it). */
const SPLIT = 'split';

/** "Add a private job": a model and .npy inputs by their paths on the machine Roost runs on. */
export function AddJob({ onAdded }: { onAdded: () => void }) {
  const { client } = useAgent();
  const [model, setModel] = useState('');
  const [inputs, setInputs] = useState('');
  const [outDir, setOutDir] = useState('');
  /** '' = the agent's choice: the GPU paths that work here, then the CPU. */
  const [ep, setEp] = useState('');
  const [targets, setTargets] = useState<Target[]>([]);
  /**
   * '' = any free GPU; SPLIT = the batch as one job per GPU, at once; else the id of the one GPU
   * the job may run on.
   */
  const [gpu, setGpu] = useState('');
  // The GPUs a job can run on: one with no accelerator working (no driver, a display-only chip)
  // would take a pinned job or a part of a split batch and fail it. With one (or none) there is
  // nothing to choose: the agent places the job on it.
  const gpus = (useDetect().report?.gpus ?? []).filter((g) => g.accelerators.some((a) => a.ok));
  const chooseGpu = gpus.length >= 2;
  // Only the CPU runs on no GPU: a GPU picked with it would leave the job nothing to run on.
  const device = chooseGpu && ep !== 'cpu' ? gpu : '';
  const split = device === SPLIT;
  /** What is wrong, and with which field (marked and described by the message). */
  const [problem, setProblemState] = useState<{ text: string; field?: Field }>();
  const setProblem = (text: string | undefined, field?: Field) =>
    setProblemState(text === undefined ? undefined : { text, ...(field ? { field } : {}) });
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    // The accelerators that work here (one entry per provider): what the owner may pin a job to.
    void client.call('bench.targets').then((r) => {
      if (!r.ok) return;
      const seen = new Set<string>();
      setTargets(r.value.targets.filter((t) => !seen.has(t.ep) && seen.add(t.ep)));
    });
  }, [client]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseInputSets(inputs);
    if (!parsed.ok) return setProblem(parsed.problem, 'inputs');
    const { sets } = parsed;
    if (!model.trim()) return setProblem('Give the model file.', 'model');
    if (sets.length === 0) return setProblem('Give at least one input.', 'inputs');
    for (const [field, paths] of [
      ['model', [model.trim()]],
      ['inputs', sets.flatMap((set) => Object.values(set))],
      ['out', [outDir.trim()]],
    ] as const) {
      for (const path of paths) {
        const problem = path === '' ? undefined : pathProblem(path);
        if (problem) return setProblem(problem, field);
      }
    }
    setBusy(true);
    const r = await client.call('job.add', {
      model: model.trim(),
      inputs: sets.length === 1 ? sets[0]! : sets,
      ...(outDir.trim() ? { outDir: outDir.trim() } : {}),
      ...(ep ? { executionProviders: [ep as Target['ep']] } : {}),
      ...(split ? { split: gpus.length } : device ? { device } : {}),
    });
    setBusy(false);
    if (r.ok) {
      setProblem(undefined);
      setModel('');
      setInputs('');
      onAdded();
    } else if (r.error.code === 'INVALID_PARAMS') {
      // The agent says which file and what is wrong with it: that is the whole message.
      setProblem(r.error.message, fieldOf(r.error.message));
    } else setProblem(describeError(r.error));
  };
  /** A field's own props: marked invalid and described by the message when it is the one. */
  const marked = (field: Field) =>
    problem?.field === field
      ? { 'aria-invalid': true as const, 'aria-describedby': 'add-job-problem' }
      : {};
  return (
    <form
      className="card wallet-form"
      onSubmit={(e) => void submit(e)}
      aria-labelledby="add-job-title"
    >
      <h2 id="add-job-title">Add a private job</h2>
      <p className="muted">
        Run your own ONNX model on this computer, on its GPU where it has one. Choose the files, or
        give their paths on the computer Roost runs on.
      </p>
      <JobFiles
        idPrefix="job"
        modelLabel="Model (.onnx)"
        model={model}
        onModel={setModel}
        inputs={inputs}
        onInputs={setInputs}
        marked={marked}
        onProblem={setProblem}
      />
      <label htmlFor="job-ep">Accelerator</label>
      <select id="job-ep" value={ep} onChange={(e) => setEp(e.target.value)}>
        <option value="">Best that works here (GPU first, then CPU)</option>
        {targets.map((t) => (
          <option key={t.ep} value={t.ep}>
            Only {t.label}
          </option>
        ))}
      </select>
      {chooseGpu && (
        <>
          <label htmlFor="job-gpu">GPU</label>
          <select
            id="job-gpu"
            value={device}
            disabled={ep === 'cpu'}
            onChange={(e) => setGpu(e.target.value)}
            {...marked('device')}
          >
            <option value="">Any free GPU</option>
            <option value={SPLIT}>
              Split the batch over all {gpus.length} GPUs ({gpus.length} jobs at once)
            </option>
            {gpus.map((g) => (
              <option key={g.id} value={g.id}>
                Only {g.displayName}
              </option>
            ))}
          </select>
        </>
      )}
      <label htmlFor="job-out">Copy the outputs to (optional)</label>
      <input
        id="job-out"
        value={outDir}
        onChange={(e) => setOutDir(e.target.value)}
        placeholder="/data/results/run-1"
        autoComplete="off"
        {...marked('out')}
      />
      {problem && (
        <div className="banner banner-error" role="alert" id="add-job-problem">
          {problem.text}
        </div>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Checking…' : 'Add job'}
      </button>
    </form>
  );
}
