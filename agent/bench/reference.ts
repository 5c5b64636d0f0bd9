/**
 * The accuracy gate's CPU reference: each workload's outputs computed again in plain JavaScript
 * in float64, from the same generated inputs and weights, sharing no code with onnxruntime. The
 * GEMM chain and the bandwidth stream have closed forms (a matrix-vector chain, an affine map),
 * so their references cost O(n²) instead of O(n³); the networks are computed in full.
 *
 * The work is cut into slices with a turn of the event loop between them, so the agent keeps
 * answering while a reference is computed (it runs while the benchmark child measures).
 */
import type { GeneratedWorkload } from './models.ts';
import type {
  BandwidthParams,
  CnnParams,
  DecodeParams,
  GemmParams,
  TransformerParams,
  WorkloadParams,
} from './schema.ts';

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`reference: ${what} is missing`);
  return value;
}

function inputValues(w: GeneratedWorkload, name: string): Float32Array {
  return need(w.inputs.find((i) => i.name === name)?.values, `input ${name}`);
}

function weight(w: GeneratedWorkload, name: string): Float32Array {
  return need(w.weights.get(name), `weight ${name}`);
}

/** out[m×n] = a[m×k] · b[k×n] (+ bias[n]), b row-major as ONNX MatMul's second operand. */
function matmul(
  a: Float64Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  bias?: Float32Array,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    if (bias) for (let j = 0; j < n; j++) out[row + j] = bias[j] ?? 0;
    for (let kk = 0; kk < k; kk++) {
      const av = a[i * k + kk] ?? 0;
      if (av === 0) continue;
      const brow = kk * n;
      for (let j = 0; j < n; j++) out[row + j] = (out[row + j] ?? 0) + av * (b[brow + j] ?? 0);
    }
  }
  return out;
}

/** LayerNormalization over the last axis of rows×dim, epsilon 1e-5 (population variance). */
function layerNorm(
  x: Float64Array,
  rows: number,
  dim: number,
  scale: Float32Array,
  bias: Float32Array,
): Float64Array {
  const out = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let d = 0; d < dim; d++) mean += x[r * dim + d] ?? 0;
    mean /= dim;
    let variance = 0;
    for (let d = 0; d < dim; d++) variance += ((x[r * dim + d] ?? 0) - mean) ** 2;
    variance /= dim;
    const inv = 1 / Math.sqrt(variance + 1e-5);
    for (let d = 0; d < dim; d++)
      out[r * dim + d] = ((x[r * dim + d] ?? 0) - mean) * inv * (scale[d] ?? 0) + (bias[d] ?? 0);
  }
  return out;
}

function geluInPlace(x: Float64Array): Float64Array {
  const c = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] ?? 0;
    x[i] = 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)));
  }
  return x;
}

function softmaxInPlace(x: Float64Array, from: number, length: number): void {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, x[from + i] ?? -Infinity);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const e = Math.exp((x[from + i] ?? 0) - max);
    x[from + i] = e;
    sum += e;
  }
  for (let i = 0; i < length; i++) x[from + i] = (x[from + i] ?? 0) / sum;
}

function addInPlace(target: Float64Array, other: Float64Array): Float64Array {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) + (other[i] ?? 0);
  return target;
}

// ---------------------------------------------------------------------------------------------

/** rowsum(X·W^L) = X·(W^L·1): L matrix-vector products instead of L matrix products. */
async function gemm(w: GeneratedWorkload, p: GemmParams): Promise<Float64Array> {
  const x = inputValues(w, 'x');
  const m = p.wInModel ? weight(w, 'w') : inputValues(w, 'w');
  const n = p.n;
  let v = new Float64Array(n).fill(1);
  for (let step = 0; step < p.chain; step++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += (m[i * n + j] ?? 0) * (v[j] ?? 0);
      next[i] = s;
    }
    v = next;
    await yieldToLoop();
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (x[i * n + j] ?? 0) * (v[j] ?? 0);
    y[i] = s;
  }
  return y;
}

/** Every element goes through the same affine map A·x + B, so a row sums to A·Σx + B·cols. */
function bandwidth(w: GeneratedWorkload, p: BandwidthParams): Float64Array {
  const seed = inputValues(w, 'seed');
  const packed = p.packed ? inputValues(w, 'coefficients') : undefined;
  let a = 1;
  let b = 0;
  for (let i = 0; i < p.pairs; i++) {
    const ai = (packed ? packed[i] : inputValues(w, `a${i}`)[0]) ?? 0;
    const bi = (packed ? packed[p.pairs + i] : inputValues(w, `b${i}`)[0]) ?? 0;
    a *= ai;
    b = b * ai + bi;
  }
  const seedSums = new Float64Array(p.seedRows);
  for (let r = 0; r < p.seedRows; r++) {
    let s = 0;
    for (let c = 0; c < p.cols; c++) s += seed[r * p.cols + c] ?? 0;
    seedSums[r] = s;
  }
  const y = new Float64Array(p.rows);
  for (let r = 0; r < p.rows; r++) y[r] = a * (seedSums[r % p.seedRows] ?? 0) + b * p.cols;
  return y;
}

