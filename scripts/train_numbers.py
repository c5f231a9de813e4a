#!/usr/bin/env python3
"""Train the number classifier (desktop_receiver/calibration/digits.py) on rendered slots and export it.

    .venv/bin/pip install -e '.[train]'      # PyTorch (CPU) and onnx, for training only
    .venv/bin/python scripts/train_numbers.py --out desktop_receiver/calibration/models/numbers.onnx

The samples are drawn afresh for every epoch (scripts/number_glyphs.py, seeded); a held-out rendered set
gives the accuracy printed at the end. The exported network runs with OpenCV's dnn, without PyTorch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import number_glyphs  # noqa: E402
from onnx_export import export, have_torch  # noqa: E402

from desktop_receiver.calibration import digits  # noqa: E402
from desktop_receiver.calibration.number_patches import PATCH_PX, normalise  # noqa: E402


def build_model():
    """A small network: three 3x3 convolution blocks, then two dense layers (about 30 k weights, 0.7 M
    multiply-adds per slot: the 40 slot pictures of a board take about 2 ms on one core)."""
    import torch.nn as nn

    def block(cin: int, cout: int) -> list:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]

    return nn.Sequential(
        *block(1, 8),
        *block(8, 16),
        *block(16, 32),
        nn.Flatten(),
        nn.Linear(32 * (PATCH_PX // 8) ** 2, 48),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(48, digits.N_CLASSES),
    )


def _tensors(rng: np.random.Generator, n: int):
    import torch

    pictures, labels = number_glyphs.batch(rng, n)
    x = torch.from_numpy(normalise(pictures)).unsqueeze(1)
    return x, torch.from_numpy(labels)


def train(epochs: int, per_epoch: int, seed: int, threads: int):
    """The trained model (eval mode) and its accuracy on a held-out rendered set."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    model = build_model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * (per_epoch // 128))
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    test_x, test_y = _tensors(np.random.default_rng(seed + 1_000_000), 4000)
    for epoch in range(epochs):
        start = time.time()
        x, y = _tensors(np.random.default_rng(seed + epoch), per_epoch)
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x) - 127, 128):
            idx = order[i : i + 128]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            accuracy = float((model(test_x).argmax(1) == test_y).float().mean())
        print(
            f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, held-out accuracy {accuracy:.3f},"
            f" {time.time() - start:.0f} s"
        )
    return model, accuracy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=digits.MODEL_PATH, help="where the ONNX model goes")
    ap.add_argument("--epochs", type=int, default=24)
    ap.add_argument("--per-epoch", type=int, default=30000, help="fresh rendered samples per epoch")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch")
    args = ap.parse_args(argv)
    if not have_torch("train_numbers"):
        return 2
    model, accuracy = train(args.epochs, args.per_epoch, args.seed, args.threads)
    export(model, (1, PATCH_PX, PATCH_PX), args.out, "slot", "logits")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB), held-out accuracy {accuracy:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
