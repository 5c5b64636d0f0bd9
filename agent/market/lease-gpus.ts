/**
 * On which GPUs market leases run.
 *
 * The market knows one score per provider: the benchmark the agent registered with, measured on
 * one GPU. A lease claimed with that score must run on a GPU as fast, so market jobs run on the
 * benchmarked GPU and on every other of its model (a rig of eight RTX 3070s holds eight leases at
 * once). The job runner keeps market jobs off other GPUs (and off paused ones), and the market
 * holds as many leases of a job as such devices could run it (JobService.places). A benchmark
 * measured on no GPU (the CPU, or a report without its GPU) makes no GPU the market's: one lease
 * at a time, as before.
 */

/** The GPUs of the benchmarked model (ids), or null when the benchmark measured no GPU here. */
export function marketGpuIds(
  gpus: readonly { id: string; name: string }[],
  measuredGpuId: string | null,
): ReadonlySet<string> | null {
  const model = gpus.find((g) => g.id === measuredGpuId)?.name;
  if (model === undefined) return null;
  return new Set(gpus.filter((g) => g.name === model).map((g) => g.id));
}
