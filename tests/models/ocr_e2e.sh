#!/usr/bin/env bash
# End to end OCR: renders the OCR page (lines of mixed Chinese and Latin text
# whose content is known), converts PaddleOCR's detection, direction
# classifier and recognition networks with `fennec convert`, and checks that
# fennec_ocr reads back exactly the rendered lines, top to bottom.
# Before that, the detector alone (fennec_text_detect) must find one box per
# rendered line, each covering its line's ink with a bounded margin.
#
#   tests/models/ocr_e2e.sh <fennec tool> <build>/samples
#
# Needs FENNEC_MODELS_DIR (scripts/test.sh sets it); exits 77 (CTest: skipped)
# without it. Writes into ./ocr_e2e_output.
set -euo pipefail
if (($# != 2)); then
  echo "usage: $0 <fennec tool> <build>/samples" >&2
  exit 2
fi
fennec="$1"
samples="$2"
if [[ -z "${FENNEC_MODELS_DIR:-}" ]]; then
  echo "ocr_e2e: skipped: FENNEC_MODELS_DIR is not set (scripts/test.sh fetches the models and sets it)"
  exit 77
fi
assets="$FENNEC_MODELS_DIR/ocr-models/assets"
keys="$assets/ppocr_keys_v1.txt"
work="$PWD/ocr_e2e_output"
mkdir -p "$work"
fail() {
  echo "ocr_e2e: FAIL: $*" >&2
  exit 1
}
[[ -f "$keys" ]] || fail "$keys is missing: run scripts/fetch-models.sh $FENNEC_MODELS_DIR"

# 1. The page; its ground truth is one "text x0 y0 x1 y1 string" line per
#    rendered line (ink box, x1 and y1 exclusive).
"$samples/text_detect/fennec_render_text" --ocr "$work/page.png" >"$work/page.txt"
grep '^text ' "$work/page.txt" | cut -d' ' -f6- >"$work/expected.txt"
lines=$(wc -l <"$work/expected.txt")
echo "ocr_e2e: rendered $lines lines into $work/page.png"
# Recognition can only match characters of its dictionary (a space is its
# own class). Characters, not bytes: the loop needs a UTF-8 locale.
export LC_ALL=C.UTF-8
while IFS= read -r line; do
  for ((i = 0; i < ${#line}; ++i)); do
    ch="${line:i:1}"
    [[ "$ch" == " " ]] || grep -qxF -- "$ch" "$keys" || fail "'$ch' in '$line' is not in $keys"
  done
done <"$work/expected.txt"

convert() {  # <onnx name> <out>: fails with the converter's own message
  if ! "$fennec" convert "$assets/$1" -o "$work/$2" >"$work/convert_$2.log" 2>&1; then
    cat "$work/convert_$2.log" >&2
    fail "fennec convert $1 failed (message above)"
  fi
}

# 2. Detection alone: one box per line, in reading order, each containing the
#    line's ink (6 px tolerance) and at most `margin` px larger on any side.
convert ch_PP-OCRv4_det_infer.onnx det.fennec
"$samples/text_detect/fennec_text_detect" "$work/det.fennec" "$work/page.png" --out "$work/det_boxes.png" \
  >"$work/det.txt" || { cat "$work/det.txt"; fail "fennec_text_detect failed"; }
awk -v margin=24 '
  FNR == NR && $1 == "text" { tx0[++n] = $2; ty0[n] = $3; tx1[n] = $4; ty1[n] = $5; $1 = $2 = $3 = $4 = $5 = ""; label[n] = $0; next }
  FNR != NR && $1 == "box" { bx0[++m] = $2; by0[m] = $3; bx1[m] = $4; by1[m] = $5 }
  END {
    if (m != n) { printf "ocr_e2e: FAIL: %d boxes for %d rendered lines\n", m, n; exit 1 }
    bad = 0
    for (i = 1; i <= n; ++i) {
      printf "ocr_e2e: line %d ink %d %d %d %d, box %d %d %d %d\n", i, tx0[i], ty0[i], tx1[i], ty1[i], bx0[i], by0[i], bx1[i], by1[i]
      covers = bx0[i] <= tx0[i] + 6 && by0[i] <= ty0[i] + 6 && bx1[i] >= tx1[i] - 6 && by1[i] >= ty1[i] - 6
      tight = bx0[i] >= tx0[i] - margin && by0[i] >= ty0[i] - margin && bx1[i] <= tx1[i] + margin && by1[i] <= ty1[i] + margin
      if (!covers || !tight) { printf "ocr_e2e: FAIL: box %d does not fit line%s\n", i, label[i]; bad = 1 }
    }
    exit bad
  }' "$work/page.txt" "$work/det.txt" || fail "detection (see $work/det_boxes.png)"
echo "ocr_e2e: detection found the $lines lines"

# 3. The whole pipeline.
convert ch_ppocr_mobile_v2.0_cls_infer.onnx cls.fennec
convert ch_PP-OCRv4_rec_infer.onnx rec.fennec
"$samples/ocr/fennec_ocr" "$work/det.fennec" "$work/rec.fennec" --cls "$work/cls.fennec" --keys "$keys" \
  "$work/page.png" --out "$work/ocr_boxes.png" >"$work/ocr.txt" || fail "fennec_ocr failed"
cat "$work/ocr.txt"
cut -f1 "$work/ocr.txt" >"$work/recognized.txt"
diff -u "$work/expected.txt" "$work/recognized.txt" || fail "recognized text differs from the rendered text"
echo "ocr_e2e: all $lines lines recognized exactly"