function conv3x3Relu(
  input: Float64Array,
  cin: number,
  size: number,
  weights: Float32Array,
  bias: Float32Array,
  cout: number,
  stride: number,
): { out: Float64Array; size: number } {
  const outSize = Math.floor((size - 1) / stride) + 1;
  const out = new Float64Array(cout * outSize * outSize);
  for (let co = 0; co < cout; co++) {
    const plane = co * outSize * outSize;
    out.fill(bias[co] ?? 0, plane, plane + outSize * outSize);
    for (let ci = 0; ci < cin; ci++) {
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const wv = weights[((co * cin + ci) * 3 + ky) * 3 + kx] ?? 0;
          for (let oy = 0; oy < outSize; oy++) {
            const iy = oy * stride + ky - 1;
            if (iy < 0 || iy >= size) continue;
            const inRow = (ci * size + iy) * size;
            const outRow = plane + oy * outSize;
            for (let ox = 0; ox < outSize; ox++) {
              const ix = ox * stride + kx - 1;
              if (ix < 0 || ix >= size) continue;
              out[outRow + ox] = (out[outRow + ox] ?? 0) + wv * (input[inRow + ix] ?? 0);
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < out.length; i++) if ((out[i] ?? 0) < 0) out[i] = 0;
  return { out, size: outSize };
}

async function cnn(w: GeneratedWorkload, p: CnnParams): Promise<Float64Array> {
  const image = inputValues(w, 'image');
  const pixels = 3 * p.size * p.size;
  const logits = new Float64Array(p.batch * p.classes);
  for (let b = 0; b < p.batch; b++) {
    let x: Float64Array = Float64Array.from(image.subarray(b * pixels, (b + 1) * pixels));
    let channels = 3;
    let size = p.size;
    for (const [i, layer] of p.layers.entries()) {
      const r = conv3x3Relu(
        x,
        channels,
        size,
        weight(w, `conv${i}.weight`),
        weight(w, `conv${i}.bias`),
        layer.channels,
        layer.stride,
      );
      x = r.out;
      size = r.size;
      channels = layer.channels;
      await yieldToLoop();
    }
    const pooled = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      let s = 0;
      for (let i = 0; i < size * size; i++) s += x[c * size * size + i] ?? 0;
      pooled[c] = s / (size * size);
    }
    const fc = weight(w, 'fc.weight');
    const fcb = weight(w, 'fc.bias');
    for (let k = 0; k < p.classes; k++) {
      let s = fcb[k] ?? 0;
      for (let c = 0; c < channels; c++) s += (fc[k * channels + c] ?? 0) * (pooled[c] ?? 0);
      logits[b * p.classes + k] = s;
    }
  }
  return logits;
}

async function transformer(w: GeneratedWorkload, p: TransformerParams): Promise<Float64Array> {
  const { batch, seq: s, dim: d, heads: h, ffn: f } = p;
  const dh = d / h;
  const input = inputValues(w, 'x');
  const y = new Float64Array(batch * d);
  const scale = 1 / Math.sqrt(dh);
  for (let b = 0; b < batch; b++) {
    const x = Float64Array.from(input.subarray(b * s * d, (b + 1) * s * d));
    const ln1 = layerNorm(x, s, d, weight(w, 'ln1.scale'), weight(w, 'ln1.bias'));
    const q = matmul(ln1, weight(w, 'q.weight'), s, d, d, weight(w, 'q.bias'));
    const k = matmul(ln1, weight(w, 'k.weight'), s, d, d, weight(w, 'k.bias'));
    const v = matmul(ln1, weight(w, 'v.weight'), s, d, d, weight(w, 'v.bias'));
    const ctx = new Float64Array(s * d);
    const scores = new Float64Array(s);
    for (let head = 0; head < h; head++) {
      const off = head * dh;
      for (let i = 0; i < s; i++) {
        for (let j = 0; j < s; j++) {
          let dot = 0;
          for (let e = 0; e < dh; e++) dot += (q[i * d + off + e] ?? 0) * (k[j * d + off + e] ?? 0);
          scores[j] = dot * scale;
        }
        softmaxInPlace(scores, 0, s);
        for (let j = 0; j < s; j++) {
          const pj = scores[j] ?? 0;
          for (let e = 0; e < dh; e++)
            ctx[i * d + off + e] = (ctx[i * d + off + e] ?? 0) + pj * (v[j * d + off + e] ?? 0);
        }
      }
    }
    const x1 = addInPlace(x, matmul(ctx, weight(w, 'o.weight'), s, d, d, weight(w, 'o.bias')));
    await yieldToLoop();
    const ln2 = layerNorm(x1, s, d, weight(w, 'ln2.scale'), weight(w, 'ln2.bias'));
    const hidden = geluInPlace(
      matmul(ln2, weight(w, 'ffn1.weight'), s, d, f, weight(w, 'ffn1.bias')),
    );
    const out = addInPlace(
      x1,
      matmul(hidden, weight(w, 'ffn2.weight'), s, f, d, weight(w, 'ffn2.bias')),
    );
    for (let e = 0; e < d; e++) {
      let sum = 0;
      for (let i = 0; i < s; i++) sum += out[i * d + e] ?? 0;
      y[b * d + e] = sum / s;
    }
    await yieldToLoop();
  }
  return y;
}

async function decode(w: GeneratedWorkload, p: DecodeParams): Promise<Float64Array> {
  const { batch: b, dim: d, heads: h, ffn: f, context: t } = p;
  const dh = d / h;
  const scale = 1 / Math.sqrt(dh);
  const x = Float64Array.from(inputValues(w, 'x').subarray(0, b * d));
  for (let l = 0; l < p.layers; l++) {
    const ln1 = layerNorm(x, b, d, weight(w, `l${l}.ln1.scale`), weight(w, `l${l}.ln1.bias`));
    const q = matmul(ln1, weight(w, `l${l}.q`), b, d, d);
    const keysT = weight(w, `l${l}.keys_t`);
    const values = weight(w, `l${l}.values`);
    const ctx = new Float64Array(b * d);
    const scores = new Float64Array(t);
    for (let bi = 0; bi < b; bi++) {
      for (let head = 0; head < h; head++) {
        const kBase = (bi * h + head) * dh * t;
        const vBase = (bi * h + head) * t * dh;
        for (let j = 0; j < t; j++) {
          let dot = 0;
          for (let e = 0; e < dh; e++)
            dot += (q[bi * d + head * dh + e] ?? 0) * (keysT[kBase + e * t + j] ?? 0);
          scores[j] = dot * scale;
        }
        softmaxInPlace(scores, 0, t);
        for (let j = 0; j < t; j++) {
          const pj = scores[j] ?? 0;
          for (let e = 0; e < dh; e++) {
            const at = bi * d + head * dh + e;
            ctx[at] = (ctx[at] ?? 0) + pj * (values[vBase + j * dh + e] ?? 0);
          }
        }
      }
    }
    addInPlace(x, matmul(ctx, weight(w, `l${l}.o`), b, d, d));
    const ln2 = layerNorm(x, b, d, weight(w, `l${l}.ln2.scale`), weight(w, `l${l}.ln2.bias`));
    const hidden = geluInPlace(matmul(ln2, weight(w, `l${l}.ffn1`), b, d, f));
    addInPlace(x, matmul(hidden, weight(w, `l${l}.ffn2`), b, f, d));
    await yieldToLoop();
  }
  return x;
}

/**
 * The expected outputs of a generated workload, by output name, in float64. For a batched
 * network with `checked` items, only those first items' outputs: the leading values of the
 * output (every output is batch-major), which is what the gate compares (`outputValueCount`
 * gives the whole output's size).
 */
export async function referenceOutputs(
  generated: GeneratedWorkload,
  params: WorkloadParams,
): Promise<Map<string, Float64Array>> {
  const name = need(generated.outputs[0], 'the output name');
  switch (params.kind) {
    case 'gemm':
      return new Map([[name, await gemm(generated, params)]]);
    case 'bandwidth':
      return new Map([[name, bandwidth(generated, params)]]);
    case 'cnn':
      return new Map([[name, await cnn(generated, checkedItems(params))]]);
    case 'transformer':
      return new Map([[name, await transformer(generated, checkedItems(params))]]);
    case 'decode':
      return new Map([[name, await decode(generated, checkedItems(params))]]);
  }
}

/** The same network over the first `checked` items of its batch (they read the inputs' first rows). */
function checkedItems<P extends CnnParams | TransformerParams | DecodeParams>(p: P): P {
  return p.checked === undefined ? p : { ...p, batch: Math.min(p.batch, p.checked) };
}

/** Whether the reference covers only the first items of the workload's batch (`checked`). */
export function checksFirstItems(params: WorkloadParams): boolean {
  return 'checked' in params && params.checked !== undefined;
}

/** How many values a workload's (one) output holds: what the gate expects to receive. */
export function outputValueCount(params: WorkloadParams): number {
  switch (params.kind) {
    case 'gemm':
      return params.n;
    case 'bandwidth':
      return params.rows;
    case 'cnn':
      return params.batch * params.classes;
    case 'transformer':
    case 'decode':
      return params.batch * params.dim;
  }
}
