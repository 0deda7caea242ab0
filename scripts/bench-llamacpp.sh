#!/usr/bin/env bash
# Side-by-side LLM benchmark: Fennec against llama.cpp's Vulkan backend on the
# same random-weight GGUF files and the same Vulkan device, in one run.
#
#   scripts/bench-llamacpp.sh [OUT_DIR]
#
# 1. Builds llama.cpp (llama-bench only) from the git bundle that the npm
#    package node-llama-cpp@3.21.1 ships (fetched and checked by
#    scripts/fetch-models.sh), outside the repository: $FENNEC_LLAMACPP_DIR,
#    default <repo>/.cache/llamacpp. Debian 12's Vulkan headers (1.3.239)
#    predate VK_EXT_layer_settings, which that llama.cpp uses for its
#    validation-layer settings only; the build compiles that one statement
#    out. Nothing of llama.cpp enters this repository.
# 2. Writes llama-architecture GGUF files of the TinyLlama-1.1B shape (dim
#    2048, 22 layers, 32 heads, 4 KV heads, hidden 5632, vocab 32000) with
#    random weights in Q4_0 and Q8_0 (build/tests/fennec_random_gguf) and
#    converts them with `fennec convert` (both formats import losslessly).
# 3. Runs `fennec bench --json` and `llama-bench -o json` one after the
#    other on each file, with the same prompt and generation lengths, and
#    writes OUT_DIR/bench-llamacpp.json with both engines' prefill and decode
#    tokens/s and the ratios Fennec / llama.cpp.
#
# Environment: BENCH_PROMPT (default 16) and BENCH_GEN (default 8) tokens,
# BENCH_TYPES (default "q4_0 q8_0"), BENCH_REPEAT (default 2 for Fennec; 1
# for llama-bench, which warms up first), FENNEC_BUILD_DIR (default
# <repo>/build). On lavapipe a run takes about half an hour on two cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/bench-llamacpp}"
build="${FENNEC_BUILD_DIR:-$root/build}"
cache="$root/.cache"
llama="${FENNEC_LLAMACPP_DIR:-$cache/llamacpp}"
prompt="${BENCH_PROMPT:-16}"
gen="${BENCH_GEN:-8}"
types="${BENCH_TYPES:-q4_0 q8_0}"
repeat="${BENCH_REPEAT:-2}"
mkdir -p "$out" "$llama"

need=()
for pkg in glslc cmake g++ libvulkan-dev spirv-headers mesa-vulkan-drivers python3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "bench-llamacpp: installing ${need[*]}"
  apt-get update -qq && apt-get install -y -qq "${need[@]}"
fi

"$root/scripts/fetch-models.sh" "$cache" >/dev/null
tgz="$cache/node-llama-cpp-3.21.1.tgz"
bench_bin="$llama/build/bin/llama-bench"
if [ ! -x "$bench_bin" ]; then
  echo "bench-llamacpp: building llama.cpp's llama-bench (Vulkan) in $llama (about 25 minutes on two cores)"
  rm -rf "$llama/npm" "$llama/src"
  mkdir -p "$llama/npm"
  tar -xzf "$tgz" -C "$llama/npm" package/llama/gitRelease.bundle
  git clone -q "$llama/npm/package/llama/gitRelease.bundle" "$llama/src"
  vk="$llama/src/ggml/src/ggml-vulkan/ggml-vulkan.cpp"
  if ! grep -q VK_EXT_layer_settings /usr/include/vulkan/vulkan_core.h; then
    # Construct the instance without the layer-settings chain.
    python3 - "$vk" <<'PY'
import re, sys
path = sys.argv[1]
s = open(path).read()
m = re.search(r"\n(\s*)VkBool32 enable_best_practice.*?vk::InstanceCreateInfo instance_create_info\(([^;]*), &layer_setting_info\);", s, re.S)
if not m:
    sys.exit("bench-llamacpp: the layer-settings block was not found; this llama.cpp needs newer Vulkan headers")
