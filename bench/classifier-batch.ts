/**
 * The batch that bench:worker and bench:worker-parts both measure: a classifier model
 * (test/fixtures/jobs/models.ts) run over `sets` input sets of `batch` rows, on one provider,
 * with the same options, sizes and warm-up rule, so that their figures describe the same work.
 */
import { fileURLToPath } from 'node:url';
import { classifierModel, randomFloats } from '../test/fixtures/jobs/models.ts';

/** The options both scripts take (node:util parseArgs form); each adds its own. */
export const batchOptions = {
  ep: { type: 'string', default: 'cpu' },
  sets: { type: 'string', default: '150' },
  batch: { type: 'string', default: '64' },
  width: { type: 'string', default: '512' },
  hidden: { type: 'string', default: '4096' },
  classes: { type: 'string', default: '1000' },
  /** Where the job files go: not the OS temp folder (see bench/worker.bench.ts). */
  dir: {
    type: 'string',
    default: fileURLToPath(new URL('../node_modules/.cache/roost-bench', import.meta.url)),
  },
} as const;

export interface ClassifierBatch {
  ep: string;
  sets: number;
  batch: number;
  width: number;
  hidden: number;
  classes: number;
  /** Sets left out of the figures at the start: a tenth, 1 to 20. */
  warmup: number;
  /** The model's bytes. */
  model(): Uint8Array;
  /** Set `s`'s input: batch × width floats, the same every run. */
  input(s: number): Float32Array;
  /** GFLOP in one set's run. */
  gflopPerSet: number;
  /** `classifier 512→4096→4096→1000, batch 64` */
  describe: string;
}

export function classifierBatch(values: {
  ep: string;
  sets: string;
  batch: string;
  width: string;
  hidden: string;
  classes: string;
}): ClassifierBatch {
  const sets = Number(values.sets);
  const batch = Number(values.batch);
  const width = Number(values.width);
  const hidden = Number(values.hidden);
  const classes = Number(values.classes);
  return {
    ep: values.ep,
    sets,
    batch,
    width,
    hidden,
    classes,
    warmup: Math.min(20, Math.max(1, Math.floor(sets / 10))),
    model: () => classifierModel(width, hidden, classes),
    input: (s) => randomFloats(batch * width, 100 + s),
    gflopPerSet: (2 * batch * (width * hidden + hidden * hidden + hidden * classes)) / 1e9,
    describe: `classifier ${width}→${hidden}→${hidden}→${classes}, batch ${batch}`,
  };
}
