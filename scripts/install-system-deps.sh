#!/usr/bin/env bash
# Installs the system packages Roost's tests need on Debian (bookworm) when run as root:
# chromium (Playwright drives it), xvfb (a display for screenshots), python3-numpy (the baseline
# of npm run bench:gemm, with OpenBLAS so the baseline is a real sgemm), bubblewrap (the worker
# sandbox), systemd (its systemd-analyze checks the unit `roost service install` writes; nothing
# starts it) and mesa-vulkan-drivers from bookworm-backports (Dawn rejects bookworm's 22.x
# lavapipe; 25.x gives WebGPU a software adapter). Elsewhere it says what it skipped.
set -euo pipefail

need=(chromium xvfb bubblewrap python3-numpy libopenblas0-pthread systemd)
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "[setup] not root on Debian: skipping system packages (${need[*]} mesa-vulkan-drivers)."
  echo "[setup] install them yourself for the browser and WebGPU tests."
  exit 0
fi

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
mesa_ok=0
if [ "$codename" = "bookworm" ]; then
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  case "$v" in 2[5-9].*|[3-9][0-9].*) mesa_ok=1 ;; esac
else
  dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 && mesa_ok=1
fi

if [ ${#missing[@]} -eq 0 ] && [ $mesa_ok -eq 1 ]; then
  echo "[setup] system packages present."
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$codename" = "bookworm" ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" >/etc/apt/sources.list.d/roost-backports.list
fi
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $mesa_ok -eq 0 ]; then
  if [ "$codename" = "bookworm" ]; then
    apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
  else
    apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers >/dev/null
  fi
fi
echo "[setup] installed: ${missing[*]} mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
