#!/bin/bash
# The GPU figures of issues 4 and 5, on a machine with a GPU and the packed runtime unpacked in
# the checkout (see pack.sh): what the probe finds, the worker path against onnxruntime in one
# process, and the composite's spread over five quick runs on WebGPU, then on the CPU.
# Files go to $OUT (default ./gpu-figures). Each step is bounded so the whole fits ~7 minutes.
set -u
OUT=${OUT:-$PWD/gpu-figures}
mkdir -p "$OUT"
export PATH=$PWD/node_modules/.bin:$PATH
T0=$(date +%s)
log() { echo "== [$(($(date +%s) - T0))s] $*"; }
log "node $(node --version), $(nproc) cores"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
log "detect"
timeout 90 node bin/roost.js detect --json >"$OUT/detect.json" 2>"$OUT/detect.err"
node -e "for (const a of require('$OUT/detect.json').accelerators) console.log(a.ep, a.status, JSON.stringify(a.adapter ?? null), a.reason ?? '')"
log "bench:worker webgpu"
timeout 120 node bench/worker.bench.ts --ep webgpu 2>&1 | tail -9
log "bench:worker webgpu, small model"
timeout 90 node bench/worker.bench.ts --ep webgpu --hidden 256 --width 128 --classes 100 2>&1 | tail -4
log "bench:repeat webgpu"
timeout 240 node bench/repeat.ts --runs 5 --preset quick --ep webgpu --idle 2>&1 | grep -v '^\[' | tail -30
log "bench:worker cpu"
timeout 60 node bench/worker.bench.ts --ep cpu 2>&1 | tail -3
log "end"
