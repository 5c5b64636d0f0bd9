/**
 * The suite's ONNX models and inputs, generated in code with onnx-proto: the same bytes every
 * time (suite.test.ts checks the sha256 of each against the suite definition).
 *
 * Rules every model follows:
 * - no node can be computed before the run: each graph depends on a runtime input from its first
 *   node on. Where both operands of the heavy op would otherwise be constants (GEMM, bandwidth),
 *   the operands are graph inputs; the networks keep their weights as initializers, because their
 *   runtime image/token input already rules out folding;
 * - outputs are reduced in the graph (row sums, logits, a mean over the sequence), so copying
 *   the answer back costs nothing next to the work;
 * - only opset-17 standard operators every execution provider implements.
 */
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import { toFloat16, uniformFloat32 } from './prng.ts';
import type {
  BandwidthParams,
  BenchDtype,
  CnnParams,
  DecodeParams,
  GemmParams,
  TransformerParams,
  WorkloadParams,
} from './schema.ts';

const { onnx } = onnxProto;

const IR_VERSION = 8;
const OPSET = 17;
const FLOAT = 1;
const INT64 = 7;
const FLOAT16 = 10;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

export const ONNX_IR_VERSION = IR_VERSION;
export const ONNX_OPSET = OPSET;

/** A generated input: its raw little-endian bytes and the values the model sees. */
export interface GeneratedInput {
  name: string;
  dtype: BenchDtype;
  dims: number[];
  bytes: Uint8Array;
  /** The exact values (float16 inputs: already rounded), for the reference. */
  values: Float32Array;
}

export interface GeneratedWorkload {
  model: Uint8Array;
  inputs: GeneratedInput[];
  outputs: string[];
  /** Initializer values by name, for the reference. */
  weights: Map<string, Float32Array>;
}

// ---------------------------------------------------------------------------------------------
// Graph building

type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

function elemType(dtype: BenchDtype): number {
  return dtype === 'float16' ? FLOAT16 : FLOAT;
}

function valueInfo(name: string, type: number, dims: readonly number[]) {
  return {
    name,
    type: { tensorType: { elemType: type, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

function littleEndianBytes(values: Float32Array | Uint16Array): Uint8Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
    throw new Error('the benchmark models are written on little-endian machines only');
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: ATTR_INT, i }),
  ints: (name: string, ints: number[]): AttributeProto => ({ name, type: ATTR_INTS, ints }),
  float: (name: string, f: number): AttributeProto => ({ name, type: ATTR_FLOAT, f }),
};

class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly weights = new Map<string, Float32Array>();
  #count = 0;

  readonly seed: number;
  readonly workloadId: string;

  constructor(seed: number, workloadId: string) {
    this.seed = seed;
    this.workloadId = workloadId;
  }

  node(op: string, inputs: string[], attributes: AttributeProto[] = [], output?: string): string {
    this.#count += 1;
    const out = output ?? `${op.toLowerCase()}_${this.#count}`;
    this.nodes.push({
      name: `n${this.#count}_${op}`,
      opType: op,
      input: inputs,
      output: [out],
      ...(attributes.length > 0 ? { attribute: attributes } : {}),
    });
    return out;
  }

  /** A float32 initializer with values uniform in [lo, hi) from the tensor's own stream. */
  weight(name: string, dims: number[], lo: number, hi: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const values = uniformFloat32(this.seed, this.workloadId, name, count, lo, hi);
    this.weights.set(name, values);
    this.initializers.push({ name, dataType: FLOAT, dims, rawData: littleEndianBytes(values) });
    return name;
  }

  /** A float32 constant (scalar when dims is []). */
  constant(name: string, dims: number[], values: number[]): string {
    const data = Float32Array.from(values);
    this.weights.set(name, data);
    this.initializers.push({ name, dataType: FLOAT, dims, rawData: littleEndianBytes(data) });
    return name;
  }

  /** A generated tensor as an initializer (its values in `weights` for the reference). */
  initializer(t: GeneratedInput): string {
    this.weights.set(t.name, t.values);
    this.initializers.push({
      name: t.name,
      dataType: elemType(t.dtype),
      dims: t.dims,
      rawData: t.bytes,
    });
    return t.name;
  }

  /** An int64 scalar constant. */
  int64(name: string, value: number): string {
    this.initializers.push({ name, dataType: INT64, dims: [], int64Data: [value] });
    return name;
  }

  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, dataType: INT64, dims: [values.length], int64Data: values });
    return name;
  }

  encode(
    graphName: string,
    inputs: ReturnType<typeof valueInfo>[],
    outputs: ReturnType<typeof valueInfo>[],
  ): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'roost-bench',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: inputs,
        output: outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function input(
  seed: number,
  workloadId: string,
  name: string,
  dtype: BenchDtype,
  dims: number[],
  lo: number,
  hi: number,
): GeneratedInput {
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = uniformFloat32(seed, workloadId, name, count, lo, hi);
  if (dtype === 'float16') {
    const half = toFloat16(raw);
    return { name, dtype, dims, bytes: littleEndianBytes(half.bits), values: half.values };
  }
  return { name, dtype, dims, bytes: littleEndianBytes(raw), values: raw };
}

