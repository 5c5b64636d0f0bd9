import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { canonicalDigest } from './canonical.ts';
import { generateWorkload, workloadHashes } from './models.ts';
import { outputValueCount } from './reference.ts';
import { suiteDefinitionSchema } from './schema.ts';
import { flopsPerRun, STD_SUITE, SUITES, suiteHash, TINY_SUITE, workPerRun } from './suite.ts';

const { onnx } = onnxProto;

describe.each([STD_SUITE, TINY_SUITE])('suite $id', (suite) => {
  it('is a valid definition whose weights sum to 1', () => {
    expect(suiteDefinitionSchema.parse(suite)).toEqual(suite);
    expect(suite.workloads.reduce((s, w) => s + w.weight, 0)).toBeCloseTo(1, 12);
    expect(new Set(suite.workloads.map((w) => w.id)).size).toBe(suite.workloads.length);
    for (const w of suite.workloads) {
      expect(w.workPerRun).toBe(workPerRun(w.params));
      expect(w.flopsPerRun).toBe(flopsPerRun(w.params));
    }
    expect(suite.workloads.map((w) => w.params.kind).sort()).toEqual(
      ['bandwidth', 'cnn', 'decode', 'gemm', 'gemm', 'transformer'].sort(),
    );
  });

  it('generates byte-identical models and inputs, the ones its definition names', () => {
    for (const w of suite.workloads) {
      const once = workloadHashes(generateWorkload(suite.seed, w.id, w.params));
      const again = workloadHashes(generateWorkload(suite.seed, w.id, w.params));
      expect(again).toEqual(once);
      // On a mismatch, this prints the hashes to record in suite.ts (and the suite needs a new version).
      expect({ id: w.id, model: once.model, inputs: once.inputs }).toEqual({
        id: w.id,
        model: w.modelSha256,
        inputs: w.inputsSha256,
      });
    }
  });

  it('has no node an optimizer could compute before the run (weights where folding could fake it are inputs)', () => {
    for (const w of suite.workloads) {
      const generated = generateWorkload(suite.seed, w.id, w.params);
      const model = onnx.ModelProto.decode(generated.model);
      const graph = model.graph;
      if (!graph) throw new Error('no graph');
      const runtime = new Set((graph.input ?? []).map((i) => i.name ?? ''));
      for (const node of graph.node ?? []) {
        const dependsOnRun = (node.input ?? []).some((name) => runtime.has(name));
        expect(
          dependsOnRun,
          `${w.id}: ${node.name} (${node.opType}) depends on constants only`,
        ).toBe(true);
        for (const out of node.output ?? []) runtime.add(out);
      }
      for (const out of graph.output ?? []) expect(runtime.has(out.name ?? '')).toBe(true);
      expect(Number(model.opsetImport?.[0]?.version)).toBe(suite.onnx.opset);
      // Outputs are reduced in the graph: a run's answer is 64 KiB at most (16,384 floats),
      // and the gate is told its size.
      const outputValues = (graph.output ?? []).map((o) =>
        (o.type?.tensorType?.shape?.dim ?? []).reduce((a, d) => a * Number(d.dimValue ?? 1), 1),
      );
      expect(Math.max(...outputValues)).toBeLessThanOrEqual(16_384);
      expect(outputValues).toEqual([outputValueCount(w.params)]);
      if ('checked' in w.params && w.params.checked !== undefined) {
        expect(w.params.checked).toBeLessThanOrEqual(w.params.batch);
      }
    }
  });
});

describe('the suite hash', () => {
  it('covers every field of the definition', () => {
    const hash = suiteHash(STD_SUITE);
    expect(hash).toBe(canonicalDigest(STD_SUITE));
    const changed = structuredClone(STD_SUITE);
    changed.workloads[0]!.tolerance *= 2;
    expect(suiteHash(changed)).not.toBe(hash);
    // Pinned: changing roost-std/4 in any way must come with a new version id.
    expect(hash).toMatchInlineSnapshot(
      `"sha256:901b9e1acd149de778d25337855b52d2406c5e123bf80a423e2d2beff4ec6e84"`,
    );
  });

  it('lists the suites this build knows', () => {
    expect([...SUITES.keys()]).toEqual(['roost-std/4', 'roost-tiny/1']);
  });
});
