#!/usr/bin/env bash
# The OCR pipeline with quantized weights: renders the OCR page (known
# lines of Chinese and Latin text), converts PaddleOCR's detection, direction
# classifier and recognition networks with `fennec convert --quantize S`, and
# checks what fennec_ocr reads back (character error rate = edit distance /
# characters, printed for every scheme). Every scheme is calibrated on a
# different page (fennec_render_text --ocr-calibration, whose network inputs
# an fp32 run of fennec_ocr --save-inputs writes), so that weights are
# rounded by GPTQ, w8a8 gets its activation scales and fp16 (binary16
# activations too) its range check from there:
#   fp16, int8, w8a8, fp8 (MX: E4M3 + UE8M0 per 32): exactly the rendered lines;
#   int4 (group 32): CER < 2%.
# Every scheme must still find one box per rendered line.
#
#   tests/models/ocr_quantized.sh <fennec tool> <build>/samples [scheme...]
#
# Needs FENNEC_MODELS_DIR (scripts/test.sh sets it); exits 77 (CTest: skipped)
# without it. Writes into ./ocr_quantized_output.
set -euo pipefail
if (($# < 2)); then
  echo "usage: $0 <fennec tool> <build>/samples [scheme...]" >&2
  exit 2
fi
fennec="$1"
samples="$2"
shift 2
schemes=("$@")
((${#schemes[@]})) || schemes=(fp16 int8 w8a8 fp8 int4)
if [[ -z "${FENNEC_MODELS_DIR:-}" ]]; then
  echo "ocr_quantized: skipped: FENNEC_MODELS_DIR is not set (scripts/test.sh fetches the models and sets it)"
  exit 77
fi
assets="$FENNEC_MODELS_DIR/ocr-models/assets"
work="$PWD/ocr_quantized_output"
mkdir -p "$work"
fail() {
  echo "ocr_quantized: FAIL: $*" >&2
  exit 1
}
export LC_ALL=C.UTF-8

"$samples/text_detect/fennec_render_text" --ocr "$work/page.png" >"$work/page.txt"
grep '^text ' "$work/page.txt" | cut -d' ' -f6- >"$work/expected.txt"

nets=(det:ch_PP-OCRv4_det_infer.onnx cls:ch_ppocr_mobile_v2.0_cls_infer.onnx rec:ch_PP-OCRv4_rec_infer.onnx)
run_ocr() {  # <scheme> [fennec_ocr options]
  local scheme="$1"
  shift
  "$samples/ocr/fennec_ocr" "$work/det_$scheme.fennec" "$work/rec_$scheme.fennec" --cls "$work/cls_$scheme.fennec" \
    --keys "$assets/ppocr_keys_v1.txt" "$work/page.png" "$@" >"$work/ocr_$scheme.txt" || fail "fennec_ocr ($scheme) failed"
}
for net in "${nets[@]}"; do
  "$fennec" convert "$assets/${net#*:}" -o "$work/${net%%:*}_fp32.fennec" >/dev/null || fail "fennec convert ${net#*:} failed"
done
"$samples/text_detect/fennec_render_text" --ocr-calibration "$work/calibration.png" >/dev/null
rm -rf "$work/calibration"
"$samples/ocr/fennec_ocr" "$work/det_fp32.fennec" "$work/rec_fp32.fennec" --cls "$work/cls_fp32.fennec" \
  --keys "$assets/ppocr_keys_v1.txt" "$work/calibration.png" --save-inputs "$work/calibration" >/dev/null ||
  fail "fennec_ocr (fp32, calibration page) failed"

for scheme in "${schemes[@]}"; do
  for net in "${nets[@]}"; do
    out="$work/${net%%:*}_$scheme.fennec"
    if ! "$fennec" convert "$assets/${net#*:}" -o "$out" --quantize "$scheme" \
      --calibration "$work/calibration/${net%%:*}" >"$out.log" 2>&1; then
      cat "$out.log" >&2
      fail "fennec convert ${net#*:} --quantize $scheme failed (message above)"
    fi
    grep -E '^  (quantized|weights|rounding|activations) |^               output ' "$out.log" | sed "s|^ *|ocr_quantized: $scheme ${net%%:*}: |"
  done
  run_ocr "$scheme"
  cut -f1 "$work/ocr_$scheme.txt" >"$work/recognized_$scheme.txt"
  # Character error rate over the whole page, line by line (Levenshtein).
  cer=$(/usr/bin/python3 - "$work/expected.txt" "$work/recognized_$scheme.txt" <<'PY'
import sys
def distance(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]
expected = open(sys.argv[1], encoding="utf-8").read().splitlines()
got = open(sys.argv[2], encoding="utf-8").read().splitlines()
got += [""] * (len(expected) - len(got))
errors = sum(distance(e, g) for e, g in zip(expected, got)) + sum(len(g) for g in got[len(expected):])
print(f"{errors / sum(len(e) for e in expected):.4f}")
PY
)
  echo "ocr_quantized: $scheme: character error rate $cer"
  [[ $(wc -l <"$work/recognized_$scheme.txt") == $(wc -l <"$work/expected.txt") ]] ||
    fail "$scheme: $(wc -l <"$work/recognized_$scheme.txt") lines found, $(wc -l <"$work/expected.txt") rendered"
  bound=""
  [[ "$scheme" == int4 ]] && bound=0.02
  if [[ -n "$bound" ]]; then
    cat "$work/ocr_$scheme.txt"
    awk -v c="$cer" -v b="$bound" 'BEGIN { exit !(c < b) }' || fail "$scheme: character error rate $cer is not below $bound"
  else
    diff -u "$work/expected.txt" "$work/recognized_$scheme.txt" || fail "$scheme: recognized text differs from the rendered text"
  fi
done
echo "ocr_quantized: ${schemes[*]}: all within bounds"
