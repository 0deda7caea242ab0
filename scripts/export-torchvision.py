#!/usr/bin/env python3
"""Exports torchvision classifiers to ONNX with torch as their oracle.

    python3 scripts/export-torchvision.py OUT_DIR

For each architecture: random weights from a fixed seed, eval mode, ONNX
opset 13 with dynamic batch/height/width, written to OUT_DIR/<name>.onnx;
then, for each input size, a seeded input OUT_DIR/<name>_<H>x<W>_input.npy
and torch's own output OUT_DIR/<name>_<H>x<W>_torch.npy. A stamp file records
the torch/torchvision versions and this script's hash, so a rerun with the
same versions does nothing.
"""
import hashlib
import os
import sys
import warnings

MODELS = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1",
          "shufflenet_v2_x1_0", "efficientnet_b0"]
SIZES = [(224, 224), (160, 192)]
SEED = 2026


def stamp_text(torch, torchvision):
    with open(__file__, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return f"torch {torch.__version__} torchvision {torchvision.__version__} script {digest}\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export-torchvision.py OUT_DIR")
    out = sys.argv[1]
    try:
        import numpy as np
        import torch
        import torchvision
    except ImportError as e:
        sys.exit(f"export-torchvision: {e} (install python3-torch and python3-torchvision: "
                 "scripts/setup-deps.sh)")
    os.makedirs(out, exist_ok=True)
    stamp = os.path.join(out, ".stamp")
    expected = stamp_text(torch, torchvision)
    if os.path.exists(stamp) and open(stamp).read() == expected:
        print(f"[torchvision] up to date in {out}")
        return
    warnings.filterwarnings("ignore")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for index, name in enumerate(MODELS):
        print(f"[torchvision] {index + 1}/{len(MODELS)} {name}: export + reference", flush=True)
        torch.manual_seed(SEED)
        model = getattr(torchvision.models, name)(weights=None).eval()
        example = torch.randn(1, 3, *SIZES[0])
        path = os.path.join(out, f"{name}.onnx")
        torch.onnx.export(model, example, path + ".tmp", opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}})
        os.replace(path + ".tmp", path)
        for h, w in SIZES:
            generator = torch.Generator().manual_seed(SEED + h * 1000 + w)
            x = torch.randn(1, 3, h, w, generator=generator)
            with torch.no_grad():
                y = model(x)
            np.save(os.path.join(out, f"{name}_{h}x{w}_input.npy"), x.numpy().astype(np.float32))
            np.save(os.path.join(out, f"{name}_{h}x{w}_torch.npy"), y.numpy().astype(np.float32))
    with open(stamp, "w") as f:
        f.write(expected)
    print(f"[torchvision] done: {len(MODELS)} models in {out}")


if __name__ == "__main__":
    main()
