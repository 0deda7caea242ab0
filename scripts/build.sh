#!/usr/bin/env bash
# Configures and builds Fennec into build/ (Release).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FENNEC_BUILD_DIR:-$root/build}"
jobs="${FENNEC_JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
echo "[build] building in $build with $jobs jobs"
cmake --build "$build" -j "$jobs"
