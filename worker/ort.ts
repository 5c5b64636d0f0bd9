/**
 * Loading onnxruntime-node in a process that runs models on it: the job worker, the benchmark
 * child and the benchmark scripts.
 */
import type * as OrtModule from 'onnxruntime-node';

export type Ort = typeof OrtModule;

/**
 * onnxruntime-node, with its log level at errors. Node 24 has Float16Array, so
 * onnxruntime-common 1.30 wraps float16 data in one, which the native binding then reads as zero
 * bytes ("not enough space: expected 4, got 0"); without it, float16 tensors travel as
 * Uint16Array bits, as .npy files hold them. So this hides Float16Array from the whole process:
 * only for processes that do nothing else.
 */
export async function loadOrt(): Promise<Ort> {
  delete (globalThis as { Float16Array?: unknown }).Float16Array;
  const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  const ort = mod.default ?? mod;
  ort.env.logLevel = 'error';
  return ort;
}