/** Uniform bound giving variance 1/fanIn: activations keep their size layer after layer. */
function unitVariance(fanIn: number): number {
  return Math.sqrt(3 / fanIn);
}

/** GELU, tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function gelu(g: GraphBuilder, x: string, prefix: string): string {
  const cube = g.node('Mul', [g.node('Mul', [x, x]), x]);
  const k = g.constant(`${prefix}.gelu_k`, [], [0.044715]);
  const c = g.constant(`${prefix}.gelu_c`, [], [Math.sqrt(2 / Math.PI)]);
  const half = g.constant(`${prefix}.gelu_half`, [], [0.5]);
  const one = g.constant(`${prefix}.gelu_one`, [], [1]);
  const inner = g.node('Mul', [g.node('Add', [x, g.node('Mul', [cube, k])]), c]);
  return g.node('Mul', [g.node('Mul', [x, half]), g.node('Add', [g.node('Tanh', [inner]), one])]);
}

function layerNorm(g: GraphBuilder, x: string, prefix: string, dim: number): string {
  const scale = g.weight(`${prefix}.scale`, [dim], 0.9, 1.1);
  const bias = g.weight(`${prefix}.bias`, [dim], -0.05, 0.05);
  return g.node(
    'LayerNormalization',
    [x, scale, bias],
    [attr.int('axis', -1), attr.float('epsilon', 1e-5)],
  );
}

// ---------------------------------------------------------------------------------------------
// The workloads

/** X ← X·W, `chain` times; output: the row sums of the result (float32). */
function gemm(seed: number, id: string, p: GemmParams): GeneratedWorkload {
  const g = new GraphBuilder(seed, id);
  const x = input(seed, id, 'x', p.dtype, [p.n, p.n], -1, 1);
  const bound = unitVariance(p.n);
  const w = input(seed, id, 'w', p.dtype, [p.n, p.n], -bound, bound);
  if (p.wInModel) g.initializer(w);
  let h = 'x';
  for (let i = 0; i < p.chain; i++) h = g.node('MatMul', [h, 'w']);
  if (p.dtype === 'float16') h = g.node('Cast', [h], [attr.int('to', FLOAT)]);
  g.node('ReduceSum', [h, g.int64s('axes', [1])], [attr.int('keepdims', 0)], 'y');
  const inputs = p.wInModel ? [x] : [x, w];
  const model = g.encode(
    id,
    inputs.map((i) => valueInfo(i.name, elemType(p.dtype), i.dims)),
    [valueInfo('y', FLOAT, [p.n])],
  );
  return { model, inputs, outputs: ['y'], weights: g.weights };
}

/**
 * A rows×cols tensor tiled from a seedRows×cols input, then `pairs` times ·a_i +b_i by runtime
 * scalars; output: its row sums. Each element-wise op reads and writes the whole tensor.
 */
