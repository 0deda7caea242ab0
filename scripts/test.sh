#!/usr/bin/env bash
# README command 2: set up, build, fetch the test models and run the whole
# test suite (unit, op, model and CLI tests, then the suite again under the
# Vulkan validation layer). Runs on Mesa's CPU Vulkan driver when no GPU is present.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh"
export FENNEC_MODELS_DIR="${FENNEC_MODELS_DIR:-$root/.cache}"
"$root/scripts/fetch-models.sh" "$FENNEC_MODELS_DIR"
build="${FENNEC_BUILD_DIR:-$root/build}"
echo "[test] running the suite"
cd "$build"
ctest --output-on-failure --timeout 3000 "$@"
