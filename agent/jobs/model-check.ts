/**
 * Model checks before any onnxruntime sees the model, in the agent (a hostile protobuf costs no
 * worker here): the size cap; it parses as an ONNX ModelProto; IR version and opsets in range;
 * only the operator domains onnxruntime builds in (no custom-op domains, no custom-op
 * libraries); external data only in files the job spec declares, inside the model's folder,
 * within their sizes; tensors whose declared sizes match their data; graph inputs and outputs
 * with sane shapes; no cycles. What it learns about the inputs and outputs is used to check
 * the input tensors before a worker starts.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import type { JobResult, NpyDtype } from './schema.ts';
import { fail, messageOf } from './util.ts';

const { onnx } = onnxProto;

/**
 * Operator domains of ONNX itself and those onnxruntime implements; anything else needs a
 * custom-op library. The training domains are ONNX's own: exporters (Silero VAD's, for one)
 * import them without using them, and onnxruntime refuses any of their ops it lacks.
 */
export const ALLOWED_DOMAINS = new Set([
  '',
  'ai.onnx',
  'ai.onnx.ml',
  'com.microsoft',
  // onnxruntime's own layout domain, in models saved after its optimizer ran.
  'com.ms.internal.nhwc',
  'ai.onnx.training',
  'ai.onnx.preview.training',
]);
export const MAX_IR_VERSION = 12;
export const MAX_OPSET = 30;
export const MAX_DIM = 2 ** 40;
const MAX_RANK = 32;
const MAX_NODES = 1_000_000;
const MAX_DEPTH = 32;

/** Bytes per element by TensorProto.DataType (0 where the size is not fixed). */
const ELEM_BYTES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  8: 0,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  14: 8,
  15: 16,
  16: 2,
  17: 1,
  18: 1,
  19: 1,
  20: 1,
  21: 0.5,
  22: 0.5,
  23: 0.5,
};

const NPY_OF_ELEM: Record<number, NpyDtype> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

const ELEM_NAMES: Record<number, string> = {
  8: 'string',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
};

export interface TensorFacts {
  name: string;
  /** The .npy dtype this tensor takes, or the ONNX type name when .npy cannot carry it. */
  dtype: NpyDtype | string;
  /** Fixed sizes as numbers, symbolic or unknown dimensions as strings. */
  shape: (number | string)[];
  /** False for sequences, maps and optionals. */
  isTensor: boolean;
}

export interface ModelFacts {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  inputs: TensorFacts[];
  outputs: TensorFacts[];
  /** External data files the model refers to, relative to its folder. */
  externalFiles: string[];
  nodeCount: number;
}

export interface ModelCheckOptions {
  maxModelBytes: number;
  /** The model's folder: external data must resolve inside it. */
  modelDir: string;
  /** External data files the spec provides (relative path → bytes). */
  externalData: Map<string, number>;
}

type Long = { low: number; high: number; unsigned: boolean; toString(): string };

function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'low' in value)
    return Number((value as Long).toString());
  if (typeof value === 'string') return Number(value);
  return NaN;
}

class ModelProblem extends Error {
  readonly code: 'model-invalid' | 'model-unsupported' | 'too-large' | 'output-too-large';
  constructor(code: ModelProblem['code'], message: string) {
    super(message);
    this.code = code;
  }
}

const invalid = (message: string) => new ModelProblem('model-invalid', message);
const unsupported = (message: string) => new ModelProblem('model-unsupported', message);

type Graph = InstanceType<typeof onnx.GraphProto>;
type Tensor = onnxProto.onnx.ITensorProto;
type ValueInfo = InstanceType<typeof onnx.ValueInfoProto>;

function label(name: string | null | undefined): string {
  const n = name ?? '';
  return n.length > 80 ? `"${n.slice(0, 80)}…"` : `"${n}"`;
}

/** A safe external-data location: relative, inside the model folder, declared by the spec. */
export function checkExternalLocation(location: string, options: ModelCheckOptions): string {
  if (!location) throw invalid('a tensor keeps its data outside the model but names no file');
  if (location.includes('\0')) throw invalid('an external data path holds a NUL byte');
  if (
    isAbsolute(location) ||
    /^[A-Za-z]:/.test(location) ||
    location.startsWith('\\') ||
    location.startsWith('/')
  ) {
    throw invalid(
      `external data path ${label(location)} is absolute; it must be inside the job folder`,
    );
  }
  const parts = location.split(/[\\/]+/);
  if (parts.includes('..')) {
    throw invalid(`external data path ${label(location)} leaves the model folder ("..")`);
  }
  const full = resolve(options.modelDir, normalize(location));
  const rel = relative(options.modelDir, full);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw invalid(`external data path ${label(location)} leaves the model folder`);
  }
  const key = rel.split(sep).join('/');
  if (!options.externalData.has(key)) {
    throw invalid(
      `the model reads external data from ${label(location)}, which the job spec does not provide`,
    );
  }
  return key;
}

