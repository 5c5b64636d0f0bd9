/**
 * What a model file on this machine takes and gives (`job.inspectModel`, `roost job inspect`):
 * the checks a private job's model gets before any worker sees it (model-check.ts), with the
 * external data files it names taken from beside it, as `roost job run` takes them. Nothing is
 * hashed: a multi-GB model is read once. Never throws; a refusal says what is wrong and what to do.
 *
 *   const facts = await inspectModel('/data/resnet.onnx', limits);
 *   if (facts.ok) facts.value.inputs; // [{ name: 'x', dtype: 'float32', shape: [1, 3, 224, 224] }]
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { checkModelBytes, externalLocations } from './model-check.ts';
import { diskWords } from './schema.ts';
import type { JobErrorCode, JobResult, ModelInspection } from './schema.ts';
import { fail, fullPathProblem, messageOf } from './util.ts';

/** The limits a model is judged by: those a job gets (the service's, when a spec names none). */
export interface InspectLimits {
  maxModelBytes: number;
  maxInputBytes: number;
  maxOutputBytes: number;
}

/** An external data name a job spec can carry (relativePathSchema's, without `..`). */
const PLAIN_LOCATION = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

const RAISE_LIMITS =
  "A job may ask for more in its limits, up to this agent's ceilings (roost job schema: limits).";

/** What to do about a model the checks refuse, by why they refuse it. */
const NEXT_STEP: Partial<Record<JobErrorCode, string>> = {
  'model-invalid':
    'Check that it is a whole .onnx file (not cut short by a download or a copy, not another format), or export it again.',
  'model-unsupported':
    'Export it again with a standard ONNX opset and only the operators built into onnxruntime.',
  'too-large': RAISE_LIMITS,
  'output-too-large': RAISE_LIMITS,
};

/** A sentence, ended once: "…an ONNX file?" stays as it is. */
const sentence = (text: string) => (/[.?!]$/.test(text) ? text : `${text}.`);

/** A regular file's size, or what is wrong with the path (`missing`: the words for no file). */
async function fileSize(path: string, what: string, missing: string): Promise<JobResult<number>> {
  try {
    const info = await stat(path);
    if (!info.isFile())
      return fail(
        'invalid-spec',
        `${what} ${path} is ${info.isDirectory() ? 'a folder' : 'not a regular file'}; give the path of the file itself.`,
      );
    return { ok: true, value: info.size };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return fail('invalid-spec', missing);
    if (code === 'EACCES' || code === 'EPERM')
      return fail(
        'invalid-spec',
        `${what} ${path} cannot be read: Roost has no permission to read it.`,
      );
    return fail('io-error', `${what} ${path} cannot be read: ${messageOf(error)}.`);
  }
}

/** The model at a full path: its inputs, outputs and opsets, or why a job of it would be refused. */
export async function inspectModel(
  modelPath: string,
  limits: InspectLimits,
): Promise<JobResult<ModelInspection>> {
  const problem = fullPathProblem(modelPath);
  if (problem) return fail('invalid-spec', sentence(problem));
  const path = resolve(modelPath);
  const size = await fileSize(
    path,
    'The model',
    `No model at ${path}. Check the path; the file must be on the computer Roost runs on.`,
  );
  if (!size.ok) return size;
  const tooLarge = (what: string, bytes: number) =>
    fail<ModelInspection>(
      'too-large',
      `Roost would refuse ${path}: ${what} ${diskWords(bytes)} (${bytes} bytes), over the ${diskWords(limits.maxModelBytes)} a job may have. ${RAISE_LIMITS}`,
    );
  if (size.value > limits.maxModelBytes) return tooLarge('the model is', size.value);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return fail('io-error', `The model ${path} cannot be read: ${messageOf(error)}.`);
  }

  // The weight files it names, from beside it. An absolute name or one with `..` is left to the
  // model check, which refuses it in its own words.
  const dir = dirname(path);
  const externalData = new Map<string, number>();
  let total = size.value;
  for (const location of externalLocations(bytes)) {
    if (isAbsolute(location) || location.split(/[\\/]+/).includes('..')) continue;
    if (!PLAIN_LOCATION.test(location))
      return fail(
        'invalid-spec',
        `The model keeps weights in "${location.slice(0, 200)}", a name a job cannot carry: use letters, digits, ".", "_" and "-" only, rename the file and save the model again pointing at it.`,
      );
    const full = resolve(dir, location);
    const file = await fileSize(
      full,
      `The model's external data`,
      `The model keeps weights in "${location}", which must sit beside it, but there is no file at ${full}. Put ${location} in ${dir}, the model's folder, and try again.`,
    );
    if (!file.ok) return file;
    externalData.set(relative(dir, full).split(sep).join('/'), file.value);
    total += file.value;
  }
  if (total > limits.maxModelBytes) return tooLarge('the model and its data are', total);

  const checked = checkModelBytes(
    bytes,
    { maxModelBytes: limits.maxModelBytes, modelDir: dir, externalData },
    limits,
  );
  if (!checked.ok) {
    const { code, message } = checked.error;
    // Cut-short weights look like a cut-short model: both files are named.
    const next =
      code === 'model-invalid' && externalData.size > 0
        ? `Check that it and ${[...externalData.keys()].join(', ')} are whole (not cut short by a download or a copy), or export it again.`
        : NEXT_STEP[code];
    return fail(
      code,
      `Roost would refuse ${path}: ${sentence(message)}${next === undefined ? '' : ` ${next}`}`,
    );
  }
  const facts = checked.value;
  return {
    ok: true,
    value: {
      model: path,
      bytes: size.value,
      inputs: facts.inputs,
      outputs: facts.outputs,
      opsets: facts.opsets,
      externalFiles: facts.externalFiles,
      nodeCount: facts.nodeCount,
    },
  };
}
