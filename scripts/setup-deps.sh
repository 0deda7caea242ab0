#!/usr/bin/env bash
# Installs what Fennec needs on Debian 12, only what is missing.
# Needs root (or sudo) when something must be installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libvulkan-dev glslang-tools mesa-vulkan-drivers vulkan-tools vulkan-validationlayers
  libflatbuffers-dev flatbuffers-compiler
  doctest-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libstb-dev libpcre2-dev fonts-dejavu-core fonts-droid-fallback
  libonnx-testdata python3-numpy python3-torch python3-torchvision
  nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # nodejs/npm may come from elsewhere (e.g. a preinstalled Node.js).
    if [[ "$p" == nodejs && -x "$(command -v node)" ]] || [[ "$p" == npm && -x "$(command -v npm)" ]]; then
      continue
    fi
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "[setup] all system packages present"
  exit 0
fi

echo "[setup] installing: ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "[setup] done"
