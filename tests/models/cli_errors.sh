#!/usr/bin/env bash
# CLI error handling: damaged .fennec files and bad inputs must make `fennec`
# exit non-zero with a "fennec: error:" message, never crash (no signal).
#
#   tests/models/cli_errors.sh <path-to-fennec>
#
# With FENNEC_MODELS_DIR set (scripts/test.sh exports it) the damaged files
# are made from a real conversion of PaddleOCR v4 detection and the input
# checks run against it; otherwise the file checks use an arbitrary file and
# the input checks are skipped (and said to be).
set -uo pipefail

fennec="${1:?usage: cli_errors.sh <path-to-fennec>}"
[[ -x "$fennec" ]] || { echo "cli_errors: '$fennec' is not an executable" >&2; exit 2; }
limit="${FENNEC_CLI_TIMEOUT:-600}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
skipped=0

pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1: $2"; }

# expect_error NAME PATTERN CMD...: the command must exit 1..127 and stderr
# must hold "fennec: error:" and the extended regex PATTERN (case-insensitive).
expect_error() {
  local name="$1" pattern="$2"
  shift 2
  local err="$tmp/stderr.txt" rc
  timeout "$limit" "$@" >"$tmp/stdout.txt" 2>"$err"
  rc=$?
  local message
  message="$(grep -m1 'fennec: error:' "$err")"
  if ((rc == 0)); then
    fail "$name" "exit status 0 (expected an error)"
  elif ((rc == 124)); then
    fail "$name" "timed out after ${limit}s"
  elif ((rc >= 128)); then
    fail "$name" "killed by signal $((rc - 128)) ($(tail -n 3 "$err" | tr '\n' ' '))"
  elif [[ -z "$message" ]]; then
    fail "$name" "exit $rc without a 'fennec: error:' line (stderr: $(head -c 300 "$err" | tr '\n' ' '))"
  elif grep -qiE 'terminate called|segmentation fault|core dumped|assertion' "$err"; then
    fail "$name" "crash text on stderr: $(head -c 300 "$err" | tr '\n' ' ')"
  elif [[ -n "$pattern" ]] && ! grep -qiE "$pattern" <<<"$message"; then
    fail "$name" "message does not mention /$pattern/: $message"
  else
    pass "$name (exit $rc: ${message#*fennec: error: })"
  fi
}

