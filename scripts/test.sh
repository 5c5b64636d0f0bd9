#!/usr/bin/env bash
# Roost's one test command (the README's, and CI's through .ci/run): installs what the tests
# need, then runs typecheck, lint, format check, build, unit, integration, end-to-end and
# contract suites, and ends with `N passed, N failed`.
#   bash scripts/test.sh               install, then everything
#   bash scripts/test.sh --no-install  skip the installs (node_modules already current)
#   bash scripts/test.sh unit e2e      only those steps
set -euo pipefail
cd "$(dirname "$0")/.."

install=1
steps=()
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    *) steps+=("$arg") ;;
  esac
done

if [ $install -eq 1 ]; then
  bash scripts/install-system-deps.sh
  # For npm versions without allowScripts: keep onnxruntime-node's CUDA download off.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
exec npm run -s test:all -- "${steps[@]}"