function bandwidth(seed: number, id: string, p: BandwidthParams): GeneratedWorkload {
  if (p.rows % p.seedRows !== 0) throw new Error(`${id}: rows must be a multiple of seedRows`);
  const g = new GraphBuilder(seed, id);
  const inputs = [input(seed, id, 'seed', 'float32', [p.seedRows, p.cols], -1, 1)];
  if (p.packed) {
    const scales = uniformFloat32(seed, id, 'scales', p.pairs, 0.9, 1.1);
    const shifts = uniformFloat32(seed, id, 'shifts', p.pairs, -0.1, 0.1);
    const values = new Float32Array(2 * p.pairs);
    values.set(scales);
    values.set(shifts, p.pairs);
    const dims = [2 * p.pairs];
    inputs.push({
      name: 'coefficients',
      dtype: 'float32',
      dims,
      bytes: littleEndianBytes(values),
      values,
    });
  }
  const scalar = (name: string, at: number, lo: number, hi: number): string => {
    if (p.packed) return g.node('Gather', ['coefficients', g.int64(`at_${name}`, at)]);
    inputs.push(input(seed, id, name, 'float32', [1], lo, hi));
    return name;
  };
  let t = g.node('Tile', ['seed', g.int64s('repeats', [p.rows / p.seedRows, 1])]);
  for (let i = 0; i < p.pairs; i++) {
    const a = scalar(`a${i}`, i, 0.9, 1.1);
    const b = scalar(`b${i}`, p.pairs + i, -0.1, 0.1);
    t = g.node('Add', [g.node('Mul', [t, a]), b]);
  }
  g.node('ReduceSum', [t, g.int64s('axes', [1])], [attr.int('keepdims', 0)], 'y');
  const model = g.encode(
    id,
    inputs.map((i) => valueInfo(i.name, FLOAT, i.dims)),
    [valueInfo('y', FLOAT, [p.rows])],
  );
  return { model, inputs, outputs: ['y'], weights: g.weights };
}

/** 3×3 convolutions with ReLU, global average pool, a linear classifier; output: the logits. */
function cnn(seed: number, id: string, p: CnnParams): GeneratedWorkload {
  const g = new GraphBuilder(seed, id);
  const image = input(seed, id, 'image', 'float32', [p.batch, 3, p.size, p.size], -1, 1);
  let x = 'image';
  let channels = 3;
  p.layers.forEach((layer, i) => {
    const fanIn = channels * 9;
    const bound = Math.sqrt(6 / fanIn); // He: keeps the size of ReLU activations
    const w = g.weight(`conv${i}.weight`, [layer.channels, channels, 3, 3], -bound, bound);
    const b = g.weight(`conv${i}.bias`, [layer.channels], -0.1, 0.1);
    x = g.node(
      'Conv',
      [x, w, b],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('pads', [1, 1, 1, 1]),
        attr.ints('strides', [layer.stride, layer.stride]),
      ],
    );
    x = g.node('Relu', [x]);
    channels = layer.channels;
  });
  x = g.node('Flatten', [g.node('GlobalAveragePool', [x])], [attr.int('axis', 1)]);
  const bound = unitVariance(channels);
  const fc = g.weight('fc.weight', [p.classes, channels], -bound, bound);
  const fcb = g.weight('fc.bias', [p.classes], -0.1, 0.1);
  g.node('Gemm', [x, fc, fcb], [attr.int('transB', 1)], 'logits');
  const model = g.encode(
    id,
    [valueInfo('image', FLOAT, image.dims)],
    [valueInfo('logits', FLOAT, [p.batch, p.classes])],
  );
  return { model, inputs: [image], outputs: ['logits'], weights: g.weights };
}

/** One pre-LayerNorm encoder block; output: the mean over the sequence of each sequence. */
function transformer(seed: number, id: string, p: TransformerParams): GeneratedWorkload {
  if (p.dim % p.heads !== 0) throw new Error(`${id}: dim must be a multiple of heads`);
  const g = new GraphBuilder(seed, id);
  const { batch: b, seq: s, dim: d, heads: h, ffn: f } = p;
  const dh = d / h;
  const x = input(seed, id, 'x', 'float32', [b, s, d], -1, 1);
  const linear = (from: string, name: string, inDim: number, outDim: number) =>
    g.node('Add', [
      g.node('MatMul', [
        from,
        g.weight(`${name}.weight`, [inDim, outDim], -unitVariance(inDim), unitVariance(inDim)),
      ]),
      g.weight(`${name}.bias`, [outDim], -0.02, 0.02),
    ]);
  const ln1 = layerNorm(g, 'x', 'ln1', d);
  const heads4 = g.int64s('shape.heads', [b, s, h, dh]);
  const split = (t: string, perm: number[]) =>
    g.node('Transpose', [g.node('Reshape', [t, heads4])], [attr.ints('perm', perm)]);
  const q = split(linear(ln1, 'q', d, d), [0, 2, 1, 3]);
  const k = split(linear(ln1, 'k', d, d), [0, 2, 3, 1]);
  const v = split(linear(ln1, 'v', d, d), [0, 2, 1, 3]);
  const scale = g.constant('attn.scale', [], [1 / Math.sqrt(dh)]);
  const probs = g.node(
    'Softmax',
    [g.node('Mul', [g.node('MatMul', [q, k]), scale])],
    [attr.int('axis', -1)],
  );
  const ctx = g.node('Reshape', [
    g.node('Transpose', [g.node('MatMul', [probs, v])], [attr.ints('perm', [0, 2, 1, 3])]),
    g.int64s('shape.model', [b, s, d]),
  ]);
  const x1 = g.node('Add', ['x', linear(ctx, 'o', d, d)]);
  const ln2 = layerNorm(g, x1, 'ln2', d);
  const ff = linear(gelu(g, linear(ln2, 'ffn1', d, f), 'ffn'), 'ffn2', f, d);
  const out = g.node('Add', [x1, ff]);
  g.node('ReduceMean', [out], [attr.ints('axes', [1]), attr.int('keepdims', 0)], 'y');
  const model = g.encode(id, [valueInfo('x', FLOAT, x.dims)], [valueInfo('y', FLOAT, [b, d])]);
  return { model, inputs: [x], outputs: ['y'], weights: g.weights };
}