# write_npy FILE DIMS...: a float32 .npy of zeros with the given shape.
write_npy() {
  local file="$1"
  shift
  local count=1 d shape
  for d in "$@"; do count=$((count * d)); done
  shape="$(IFS=,; echo "$*" | sed 's/,/, /g')"
  (($# == 1)) && shape="$shape,"
  local header="{'descr': '<f4', 'fortran_order': False, 'shape': ($shape), }"
  local total=$((10 + ${#header} + 1))
  local pad=$(((64 - total % 64) % 64))
  header="$header$(printf '%*s' "$pad" '')"
  local len=$((${#header} + 1))
  {
    printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf '%02x' $((len & 255)))\\x$(printf '%02x' $((len >> 8)))"
    printf '%s\n' "$header"
    head -c $((count * 4)) /dev/zero
  } >"$file"
}

# ---- a real model, when the test models are fetched ---------------------
model=""
onnx="${FENNEC_MODELS_DIR:-}/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx"
if [[ -n "${FENNEC_MODELS_DIR:-}" && -f "$onnx" ]]; then
  echo "converting $onnx"
  if timeout "$limit" "$fennec" convert "$onnx" -o "$tmp/det.fennec" >"$tmp/convert.txt" 2>&1; then
    model="$tmp/det.fennec"
  else
    fail "convert the detection model" "$(tail -n 3 "$tmp/convert.txt" | tr '\n' ' ')"
  fi
else
  echo "note: FENNEC_MODELS_DIR is not set or has no detection model (run scripts/fetch-models.sh);" \
       "damaging an arbitrary file instead and skipping the input checks"
fi

# Source bytes for the damaged files: the real model or, lacking it, this tool.
source_file="${model:-$fennec}"
size=$(stat -c %s "$source_file")
# The FlatBuffer is size-prefixed: its length is the first little-endian uint32.
fb_size=$(od -An -tu4 -N4 "$source_file" | tr -d ' ')
if [[ -z "$model" ]] || ((fb_size <= 16 || fb_size > size)); then fb_size=$((size / 2)); fi

head -c $((fb_size / 2)) "$source_file" >"$tmp/truncated.fennec"
# Header intact, weight section cut short.
head -c $((size - 4096)) "$source_file" >"$tmp/truncated_weights.fennec"
# Offsets and lengths overwritten with 0xff at several places inside the FlatBuffer.
cp "$source_file" "$tmp/corrupted.fennec"
for part in 3 5 7 9 11 13; do
  offset=$((fb_size * part / 16))
  printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff' |
    dd of="$tmp/corrupted.fennec" bs=1 seek="$offset" conv=notrunc status=none
done
# The identifier "FNC1" sits after the size prefix and the root offset.
cp "$source_file" "$tmp/wrong_identifier.fennec"
printf 'XXXX' | dd of="$tmp/wrong_identifier.fennec" bs=1 seek=8 conv=notrunc status=none
head -c 65536 /dev/urandom >"$tmp/random.fennec"
: >"$tmp/empty.fennec"
write_npy "$tmp/input.npy" 1 3 64 64

for kind in truncated truncated_weights corrupted wrong_identifier random empty; do
  expect_error "inspect $kind file" "" "$fennec" inspect "$tmp/$kind.fennec"
  expect_error "run $kind file" "" "$fennec" run "$tmp/$kind.fennec" --input "x=$tmp/input.npy"
done
expect_error "inspect missing file" "does-not-exist" "$fennec" inspect "$tmp/does-not-exist.fennec"
expect_error "convert missing file" "does-not-exist" "$fennec" convert "$tmp/does-not-exist.onnx" -o "$tmp/x.fennec"
expect_error "convert a non-ONNX file" "" "$fennec" convert "$tmp/random.fennec" -o "$tmp/x.fennec"

# ---- bad inputs for a good model ----------------------------------------
if [[ -n "$model" ]]; then
  write_npy "$tmp/rank3.npy" 3 64 64
  write_npy "$tmp/four_channels.npy" 1 4 64 64
  echo "not a numpy file" >"$tmp/not_npy.npy"
  expect_error "run with an unknown input name" "wrongname" \
    "$fennec" run "$model" --input "wrongname=$tmp/input.npy"
  expect_error "run with a rank-3 input" "rank|dimension|shape" \
    "$fennec" run "$model" --input "x=$tmp/rank3.npy"
  expect_error "run with a 4-channel input" "channel|shape|dim|4" \
    "$fennec" run "$model" --input "x=$tmp/four_channels.npy"
  expect_error "run with a missing .npy file" "missing\.npy" \
    "$fennec" run "$model" --input "x=$tmp/missing.npy"
  expect_error "run with a file that is not .npy" "npy" \
    "$fennec" run "$model" --input "x=$tmp/not_npy.npy"
  expect_error "run with a budget below the weights" "budget" \
    "$fennec" run "$model" --input "x=$tmp/input.npy" --memory-budget 1M
  # The error names the smallest budget; one byte less fails naming the
  # same figure, and that budget itself runs (weights streamed).
  minimum="$(grep -oE 'smallest budget that works is [0-9]+' "$tmp/stderr.txt" | grep -oE '[0-9]+$')"
  if [[ -z "$minimum" ]]; then
    fail "run with the smallest budget named" "no smallest budget in: $(head -c 300 "$tmp/stderr.txt")"
  else
    expect_error "run with one byte below the smallest budget" "smallest budget that works is $minimum bytes" \
      "$fennec" run "$model" --input "x=$tmp/input.npy" --memory-budget "$((minimum - 1))"
    if timeout "$limit" "$fennec" run "$model" --input "x=$tmp/input.npy" --memory-budget "$minimum" \
      >"$tmp/stdout.txt" 2>"$tmp/stderr.txt" && grep -q "weights streamed" "$tmp/stdout.txt"; then
      pass "run with the smallest budget named ($minimum bytes, weights streamed)"
    else
      fail "run with the smallest budget named" "$(head -c 300 "$tmp/stderr.txt") $(tail -c 300 "$tmp/stdout.txt")"
    fi
  fi
  expect_error "run with a malformed budget" "not a size" \
    "$fennec" run "$model" --input "x=$tmp/input.npy" --memory-budget 12Q
  expect_error "convert with an unknown quantization scheme" "int3.*fp16, int8, int4, fp8 or w8a8" \
    "$fennec" convert "$onnx" -o "$tmp/q.fennec" --quantize int3
  expect_error "convert w8a8 without calibration data" "w8a8 needs activation scales from --calibration" \
    "$fennec" convert "$onnx" -o "$tmp/q.fennec" --quantize w8a8
  expect_error "convert with an unknown activation storage" "activations: expected fp16 or fp32, got 'fp8'" \
    "$fennec" convert "$onnx" -o "$tmp/q.fennec" --quantize fp16 --activations fp8
  expect_error "convert with an odd int4 group size" "group-size 7" \
    "$fennec" convert "$onnx" -o "$tmp/q.fennec" --quantize int4 --group-size 7
  expect_error "convert with calibration but no scheme" "calibration needs --quantize" \
    "$fennec" convert "$onnx" -o "$tmp/q.fennec" --calibration "$tmp"
  expect_error "convert with GPTQ rounding but no calibration" "gptq needs calibration" \
    "$fennec" convert "$onnx" -o "$tmp/q.fennec" --quantize int4 --rounding gptq
  expect_error "convert with an unknown rounding" "expected nearest or gptq, got 'stochastic'" \
    "$fennec" convert "$onnx" -o "$tmp/q.fennec" --quantize int8 --rounding stochastic
  mkdir -p "$tmp/calib_bad"
  write_npy "$tmp/calib_bad/a.npy" 1 2 3
  expect_error "convert with calibration data of the wrong rank" "calib_bad/a.npy.*shape" \
    "$fennec" convert "$onnx" -o "$tmp/q.fennec" --quantize int8 --calibration "$tmp/calib_bad"
  expect_error "bench with a model and --linear" "not both" \
    "$fennec" bench "$model" --linear 64x64
  expect_error "bench with a malformed --linear" "linear" \
    "$fennec" bench --linear 64x
else
  skipped=17
  echo "SKIP  17 input checks (no converted model)"
fi

# ---- LLM generation (the stories260K fixture) ---------------------------
stories="$(dirname "$0")/../fixtures/stories260K.bin"
if "$fennec" convert "$stories" -o "$tmp/stories.fennec" >/dev/null 2>"$tmp/stderr.txt"; then
  pass "convert the llama2.c fixture"
  expect_error "generate with a non-numeric token" "token ids.*x" \
    "$fennec" generate "$tmp/stories.fennec" --tokens 1,x
  expect_error "generate with a token outside the vocabulary" "outside the vocabulary of 512" \
    "$fennec" generate "$tmp/stories.fennec" --tokens 1,512
  expect_error "generate with a text prompt and no tokenizer" "no tokenizer.*--tokens" \
    "$fennec" generate "$tmp/stories.fennec" -p "Once upon a time"
  expect_error "generate with a stop string and no tokenizer" "stop strings need a model with a tokenizer" \
    "$fennec" generate "$tmp/stories.fennec" --stop "the end"
  expect_error "generate under a budget too small for one position" "smallest budget that works is [0-9]+ bytes" \
    "$fennec" generate "$tmp/stories.fennec" --memory-budget 200K
  if [[ -n "$model" ]]; then
    expect_error "generate with a model that is not an LLM" "not an LLM" "$fennec" generate "$model"
  fi
  expect_error "convert a llama2.c checkpoint with --calibration" "do not apply to LLM imports" \
    "$fennec" convert "$stories" -o "$tmp/q.fennec" --quantize int8 --calibration "$tmp"
  expect_error "convert a llama2.c checkpoint to w8a8" "w8a8 needs calibration" \
    "$fennec" convert "$stories" -o "$tmp/q.fennec" --quantize w8a8
  expect_error "convert a llama2.c checkpoint with --quantize-embedding alone" "needs --quantize" \
    "$fennec" convert "$stories" -o "$tmp/q.fennec" --quantize-embedding
  mkdir -p "$tmp/hf"
  echo '{"model_type": "gpt_neox", "hidden_size": 64}' >"$tmp/hf/config.json"
  expect_error "convert a Hugging Face directory of an unsupported architecture" 'model_type "gpt_neox"' \
    "$fennec" convert "$tmp/hf" -o "$tmp/hf.fennec"
  head -c 400000 "$stories" >"$tmp/truncated.bin"
  expect_error "convert a truncated llama2.c checkpoint" "truncated" \
    "$fennec" convert "$tmp/truncated.bin" -o "$tmp/t.fennec"
else
  fail "convert the llama2.c fixture" "$(head -c 300 "$tmp/stderr.txt")"
fi

if ((skipped)); then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
((failed == 0))
