#!/bin/bash
# The GPU figures of issues 4 and 5, on a machine with a GPU and the packed runtime unpacked in
# the checkout (see pack.sh). Steps, in the order given (default: all but scaling and parts):
#   detect    what the probe finds
#   parts     bench:worker-parts on WebGPU and on the CPU: the worker loop's costs, one by one
#   worker    bench:worker on WebGPU (default and small model, with and without Node's
#             permission model or bubblewrap) and on the CPU: the worker path against onnxruntime
#             in process, with the CPU each thread used
#   scaling   bench:scaling on WebGPU: each workload's throughput at 1× and 4× the work a run
#   repeat    bench:repeat on WebGPU (5 quick runs) and on the CPU (3): the composite's spread
#   bandwidth bench:scaling of memory bandwidth: tensor sizes, onnxruntime's buffer cache modes
#   fixed     where a memory-bandwidth, decode or CNN run's time goes besides the GPU's work
# Files go to $OUT (default ./gpu-figures). Each step is bounded in time.
set -u
OUT=${OUT:-$PWD/gpu-figures}
mkdir -p "$OUT"
export PATH=$PWD/node_modules/.bin:$PATH
T0=$(date +%s)
log() { echo "== [$(($(date +%s) - T0))s] $*"; }
log "node $(node --version), $(nproc) cores"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
# Which CPUs are near the GPU: the NUMA nodes, and the GPU's own node and CPU list.
gpu_bus=$(nvidia-smi --query-gpu=pci.bus_id --format=csv,noheader 2>/dev/null | head -1 | tr 'A-F' 'a-f' | sed 's/^0000\(....:\)/\1/')
gpu_sys=/sys/bus/pci/devices/$gpu_bus
echo "NUMA nodes: $(ls -d /sys/devices/system/node/node* 2>/dev/null | wc -l); GPU $gpu_bus: node $(cat "$gpu_sys/numa_node" 2>/dev/null || echo ?), CPUs $(cat "$gpu_sys/local_cpulist" 2>/dev/null || echo ?)"
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(detect worker repeat)
for step in "${steps[@]}"; do
  case $step in
    detect)
      log "detect"
      timeout 90 node bin/roost.js detect --json >"$OUT/detect.json" 2>"$OUT/detect.err"
      node -e "for (const a of require('$OUT/detect.json').accelerators) console.log(a.ep, a.status, JSON.stringify(a.adapter ?? null), a.reason ?? '')"
      ;;
    parts)
      # 9 rounds: at 3 the H200's baseline moved 1.37–1.72 ms a set within a round.
      log "bench:worker-parts webgpu"
      timeout 120 node bench/worker-parts.bench.ts --ep webgpu --rounds 9 2>&1 | tail -9
      log "bench:worker-parts cpu"
      timeout 90 node bench/worker-parts.bench.ts --ep cpu 2>&1 | tail -7
      ;;
    worker)
      # 9 rounds: on the H200 single rounds spread 0.78–1.09.
      log "bench:worker webgpu"
      # Every round, with where the CPU went thread by thread in process and in the worker.
      timeout 150 node bench/worker.bench.ts --ep webgpu --rounds 9 2>&1 | tail -48
      log "bench:worker webgpu, no permission model"
      timeout 150 node bench/worker.bench.ts --ep webgpu --rounds 9 --permission-model off 2>&1 | tail -3
      log "bench:worker webgpu, no bubblewrap"
      timeout 150 node bench/worker.bench.ts --ep webgpu --rounds 9 --bwrap off 2>&1 | tail -3
      # The scrubbed environment alone (HOME and the caches in the job's scratch folder), then no
      # layer at all: a plain child process. If that is still slower than in process, the
      # sandbox is not what costs.
      log "bench:worker webgpu, environment not scrubbed"
      timeout 150 node bench/worker.bench.ts --ep webgpu --rounds 9 --env inherit 2>&1 | tail -3
      log "bench:worker webgpu, plain child process"
      timeout 150 node bench/worker.bench.ts --ep webgpu --rounds 9 --bwrap off --permission-model off --env inherit 2>&1 | tail -3
      # The main thread, sampled: on the H200 it spent ~0.4 ms a set off the CPU in the worker
      # and none in process. Asleep in epoll_wait = its event loop; futex or ioctl = the driver.
      log "bench:worker webgpu, where the main thread waits"
      timeout 90 node bench/worker.bench.ts --ep webgpu --rounds 3 --waits 2>&1 | grep -E '^round|main thread|worker-path'
      log "bench:worker webgpu, small model"
      timeout 90 node bench/worker.bench.ts --ep webgpu --hidden 256 --width 128 --classes 100 2>&1 | tail -4
      log "bench:worker cpu"
      timeout 60 node bench/worker.bench.ts --ep cpu 2>&1 | tail -3
      ;;
    scaling)
      log "bench:scaling webgpu"
      timeout 200 node bench/scaling.bench.ts --ep webgpu 2>&1 | tail -30
      # Memory bandwidth measured slower with a bigger tensor: onnxruntime's own profile says
      # what each operator costs the CPU and how long the whole run waits for the GPU.
      log "bench:scaling webgpu, memory bandwidth, profiled"
      timeout 120 node bench/scaling.bench.ts --ep webgpu --only memory-bandwidth --blocks 3 --profile 20 2>&1 | grep -v '^Warning' | tail -16
      ;;
    bandwidth)
      # On the H200 a run of the suite's memory bandwidth took 5.4 ms, its kernels 0.27 ms of
      # CPU and the GPU was 23 % busy: where do the other ~4 ms go? Smaller and larger tensors
      # give the fixed part. At 4× onnxruntime's default buffer cache ("bucket") made each big
      # buffer anew (Mul and Tile 5 ms of CPU a run), "simple" did not (0.26 ms), yet the timed
      # blocks were no faster: each mode alone, k = 4, says which figure is right.
      log "bench:scaling webgpu, memory bandwidth at 1/4 to 2 times the tensor"
      timeout 100 node bench/scaling.bench.ts --ep webgpu --only memory-bandwidth --k 0.25,0.5,1,2 --blocks 3 --profile 10 2>&1 | grep -v '^Warning' | tail -30
      for mode in bucket simple; do
        log "bench:scaling webgpu, memory bandwidth at 4 times, storage buffer cache $mode"
        timeout 60 node bench/scaling.bench.ts --ep webgpu --only memory-bandwidth --k 1,4 --blocks 3 --profile 10 --variant "$mode:{\"storageBufferCacheMode\":\"$mode\"}" 2>&1 | grep -v '^Warning' | tail -14
      done
      ;;
    fixed)
      # On the H100 a memory-bandwidth run took 9–14 ms of which the GPU worked ~1 ms and the
      # kernels took 0.36 ms of CPU. Where does the rest go: before the first kernel or after the
      # last (onnxruntime's profile), on which thread's CPU, or asleep in which call? And what
      # does one more pass over the same tensor cost (pairs), against a bigger tensor (rows)?
      log "bench:scaling webgpu, memory bandwidth: the CPU and the waits of a run"
      timeout 60 node bench/scaling.bench.ts --ep webgpu --only memory-bandwidth --k 1 --blocks 3 --profile 10 --threads --waits 2>&1 | grep -v '^Warning' | tail -10
      log "bench:scaling webgpu, memory bandwidth by passes over the same tensor"
      timeout 90 node bench/scaling.bench.ts --ep webgpu --only memory-bandwidth --k 1,4,16 --bandwidth-by pairs --blocks 3 --profile 10 --threads 2>&1 | grep -v '^Warning' | tail -24
      # Each input cost ~0.6 ms there: the eight scalars in one input (roost-std/4's way).
      log "bench:scaling webgpu, memory bandwidth, its scalars in one input"
      timeout 60 node bench/scaling.bench.ts --ep webgpu --only memory-bandwidth --k 1,4 --bandwidth-by pairs --compare '{"packed":true}' --blocks 5 --profile 10 --threads 2>&1 | grep -v '^Warning' | tail -36
      # A GEMM run spent 5.8 of 9 ms before its first kernel on the H200 (two 4 MiB inputs): with
      # W in the model, one input a run (a candidate for the next suite).
      log "bench:scaling webgpu, GEMM with W in the model"
      timeout 60 node bench/scaling.bench.ts --ep webgpu --only gemm-fp32,gemm-fp16 --k 1 --compare '{"wInModel":true}' --blocks 5 --profile 5 2>&1 | grep -v '^Warning' | tail -24
      log "bench:scaling webgpu, decode and CNN: the CPU and the waits of a run"
      timeout 90 node bench/scaling.bench.ts --ep webgpu --only decode,cnn --k 1 --blocks 3 --profile 10 --threads --waits 2>&1 | grep -v '^Warning' | tail -24
      ;;
    repeat)
      # The reports stay in $OUT/repeat-webgpu (bench/reports/*.json) for their per-run series.
      log "bench:repeat webgpu"
      timeout 240 node bench/repeat.ts --runs 5 --preset quick --ep webgpu --idle --data-dir "$OUT/repeat-webgpu" 2>&1 | grep -v '^\[' | tail -40
      # The device tool brings back files at most a few folders deep.
      mkdir -p "$OUT/repeat-reports" && cp "$OUT"/repeat-webgpu/bench/reports/*.json "$OUT/repeat-reports/" 2>/dev/null
      rm -rf "$OUT/repeat-webgpu/cache"
      # On the H200 every workload rose and fell together from run to run (each run is a new
      # process): with the benchmark held to the GPU's own CPUs, does that go?
      if cpus=$(cat "$gpu_sys/local_cpulist" 2>/dev/null) && command -v taskset >/dev/null; then
        log "bench:repeat webgpu, held to the GPU's CPUs ($cpus)"
        timeout 240 taskset -c "$cpus" node bench/repeat.ts --runs 5 --preset quick --ep webgpu --idle 2>&1 | grep -v '^\[' | tail -22
      fi
      log "bench:repeat cpu"
      timeout 150 node bench/repeat.ts --runs 3 --preset quick --ep cpu 2>&1 | grep -v '^\[' | tail -16
      ;;
    *) echo "unknown step $step (detect, parts, worker, scaling, repeat, bandwidth, fixed)" ;;
  esac
done
log "end"
