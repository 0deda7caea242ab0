#!/usr/bin/env python3
"""Trains torchvision classifiers on handwritten digits and exports them to ONNX.

    python3 scripts/export-torchvision.py OUT_DIR DIGITS_CSV_GZ

DIGITS_CSV_GZ is scikit-learn's copy of the UCI optical digits (1,797 8x8
images, 64 pixels and a label per line), which scripts/fetch-models.sh takes
from Debian's python3-sklearn. A seeded shuffle holds out TEST_SIZE images;
the first 16 of them are the classifiers' test batch and the next 8 their
calibration batch, written once as OUT_DIR/digits_{test,calibration}.npy
(32x32, three channels) and OUT_DIR/digits_test_labels.npy.

For each architecture (torchvision's own, 1000 outputs, trained on the labels
0-9 from a fixed seed): a few epochs of training at 32x32 on the rest, batch
norm statistics measured again on the training set, eval mode, ONNX opset 13
with dynamic batch/height/width to OUT_DIR/<name>.onnx; then, for each input
size, a seeded noise input OUT_DIR/<name>_<H>x<W>_input.npy and torch's own
output OUT_DIR/<name>_<H>x<W>_torch.npy. Trained weights give the decided
logits that a quantization test needs (random ones give near-ties). A stamp
file records the torch/torchvision versions and this script's hash, so a rerun
with the same versions does nothing.
"""
import gzip
import hashlib
import os
import sys
import time
import warnings

MODELS = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1",
          "shufflenet_v2_x1_0", "efficientnet_b0"]
SIZES = [(224, 224), (160, 192)]
SEED = 2026
DIGIT_SIZE = 32
TEST_SIZE = 297
EPOCHS = 6
EPOCHS_OF = {"squeezenet1_1": 12}  # no batch norm: it learns slower, and it is cheap
BATCH = 64
LEARNING_RATE = 2e-3


def stamp_text(torch, torchvision):
    with open(__file__, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return (f"torch {torch.__version__} torchvision {torchvision.__version__} threads "
            f"{torch.get_num_threads()} script {digest}\n")


def load_digits(np, torch, path):
    with gzip.open(path, "rt") as f:
        raw = np.loadtxt(f, delimiter=",", dtype=np.float32)
    if raw.ndim != 2 or raw.shape[1] != 65:
        sys.exit(f"export-torchvision: {path} is not the 8x8 digits table (shape {raw.shape})")
    pixels = torch.from_numpy(raw[:, :64].copy()).reshape(-1, 1, 8, 8) / 16.0
    images = torch.nn.functional.interpolate(pixels, size=(DIGIT_SIZE, DIGIT_SIZE), mode="bilinear",
                                             align_corners=False)
    images = (images.repeat(1, 3, 1, 1) - 0.3) / 0.4
    labels = torch.from_numpy(raw[:, 64].astype(np.int64))
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(SEED))
    return images[order], labels[order]


def train(torch, model, name, images, labels):
    epochs = EPOCHS_OF.get(name, EPOCHS)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=1e-4)
    steps_per_epoch = (len(labels) + BATCH - 1) // BATCH
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE,
                                                   total_steps=epochs * steps_per_epoch)
    generator = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), BATCH):
            batch = order[start:start + BATCH]
            loss = torch.nn.functional.cross_entropy(model(images[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    # The running statistics lag the weights the fast schedule moved: measure
    # them again over the training set (dropout and stochastic depth off).
    model.eval()
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None
            module.train()
    with torch.no_grad():
        for start in range(0, len(labels), 256):
            model(images[start:start + 256])
    model.eval()
    return loss.item()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: export-torchvision.py OUT_DIR DIGITS_CSV_GZ")
    out, digits_path = sys.argv[1], sys.argv[2]
    try:
        import numpy as np
        import torch
        import torchvision
    except ImportError as e:
        sys.exit(f"export-torchvision: {e} (install python3-torch and python3-torchvision: "
                 "scripts/setup-deps.sh)")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    stamp = os.path.join(out, ".stamp")
    expected = stamp_text(torch, torchvision)
    if os.path.exists(stamp) and open(stamp).read() == expected:
        print(f"[torchvision] up to date in {out}")
        return
    warnings.filterwarnings("ignore")
    images, labels = load_digits(np, torch, digits_path)
    test, test_labels = images[:TEST_SIZE], labels[:TEST_SIZE]
    np.save(os.path.join(out, "digits_test.npy"), test[:16].numpy())
    np.save(os.path.join(out, "digits_test_labels.npy"), test_labels[:16].numpy().astype(np.float32))
    np.save(os.path.join(out, "digits_calibration.npy"), test[16:24].numpy())
    for index, name in enumerate(MODELS):
        started = time.time()
        print(f"[torchvision] {index + 1}/{len(MODELS)} {name}: training {EPOCHS_OF.get(name, EPOCHS)} epochs on "
              f"{len(labels) - TEST_SIZE} digits", flush=True)
        torch.manual_seed(SEED)
        model = getattr(torchvision.models, name)(weights=None)
        loss = train(torch, model, name, images[TEST_SIZE:], labels[TEST_SIZE:])
        with torch.no_grad():
            accuracy = (model(test).argmax(1) == test_labels).float().mean().item()
        print(f"[torchvision] {name}: last loss {loss:.3f}, held-out accuracy {accuracy:.3f} "
              f"({time.time() - started:.0f} s); export + reference", flush=True)
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