indent, args = m.group(1), m.group(2)
s = s[:m.start()] + "\n#ifdef VK_EXT_layer_settings" + m.group(0) + "\n#else\n" + indent + \
    "vk::InstanceCreateInfo instance_create_info(" + args + ");\n#endif" + s[m.end():]
open(path, "w").write(s)
PY
  fi
  cmake -S "$llama/src" -B "$llama/build" -DGGML_VULKAN=ON -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_EXAMPLES=ON >"$llama/configure.log"
  cmake --build "$llama/build" -j"$(nproc)" --target llama-bench >"$llama/build.log"
fi

cmake --build "$build" -j"$(nproc)" --target fennec fennec_random_gguf >/dev/null
fennec="$build/converter/fennec"
# llama.cpp lists CPU-type Vulkan devices (lavapipe) only when asked to.
export GGML_VK_VISIBLE_DEVICES="${GGML_VK_VISIBLE_DEVICES:-0}"

for type in $types; do
  gguf="$cache/bench/tinyllama-shape-$type.gguf"
  model="$cache/bench/tinyllama-shape-$type.fennec"
  mkdir -p "$cache/bench"
  [ -f "$gguf" ] || "$build/tests/fennec_random_gguf" "$gguf" --type "$type"
  [ -f "$model" ] && [ "$model" -nt "$fennec" ] || "$fennec" convert "$gguf" -o "$model" >/dev/null
  echo "bench-llamacpp: $type: fennec bench"
  "$fennec" bench "$model" --prompt-tokens "$prompt" --gen-tokens "$gen" --repeat "$repeat" --warmup 1 --json \
    >"$out/fennec-$type.json"
  echo "bench-llamacpp: $type: llama-bench"
  "$bench_bin" -m "$gguf" -dev Vulkan0 -ngl 99 -p "$prompt" -n "$gen" -r 1 -o json \
    >"$out/llamacpp-$type.json" 2>"$out/llamacpp-$type.log"
done

python3 - "$out" $types <<'PY'
import json, sys
out, types = sys.argv[1], sys.argv[2:]
rows = []
for t in types:
    f = json.load(open(f"{out}/fennec-{t}.json"))
    l = json.load(open(f"{out}/llamacpp-{t}.json"))
    lp = next(r for r in l if r["n_prompt"] > 0 and r["n_gen"] == 0)
    lg = next(r for r in l if r["n_gen"] > 0 and r["n_prompt"] == 0)
    row = {"type": t, "device": f["device"], "prompt_tokens": f["prompt_tokens"], "gen_tokens": f["gen_tokens"],
           "fennec": {"prefill_tokens_per_s": f["prefill_tokens_per_s"], "decode_tokens_per_s": f["decode_tokens_per_s"],
                      "peak_device_bytes": f["memory"].get("peak_device_bytes")},
           "llamacpp": {"prefill_tokens_per_s": lp["avg_ts"], "decode_tokens_per_s": lg["avg_ts"],
                        "build_commit": lp.get("build_commit"), "threads": lp.get("n_threads")}}
    row["decode_ratio"] = row["fennec"]["decode_tokens_per_s"] / row["llamacpp"]["decode_tokens_per_s"]
    row["prefill_ratio"] = row["fennec"]["prefill_tokens_per_s"] / row["llamacpp"]["prefill_tokens_per_s"]
    rows.append(row)
    print(f"{t}: prefill fennec {row['fennec']['prefill_tokens_per_s']:.3f} vs llama.cpp "
          f"{row['llamacpp']['prefill_tokens_per_s']:.3f} tok/s ({row['prefill_ratio']:.2f}x); decode fennec "
          f"{row['fennec']['decode_tokens_per_s']:.3f} vs llama.cpp {row['llamacpp']['decode_tokens_per_s']:.3f} "
          f"tok/s ({row['decode_ratio']:.2f}x)")
json.dump(rows, open(f"{out}/bench-llamacpp.json", "w"), indent=2)
print(f"bench-llamacpp: wrote {out}/bench-llamacpp.json")
PY