interface Walk {
  options: ModelCheckOptions;
  externalFiles: Set<string>;
  localFunctions: Set<string>;
  domains: Set<string>;
  /** Operator domains the model imports an opset of ('' for ai.onnx). */
  imported?: Set<string>;
  nodes: number;
}

function checkTensor(t: Tensor, walk: Walk, where: string): void {
  const dataType = t.dataType ?? 0;
  if (!(dataType in ELEM_BYTES)) throw invalid(`${where} has the unknown data type ${dataType}`);
  const dims = (t.dims ?? []).map(num);
  if (dims.length > MAX_RANK) throw invalid(`${where} has ${dims.length} dimensions`);
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw invalid(`${where} declares the dimension ${d}`);
    if (d > MAX_DIM) throw invalid(`${where} declares the absurd dimension ${d}`);
    count *= d;
    if (count > MAX_DIM) throw invalid(`${where} declares an absurd size (${dims.join('×')})`);
  }
  const elem = ELEM_BYTES[dataType] ?? 0;
  if (t.dataLocation === 1) {
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const file = checkExternalLocation(entries.get('location') ?? '', walk.options);
    walk.externalFiles.add(file);
    const size = walk.options.externalData.get(file) ?? 0;
    const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
    const length = entries.has('length') ? Number(entries.get('length')) : size - offset;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0
    ) {
      throw invalid(`${where} has a bad external data offset or length`);
    }
    if (offset + length > size) {
      throw invalid(
        `${where} reads bytes ${offset}–${offset + length} of ${label(file)}, which has ${size}`,
      );
    }
    if (elem > 0 && length !== Math.ceil(count * elem)) {
      throw invalid(`${where} is ${dims.join('×')} but has ${length} bytes of external data`);
    }
    return;
  }
  if (
    t.rawData &&
    t.rawData.length > 0 &&
    elem > 0 &&
    t.rawData.length !== Math.ceil(count * elem)
  ) {
    throw invalid(
      `${where} is ${dims.join('×') || 'a scalar'} but holds ${t.rawData.length} bytes`,
    );
  }
  const typed =
    (t.floatData?.length ?? 0) +
    (t.int32Data?.length ?? 0) +
    (t.int64Data?.length ?? 0) +
    (t.doubleData?.length ?? 0) +
    (t.uint64Data?.length ?? 0) +
    (t.stringData?.length ?? 0);
  if (count > 0 && (t.rawData?.length ?? 0) === 0 && typed === 0) {
    throw invalid(`${where} is ${dims.join('×') || 'a scalar'} but holds no data`);
  }
  if (typed > 0 && [1, 6, 7, 11, 13, 12].includes(dataType) && typed !== count) {
    throw invalid(`${where} is ${dims.join('×') || 'a scalar'} but holds ${typed} values`);
  }
}

function facts(
  v: ValueInfo,
  where: string,
  cap: { bytes: number; what: string } | undefined,
): TensorFacts {
  const type = v.type;
  const name = v.name ?? '';
  if (!type?.tensorType) {
    return {
      name,
      dtype: type?.sequenceType ? 'sequence' : type?.mapType ? 'map' : 'unknown',
      shape: [],
      isTensor: false,
    };
  }
  const elemType = type.tensorType.elemType ?? 0;
  if (!(elemType in ELEM_BYTES))
    throw invalid(`${where} ${label(name)} has the unknown data type ${elemType}`);
  const dims = type.tensorType.shape?.dim ?? [];
  if (dims.length > MAX_RANK)
    throw invalid(`${where} ${label(name)} has ${dims.length} dimensions`);
  const shape: (number | string)[] = [];
  let fixed = 1;
  for (const d of dims) {
    if (
      d.dimValue !== undefined &&
      d.dimValue !== null &&
      (d as { value?: string }).value === 'dimValue'
    ) {
      const n = num(d.dimValue);
      if (!Number.isSafeInteger(n) || n < 0) {
        throw invalid(`${where} ${label(name)} declares the dimension ${n}`);
      }
      if (n > MAX_DIM) throw invalid(`${where} ${label(name)} declares the absurd dimension ${n}`);
      fixed *= n;
      shape.push(n);
    } else {
      shape.push(d.dimParam ? d.dimParam.slice(0, 100) : '?');
    }
  }
  if (cap && fixed * (ELEM_BYTES[elemType] ?? 1) > cap.bytes) {
    throw new ModelProblem(
      cap.what === 'output' ? 'output-too-large' : 'too-large',
      `${where} ${label(name)} is declared as ${shape.join('×')}, over the ${cap.what} limit of ${cap.bytes} bytes`,
    );
  }
  return {
    name,
    dtype: NPY_OF_ELEM[elemType] ?? ELEM_NAMES[elemType] ?? `type ${elemType}`,
    shape,
    isTensor: true,
  };
}

