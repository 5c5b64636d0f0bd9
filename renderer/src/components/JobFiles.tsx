/**
 * A job's model and inputs, as both Jobs page forms take them (a private job, a job to post): the
 * model's path, typed or chosen; what the model takes, once Roost has read it (each input's name,
 * dtype and shape, with a button to choose its .npy files); and the inputs as `name=path` lines.
 */
import { useRef, useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { choosingUploads, withInputFiles } from '../choose-files.ts';
import { inputSetsWords, pathProblem } from '../pages/job-paths.ts';
import { ChooseFiles, dropZone, useFileChooser, type FileChooser } from './ChooseFiles.tsx';

type Inspection = ResultOf<'job.inspectModel'>;
type Tensor = Inspection['inputs'][number];
export type JobFilesField = 'model' | 'inputs';

export interface JobFilesProps {
  /** Prefix of the fields' ids (`job` → `job-model`, `job-inputs`). */
  idPrefix: string;
  modelLabel: string;
  model: string;
  onModel: (model: string) => void;
  inputs: string;
  /** The inputs' text from the old one (choosing files rewrites some of its lines). */
  onInputs: (next: (old: string) => string) => void;
  /** A field's marks when it is the one a problem is about. */
  marked: (field: JobFilesField) => Record<string, unknown>;
  /** A problem with a field, or undefined to clear the one shown. */
  onProblem: (text: string | undefined, field?: JobFilesField) => void;
}

/** `float32 [1, 3, 224, 224]`; a symbolic dimension by its name. */
export function tensorWords(tensor: Tensor): string {
  return `${tensor.dtype} [${tensor.shape.join(', ')}]`;
}

export function JobFiles(props: JobFilesProps) {
  const { client } = useAgent();
  const { idPrefix, model, onModel, onInputs, marked, onProblem } = props;
  /** What Roost read of the model, and the path as it was given then. */
  const [read, setRead] = useState<{ path: string; facts: Inspection }>();
  // Shown only while the field still names that model (it is cleared once a job is added).
  const facts = read?.path === model.trim() ? read.facts : undefined;
  /** The path the latest look was for: an older answer that comes late is dropped. */
  const asked = useRef('');

  /** Reads the model (Roost checks it as a job would) and shows what it takes. */
  const inspect = async (path: string) => {
    const full = path.trim();
    asked.current = full;
    if (!full || pathProblem(full)) {
      setRead(undefined);
      return;
    }
    const r = await client.call('job.inspectModel', { model: full });
    if (asked.current !== full) return;
    setRead(r.ok ? { path: full, facts: r.value } : undefined);
    if (r.ok) onProblem(undefined);
    else
      onProblem(
        r.error.code === 'INVALID_PARAMS' ? r.error.message : describeError(r.error),
        'model',
      );
  };
  const fileProblem = (field: JobFilesField) => (text: string) =>
    onProblem(text === '' ? undefined : text, text === '' ? undefined : field);
  const uploads = choosingUploads(client);
  // How many input sets, and what does not fit the model, as the field is typed or chosen.
  /** Folders chosen for inputs, with how many .npy files (input sets) each holds. */
  const [folders, setFolders] = useState<ReadonlyMap<string, number>>(new Map());
  const setsWords = inputSetsWords(props.inputs, facts?.inputs, folders);
  const modelFiles = useFileChooser({
    onFiles: (paths, files) => {
      // The model and, if it keeps its weights beside it, those files too.
      const k = Math.max(
        0,
        files.findIndex((f) => /\.onnx$/i.test(f.name)),
      );
      const path = paths[k] ?? '';
      onModel(path);
      void inspect(path);
    },
    onProblem: fileProblem('model'),
    instead: "the model's .onnx file (with its external data files, if it has them)",
  });
  const chooseInput = (name: string) => (paths: string[]) =>
    onInputs((old) => withInputFiles(old, name, paths));
  const chooseFolder = (name: string) => (path: string, files: number) => {
    setFolders((old) => new Map(old).set(path, files));
    onInputs((old) => withInputFiles(old, name, [path]));
  };

  return (
    <>
      <label htmlFor={`${idPrefix}-model`}>{props.modelLabel}</label>
      <div {...dropZone(modelFiles, 'path-row')}>
        <input
          id={`${idPrefix}-model`}
          value={model}
          onChange={(e) => onModel(e.target.value)}
          onBlur={() => {
            if (!facts) void inspect(model);
          }}
          placeholder="/data/models/classifier.onnx"
          autoComplete="off"
          {...marked('model')}
        />
        <ChooseFiles chooser={modelFiles} label="the model" multiple>
          Choose model…
        </ChooseFiles>
      </div>
      {uploads && (
        <p className="muted field-note">
          Files you choose or drop here are sent to the computer Roost runs on, which keeps them for
          a day, or longer while their job waits to start. With a model that keeps its weights in
          other files, choose them together.
        </p>
      )}
      {facts && (
        <div className="model-takes" data-testid={`${idPrefix}-model-takes`}>
          <p>
            This model takes{' '}
            {facts.inputs.length === 1 ? 'one input' : `${facts.inputs.length} inputs`} and gives{' '}
            {facts.outputs.map((o) => `${o.name} (${tensorWords(o)})`).join(', ')}.
            {facts.inputs.some((i) => i.isTensor) &&
              ' For a batch, choose or drop several files for an input, or a folder of them: one input set per .npy file, in name order.'}
          </p>
          <ul>
            {facts.inputs.map((input) => (
              <InputRow
                key={input.name}
                input={input}
                onChosen={chooseInput(input.name)}
                onFolder={chooseFolder(input.name)}
                onProblem={fileProblem('inputs')}
              />
            ))}
          </ul>
        </div>
      )}
      <label htmlFor={`${idPrefix}-inputs`}>
        Inputs, one per line: name=/path/to/file.npy (a name again starts the next input set), or
        name=/path/to/folder for one input set per .npy file in it
      </label>
      <textarea
        id={`${idPrefix}-inputs`}
        rows={3}
        value={props.inputs}
        onChange={(e) => {
          const text = e.target.value;
          onInputs(() => text);
        }}
        placeholder="x=/data/batches/x0.npy"
        spellCheck={false}
        {...marked('inputs')}
      />
      {setsWords && (
        <p className="muted field-note" aria-live="polite" data-testid={`${idPrefix}-input-sets`}>
          {setsWords}
        </p>
      )}
    </>
  );
}

/**
 * One input the model takes, with its Choose buttons (files, or a folder of them); its .npy
 * files or their folder may be dropped on it.
 */
function InputRow(props: {
  input: Tensor;
  onChosen: (paths: string[]) => void;
  onFolder: (path: string, files: number) => void;
  onProblem: (problem: string) => void;
}) {
  const { input } = props;
  const files: FileChooser = useFileChooser({
    onFiles: props.onChosen,
    onFolder: props.onFolder,
    onProblem: props.onProblem,
  });
  if (!input.isTensor)
    return (
      <li>
        <code>{input.name}</code> {tensorWords(input)}{' '}
        <span className="muted">(not a tensor: no .npy file can carry it)</span>
      </li>
    );
  return (
    <li {...dropZone(files, 'input-row')} data-testid={`input-${input.name}`}>
      <code>{input.name}</code> {tensorWords(input)}{' '}
      <ChooseFiles
        chooser={files}
        label={`files for input ${input.name}`}
        multiple
        accept=".npy"
        folder={`Choose ${input.name} folder…`}
      >
        Choose {input.name} files…
      </ChooseFiles>
    </li>
  );
}
