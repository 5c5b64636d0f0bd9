#!/bin/bash
# Packs what the benchmark and the worker need at run time (Node 24 from the `node` package, the
# production packages less the chain's and the build's, onnxruntime's Linux x64 binaries only)
# into one file, for a GPU machine that cannot reach the npm registry:
#
#   bash scripts/gpu-machine/pack.sh <out.tar.xz>        (here, after npm ci)
#   tar -xJf <out.tar.xz> && bash scripts/gpu-machine/figures.sh    (there, in a checkout)
#
# About 48 MB (node_modules itself is over 1 GB).
set -euo pipefail
out=$(realpath -m "${1:?usage: pack.sh <out.tar.xz>}")
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/node_modules"
# Not needed to detect, benchmark or run jobs: the chain (Hardhat, EDR), the updater, bundlers.
skip='^/|hardhat|edr|solidity-analyzer|esbuild|sentry|electron-updater|@types|builder-util|^tsx$|micro-eth-signer|micro-packed|@scure|ethereum-cryptography|undici'
npm ls --omit=dev --all --parseable 2>/dev/null | sed 's#.*/node_modules/##' | sort -u | grep -v -E "$skip" |
  while read -r p; do
    mkdir -p "$stage/node_modules/$(dirname "$p")"
    cp -a "node_modules/$p" "$stage/node_modules/$p"
  done
mkdir -p "$stage/node_modules/node/bin" "$stage/node_modules/.bin"
cp node_modules/node/bin/node "$stage/node_modules/node/bin/"
cp node_modules/node/package.json "$stage/node_modules/node/"
ln -sf ../node/bin/node "$stage/node_modules/.bin/node"
(cd "$stage/node_modules/onnxruntime-node/bin" &&
  find . -mindepth 1 -maxdepth 3 -type d | grep -v -E 'linux$|linux/x64$|^./napi-v[0-9]+$' | xargs rm -rf)
tar -C "$stage" -cf - node_modules | xz -T1 -6 >"$out"
ls -la "$out"