function walkGraph(graph: Graph, walk: Walk, depth: number, main: boolean): void {
  if (depth > MAX_DEPTH) throw invalid(`subgraphs nest deeper than ${MAX_DEPTH}`);
  const where = main ? 'the graph' : 'a subgraph';
  for (const t of graph.initializer ?? []) checkTensor(t, walk, `initializer ${label(t.name)}`);
  for (const s of graph.sparseInitializer ?? []) {
    if (s.values)
      checkTensor(s.values as Tensor, walk, `sparse initializer ${label(s.values.name)}`);
  }
  const nodes = graph.node ?? [];
  walk.nodes += nodes.length;
  if (walk.nodes > MAX_NODES) throw invalid(`the model has more than ${MAX_NODES} nodes`);

  const produced = new Map<string, number>();
  nodes.forEach((node, index) => {
    const opType = node.opType ?? '';
    if (!opType || opType.length > 128)
      throw invalid(`node ${index} of ${where} has no valid operator name`);
    const domain = node.domain ?? '';
    if (!ALLOWED_DOMAINS.has(domain) && !walk.localFunctions.has(`${domain}::${opType}`)) {
      throw unsupported(
        `the model uses the custom operator ${label(opType)} from the domain ${label(domain)}; Roost runs only the operators built into onnxruntime`,
      );
    }
    const normalized = domain === 'ai.onnx' ? '' : domain;
    if (
      walk.imported &&
      !walk.imported.has(normalized) &&
      !walk.localFunctions.has(`${domain}::${opType}`)
    ) {
      throw invalid(
        `node ${label(node.name || opType)} uses the domain ${label(domain || 'ai.onnx')}, but the model imports no opset of it`,
      );
    }
    for (const out of node.output ?? []) {
      if (!out) continue;
      if (produced.has(out)) throw invalid(`${where} computes ${label(out)} twice`);
      produced.set(out, index);
    }
    for (const attr of node.attribute ?? []) {
      if (attr.t)
        checkTensor(attr.t as Tensor, walk, `a constant of node ${label(node.name || opType)}`);
      for (const t of attr.tensors ?? [])
        checkTensor(t as Tensor, walk, `a constant of node ${label(node.name || opType)}`);
      if (attr.g) walkGraph(attr.g as Graph, walk, depth + 1, false);
      for (const g of attr.graphs ?? []) walkGraph(g as Graph, walk, depth + 1, false);
    }
  });

  if (!main) return;
  // Every node input must come from a graph input, an initializer or an earlier node; a node
  // that needs a later one is either unsorted or on a cycle. Kahn's algorithm tells which.
  const available = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ''),
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
    ...(graph.sparseInitializer ?? []).map((s) => s.values?.name ?? ''),
  ]);
  const waiting = new Map<number, number>();
  const consumers = new Map<string, number[]>();
  nodes.forEach((node, index) => {
    let missing = 0;
    for (const input of node.input ?? []) {
      if (!input || available.has(input)) continue;
      if (!produced.has(input)) {
        throw invalid(
          `node ${label(node.name || node.opType)} reads ${label(input)}, which nothing in the graph provides`,
        );
      }
      missing++;
      consumers.set(input, [...(consumers.get(input) ?? []), index]);
    }
    waiting.set(index, missing);
  });
  const ready = [...waiting].filter(([, m]) => m === 0).map(([i]) => i);
  let done = 0;
  while (ready.length > 0) {
    const index = ready.pop() as number;
    done++;
    for (const out of nodes[index]?.output ?? []) {
      for (const consumer of consumers.get(out) ?? []) {
        const left = (waiting.get(consumer) ?? 0) - 1;
        waiting.set(consumer, left);
        if (left === 0) ready.push(consumer);
      }
    }
  }
  if (done !== nodes.length) throw invalid('the graph has a cycle');
  for (const out of graph.output ?? []) {
    const name = out.name ?? '';
    if (!produced.has(name) && !available.has(name)) {
      throw invalid(`the graph output ${label(name)} is computed by no node`);
    }
  }
}

/** Parses and checks the model file; never throws. */
export async function checkModel(
  modelPath: string,
  options: ModelCheckOptions,
  limits: { maxInputBytes: number; maxOutputBytes: number },
): Promise<JobResult<ModelFacts>> {
  let bytes: Uint8Array;
  try {
    const info = await stat(modelPath);
    if (info.size > options.maxModelBytes) {
      return fail(
        'too-large',
        `the model is ${info.size} bytes, over the limit of ${options.maxModelBytes} bytes`,
      );
    }
    bytes = await readFile(modelPath);
  } catch (error) {
    return fail('io-error', `the model could not be read: ${messageOf(error)}`);
  }
  return checkModelBytes(bytes, options, limits);
}

