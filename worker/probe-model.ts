/**
 * The accelerator probe's model, generated in code: C = A·B for a 3x4 and a 4x2 float matrix.
 * Both operands are graph inputs, so no optimizer can fold the product away and the execution
 * provider must really run the MatMul. The expected answer is computed here in plain JS.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** TensorProto.DataType.FLOAT */
const FLOAT = 1;

export const PROBE_A_SHAPE = [3, 4] as const;
export const PROBE_B_SHAPE = [4, 2] as const;

/** Deterministic inputs with non-trivial values (fractions and signs). */
export const PROBE_A = Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 1.5 + i / 8);
export const PROBE_B = Float32Array.from(
  { length: 8 },
  (_, i) => 0.25 * (i + 1) * (i % 2 === 0 ? 1 : -1),
);

export function expectedProduct(): number[] {
  const [m, k] = PROBE_A_SHAPE;
  const n = PROBE_B_SHAPE[1];
  const out: number[] = [];
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += (PROBE_A[r * k + i] ?? 0) * (PROBE_B[i * n + c] ?? 0);
      out.push(sum);
    }
  }
  return out;
}

function tensorInfo(name: string, shape: readonly number[]) {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  };
}

/** The serialized ONNX model (IR 8, opset 17). */
export function probeModelBytes(): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'roost-accelerator-probe',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'probe',
      node: [{ name: 'probe_matmul', opType: 'MatMul', input: ['a', 'b'], output: ['c'] }],
      input: [tensorInfo('a', PROBE_A_SHAPE), tensorInfo('b', PROBE_B_SHAPE)],
      output: [tensorInfo('c', [PROBE_A_SHAPE[0], PROBE_B_SHAPE[1]])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
