import { describe, expect, it } from 'vitest';
import { summarizeProfile } from './ort-profile.ts';

const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ts, dur });
const node = (ts: number, dur: number, op: string, provider = 'WebGpuExecutionProvider') => ({
  cat: 'Node',
  name: `${op}_node_kernel_time`,
  ts,
  dur,
  args: { op_name: op, provider },
});

describe("onnxruntime's profile, summed", () => {
  it('leaves out the warm-up runs and sums each operator per run, largest first', () => {
    const trace = [
      run(0, 1000),
      node(10, 900, 'Tile'), // the first run compiles: not counted
      run(1000, 100),
      node(1010, 50, 'Tile'),
      node(1060, 5, 'Add'),
      node(1070, 5, 'Add'),
      run(2000, 120),
      node(2010, 70, 'Tile'),
      node(2090, 6, 'Add'),
      node(2100, 4, 'Add'),
      node(2105, 1, 'Mul', 'CPUExecutionProvider'),
    ];
    const p = summarizeProfile(trace, 1);
    expect(p.runs).toBe(2);
    expect(p.modelRunUs).toBe(120);
    // Run 2: first kernel at +10, last ends at 1075 → 25 after; run 3: +10, 2106 → 14 after.
    expect(p.leadUs).toBe(10);
    expect(p.tailUs).toBe(25);
    expect(p.ops).toEqual([
      { op: 'Tile (WebGpuExecutionProvider)', usPerRun: 60, nodesPerRun: 1 },
      { op: 'Add (WebGpuExecutionProvider)', usPerRun: 10, nodesPerRun: 2 },
      { op: 'Mul (CPUExecutionProvider)', usPerRun: 0.5, nodesPerRun: 0.5 },
    ]);
  });
});