export function checkModelBytes(
  bytes: Uint8Array,
  options: ModelCheckOptions,
  limits: { maxInputBytes: number; maxOutputBytes: number },
): JobResult<ModelFacts> {
  if (bytes.length === 0) return fail('model-invalid', 'the model file is empty');
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    return fail('model-invalid', `the model is not a valid ONNX file: ${messageOf(error)}`);
  }
  try {
    const irVersion = num(model.irVersion);
    if (!Number.isSafeInteger(irVersion) || irVersion < 3) {
      throw invalid(`the model has no valid IR version (${irVersion}); is it an ONNX file?`);
    }
    if (irVersion > MAX_IR_VERSION) {
      throw unsupported(
        `the model's IR version ${irVersion} is newer than this onnxruntime reads (${MAX_IR_VERSION})`,
      );
    }
    if (!model.graph) throw invalid('the model has no graph');
    const opsets = (model.opsetImport ?? []).map((o) => ({
      domain: o.domain ?? '',
      version: num(o.version),
    }));
    if (opsets.length === 0) throw invalid('the model imports no operator set');
    const localFunctions = new Set(
      (model.functions ?? []).map((f) => `${f.domain ?? ''}::${f.name ?? ''}`),
    );
    // Importing a domain loads nothing: exporters import domains they never use (Silero VAD's
    // imports onnxruntime's internal ones). Only an operator a node uses is judged, below.
    for (const o of opsets) {
      if (
        !Number.isSafeInteger(o.version) ||
        o.version < 1 ||
        (o.domain === '' && o.version > MAX_OPSET)
      ) {
        throw unsupported(
          `the model asks for opset ${o.version} of ${label(o.domain || 'ai.onnx')}`,
        );
      }
    }
    const walk: Walk = {
      options,
      externalFiles: new Set(),
      localFunctions,
      domains: new Set(),
      nodes: 0,
    };
    walk.imported = new Set(opsets.map((o) => (o.domain === 'ai.onnx' ? '' : o.domain)));
    for (const f of model.functions ?? []) {
      for (const node of f.node ?? []) {
        const domain = node.domain ?? '';
        if (
          !ALLOWED_DOMAINS.has(domain) &&
          !localFunctions.has(`${domain}::${node.opType ?? ''}`)
        ) {
          throw unsupported(
            `the model's function ${label(f.name)} uses the custom operator ${label(node.opType)} from ${label(domain)}`,
          );
        }
      }
    }
    walkGraph(model.graph as Graph, walk, 0, true);
    const initializers = new Set((model.graph.initializer ?? []).map((t) => t.name ?? ''));
    const inputs = (model.graph.input ?? [])
      .filter((v) => !initializers.has(v.name ?? ''))
      .map((v) => facts(v as ValueInfo, 'input', { bytes: limits.maxInputBytes, what: 'input' }));
    const outputs = (model.graph.output ?? []).map((v) =>
      facts(v as ValueInfo, 'output', { bytes: limits.maxOutputBytes, what: 'output' }),
    );
    if (outputs.length === 0) throw invalid('the model has no outputs');
    const names = new Set<string>();
    for (const t of [...inputs, ...outputs]) {
      if (!t.name) throw invalid('a graph input or output has no name');
    }
    for (const t of inputs) {
      if (names.has(t.name)) throw invalid(`the input ${label(t.name)} is declared twice`);
      names.add(t.name);
    }
    return {
      ok: true,
      value: {
        irVersion,
        opsets,
        inputs,
        outputs,
        externalFiles: [...walk.externalFiles].sort(),
        nodeCount: walk.nodes,
      },
    };
  } catch (error) {
    if (error instanceof ModelProblem) return fail(error.code, error.message);
    if (error instanceof RangeError)
      return fail('model-invalid', `the model is malformed: ${error.message}`);
    return fail('model-invalid', `the model could not be checked: ${messageOf(error)}`);
  }
}

/**
 * The external-data file names a model's initializers refer to, unchecked (for `roost job run`,
 * which adds the files beside the model to the spec; the full check comes later). Empty when the
 * bytes do not parse.
 */
export function externalLocations(bytes: Uint8Array): string[] {
  try {
    const model = onnx.ModelProto.decode(bytes);
    const found = new Set<string>();
    for (const t of model.graph?.initializer ?? []) {
      if (t.dataLocation !== 1) continue;
      const location = (t.externalData ?? []).find((e) => e.key === 'location')?.value;
      if (location) found.add(location);
    }
    return [...found].sort();
  } catch {
    return [];
  }
}