/**
 * One decode step for `batch` sequences through `layers` layers: single-query attention over a
 * key/value cache of `context` tokens, then the MLP. Weight-bound, like LLM token generation.
 * Output: the new hidden state of each sequence.
 */
function decode(seed: number, id: string, p: DecodeParams): GeneratedWorkload {
  if (p.dim % p.heads !== 0) throw new Error(`${id}: dim must be a multiple of heads`);
  const g = new GraphBuilder(seed, id);
  const { batch: b, dim: d, heads: h, ffn: f, context: t } = p;
  const dh = d / h;
  const x = input(seed, id, 'x', 'float32', [b, d], -1, 1);
  const matmul = (from: string, name: string, inDim: number, outDim: number) =>
    g.node('MatMul', [
      from,
      g.weight(name, [inDim, outDim], -unitVariance(inDim), unitVariance(inDim)),
    ]);
  const queryShape = g.int64s('shape.query', [b, h, 1, dh]);
  const modelShape = g.int64s('shape.model', [b, d]);
  const scale = g.constant('attn.scale', [], [1 / Math.sqrt(dh)]);
  let hidden = 'x';
  for (let l = 0; l < p.layers; l++) {
    const ln1 = layerNorm(g, hidden, `l${l}.ln1`, d);
    const q = g.node('Reshape', [matmul(ln1, `l${l}.q`, d, d), queryShape]);
    const keysT = g.weight(`l${l}.keys_t`, [b, h, dh, t], -1, 1);
    const values = g.weight(`l${l}.values`, [b, h, t, dh], -1, 1);
    const probs = g.node(
      'Softmax',
      [g.node('Mul', [g.node('MatMul', [q, keysT]), scale])],
      [attr.int('axis', -1)],
    );
    const ctx = g.node('Reshape', [g.node('MatMul', [probs, values]), modelShape]);
    hidden = g.node('Add', [hidden, matmul(ctx, `l${l}.o`, d, d)]);
    const ln2 = layerNorm(g, hidden, `l${l}.ln2`, d);
    const ff = matmul(gelu(g, matmul(ln2, `l${l}.ffn1`, d, f), `l${l}`), `l${l}.ffn2`, f, d);
    hidden = g.node('Add', [hidden, ff], [], l === p.layers - 1 ? 'y' : undefined);
  }
  const model = g.encode(id, [valueInfo('x', FLOAT, x.dims)], [valueInfo('y', FLOAT, [b, d])]);
  return { model, inputs: [x], outputs: ['y'], weights: g.weights };
}

/** The model, inputs and weights of one workload of a suite with this seed. */
export function generateWorkload(
  seed: number,
  workloadId: string,
  params: WorkloadParams,
): GeneratedWorkload {
  switch (params.kind) {
    case 'gemm':
      return gemm(seed, workloadId, params);
    case 'bandwidth':
      return bandwidth(seed, workloadId, params);
    case 'cnn':
      return cnn(seed, workloadId, params);
    case 'transformer':
      return transformer(seed, workloadId, params);
    case 'decode':
      return decode(seed, workloadId, params);
  }
}

export function sha256Hex(...parts: Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** sha256 of the model bytes, and of the input bytes in input order. */
export function workloadHashes(w: GeneratedWorkload): { model: string; inputs: string } {
  return { model: sha256Hex(w.model), inputs: sha256Hex(...w.inputs.map((i) => i.bytes)) };
}
