#!/usr/bin/env python3
"""Train the tip networks (desktop_receiver/scoring/detect/tip_net.py) on rendered darts and export them.

    .venv/bin/pip install -e '.[train]'      # PyTorch (CPU) and onnx, for training only
    .venv/bin/python scripts/train_tip.py    # writes desktop_receiver/scoring/detect/models/tip_*.onnx

Each seeded scene (scripts/render_board.py: a random camera, board and light) gets 1-3 random darts
(scripts/render_darts.py), thrown one after the other; every frame has its own sensor noise and JPEG. For
each new dart, the detector's own change analysis (analysis.dart_pixels, with the scene's true calibration)
gives the dart's pixels, and tip_net.patch the networks' inputs (the coarse patch about the dart, the fine
one a few mm off its tip, as the coarse network would place it); the target is the rendered tip. Patches are
cached in ``--data`` (.npz chunks) so that training again does not render again. Training turns and mirrors
the patches (the tip turns with them). Held-out scenes give the tip error printed at the end, in image px.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_tip import camera_noise, truth_calibration  # noqa: E402
from onnx_export import export, have_torch  # noqa: E402
from render_board import random_params, render_scene  # noqa: E402
from render_darts import random_dart  # noqa: E402

from desktop_receiver.scoring.detect import tip_net  # noqa: E402
from desktop_receiver.scoring.detect.analysis import dart_pixels  # noqa: E402
from desktop_receiver.scoring.detect.geometry import Geometry  # noqa: E402

TRAIN_SEED = 100_000  # away from the seeds of the benchmarks (bench_tip, bench_autoscore) and tests
HELD_OUT_SEED = 900_000  # scenes from here on are never trained on
CHUNK_SCENES = 1500
DATA_VERSION = 2  # in the cache's file names: a change to the scenes must not reuse older samples
JITTER = 0.06  # the coarse patch's centre moves by this share of its side (the changed pixels vary)
FINE_MISS_MM = 2.5  # the coarse network's typical miss, about which the fine patches are centred


def scene_samples(seed: int) -> list[dict[str, np.ndarray | float]]:
    """The samples of one seeded scene, one per dart: the coarse patch ``x`` with the tip ``tip`` in it
    (patch px) and its ``side`` (image px); the fine patch ``fx``, ``ftip``, ``fside``."""
    rng = np.random.default_rng([seed, 4242])
    darts = tuple(random_dart(rng) for _ in range(int(rng.integers(1, 4))))
    # A phone is held face-on as often as steeply, at any roll: random_params draws few face-on views,
    # where the flight hides the tip and the shadow is the longest streak.
    params = replace(
        random_params(seed),
        tilt_deg=float(rng.uniform(0, 60)),
        roll_deg=float(rng.uniform(0, 360)),
        noise_sigma=1.0,
        jpeg_quality=95,
        darts=(),
    )
    scenes = [render_scene(replace(params, darts=darts[:k])) for k in range(len(darts) + 1)]
    geometry = Geometry.of(truth_calibration(params, scenes[-1].h))
    quality, sigma = int(rng.integers(75, 93)), float(rng.uniform(1.5, 3.5))
    frames = [camera_noise(s.image, rng, sigma, quality) for s in scenes]
    out = []
    for k in range(1, len(frames)):
        found = dart_pixels(geometry, frames[k - 1], frames[k])
        if not found.groups:
            continue
        truth = np.array(scenes[k].darts[-1].tip_px)
        crop = tip_net.crop_of(found.groups[0])
        shift = rng.normal(0, JITTER * crop.side, 2)
        crop = tip_net.Crop(
            (crop.centre[0] + shift[0], crop.centre[1] + shift[1]), crop.side * rng.uniform(0.9, 1.15)
        )
        # The fine patch about where the coarse network may put the tip: a few mm off.
        miss = np.clip(rng.normal(0, FINE_MISS_MM, 2), -2 * FINE_MISS_MM, 2 * FINE_MISS_MM)
        fine = tip_net.fine_crop(truth + miss * found.px_per_mm, found.px_per_mm)
        tip = crop.to_patch(truth)
        if np.all((tip >= 0) & (tip < tip_net.INPUT_PX)):
            out.append(
                {
                    "x": tip_net.patch(frames[k - 1], frames[k], found.groups[0], crop),
                    "tip": tip.astype(np.float32),
                    "side": crop.side,
                    "fx": tip_net.patch(frames[k - 1], frames[k], found.groups[0], fine),
                    "ftip": fine.to_patch(truth).astype(np.float32),
                    "fside": fine.side,
                }
            )
    return out


def render_set(first: int, count: int, workers: int) -> dict[str, np.ndarray]:
    """Samples of ``count`` scenes from seed ``first``, rendered by ``workers`` processes."""
    start = time.time()
    with multiprocessing.Pool(workers) as pool:
        rows = [s for scene in pool.imap(scene_samples, range(first, first + count), 8) for s in scene]
    print(f"rendered {count} scenes, {len(rows)} darts, in {time.time() - start:.0f} s", flush=True)
    return {key: np.stack([np.asarray(r[key]) for r in rows]) for key in rows[0]}


def load_or_render(folder: Path, first: int, count: int, workers: int) -> dict[str, np.ndarray]:
    """The samples of ``count`` scenes from seed ``first``: cached in ``folder`` by chunks of
    CHUNK_SCENES scenes (more scenes later render only the new chunks)."""
    parts = []
    for start in range(first, first + count, CHUNK_SCENES):
        n = min(CHUNK_SCENES, first + count - start)
        path = folder / f"scenes_v{DATA_VERSION}_{start}_{n}.npz"
        if path.is_file():
            parts.append(dict(np.load(path)))
            continue
        part = render_set(start, n, workers)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(path, **part)
        parts.append(part)
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def build_model(fine: bool):
    """A small fully convolutional network down to the CELLS x CELLS heat map. Coarse: two strided blocks,
    then dilated blocks that see the whole patch (the flight at one end tells which end is the tip); about
    60 M multiply-adds. Fine: one strided block and a few more, about 60 M (at 15 M its tip error was a
    third larger). A few ms per dart on one core."""
    import torch.nn as nn

    def block(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> list:
        conv = nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False)
        return [conv, nn.BatchNorm2d(cout), nn.ReLU()]

    if fine:
        layers = [*block(tip_net.CHANNELS, 32), *block(32, 48, stride=2), *block(48, 48)]
        layers += [*block(48, 48, dilation=2), *block(48, 48, dilation=4), *block(48, 48, dilation=2)]
        return nn.Sequential(*layers, nn.Conv2d(48, 1, 1))
    layers = [*block(tip_net.CHANNELS, 16, stride=2), *block(16, 32), *block(32, 32, stride=2)]
    layers += [*block(32, 48), *block(48, 48, dilation=2), *block(48, 48, dilation=4)]
    return nn.Sequential(*layers, *block(48, 48, dilation=8), nn.Conv2d(48, 1, 1))


def turned(x: np.ndarray, tip: np.ndarray, k: int, flip: bool) -> tuple[np.ndarray, np.ndarray]:
    """Patches ``x`` (N, C, S, S) and their tips (N, 2: x, y patch px) mirrored left-right, then turned by
    k quarter turns counter-clockwise. A patch's pixel i has its centre at i (as warpAffine and
    Crop.to_patch have it), so mirroring maps x to S - 1 - x, not S - x: the off-by-one taught the
    networks a bias of half a patch px to the lower right."""
    last = float(x.shape[-1] - 1)
    tip = np.asarray(tip, np.float32)
    if flip:
        x = x[..., ::-1]
        tip = np.column_stack([last - tip[:, 0], tip[:, 1]])
    for _ in range(k):
        # np.rot90 over (rows, cols) turns counter-clockwise: (x, y) -> (y, S - 1 - x).
        x = np.rot90(x, 1, axes=(2, 3))
        tip = np.column_stack([tip[:, 1], last - tip[:, 0]])
    return np.ascontiguousarray(x), tip.astype(np.float32)


def _loss(logits, tip, size: int):
    """Cross-entropy against a Gaussian about the tip, plus the expected position's distance (cells)."""
    import torch

    n = tip_net.CELLS
    cell = size / n
    centres = torch.from_numpy(tip_net.cell_centres(size).astype(np.float32))
    gx = torch.exp(-(((centres[None, :] - tip[:, :1]) / cell) ** 2) / 2)
    gy = torch.exp(-(((centres[None, :] - tip[:, 1:]) / cell) ** 2) / 2)
    target = (gy[:, :, None] * gx[:, None, :]).reshape(len(tip), -1)
    target = target / target.sum(dim=1, keepdim=True)
    logp = torch.log_softmax(logits.reshape(len(tip), -1), dim=1)
    ce = -(target * logp).sum(dim=1).mean()
    p = logp.exp().reshape(-1, n, n)
    expected = torch.stack([(p.sum(1) * centres).sum(1), (p.sum(2) * centres).sum(1)], dim=1)
    return ce + (expected - tip).abs().sum(dim=1).mean() / cell


@dataclass(frozen=True)
class Stage:
    """Which network: the keys of its patches, targets and sides in the samples."""

    name: str
    x: str
    tip: str
    side: str
    fine: bool
    epochs: int  # the fine network, larger, still learns after 50 (held-out error 0.44 px at 50, 0.43 at 60)


STAGES = (Stage("coarse", "x", "tip", "side", False, 50), Stage("fine", "fx", "ftip", "fside", True, 60))


def train(stage: Stage, data: dict, held: dict, epochs: int, seed: int):
    """The trained network of ``stage`` (eval mode) and its tip errors on the held-out samples (image px)."""
    import torch

    torch.manual_seed(seed)
    model = build_model(stage.fine)
    x_all = tip_net.normalise(data[stage.x])
    tip_all = data[stage.tip]
    size = x_all.shape[-1]
    batch = min(64, len(x_all))  # a tiny trial run still takes steps
    steps = epochs * (len(x_all) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        start = time.time()
        model.train()
        order = rng.permutation(len(x_all))
        total = 0.0
        for i in range(0, len(x_all) - batch + 1, batch):
            idx = order[i : i + batch]
            x, tip = turned(x_all[idx], tip_all[idx], int(rng.integers(0, 4)), bool(rng.integers(0, 2)))
            x, tip = torch.from_numpy(x), torch.from_numpy(tip)
            opt.zero_grad()
            loss = _loss(model(x), tip, size)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        if epoch % 5 == 4 or epoch == epochs - 1:
            errors = held_out_errors(model, stage, held)
            print(
                f"{stage.name} epoch {epoch + 1}/{epochs}: loss {total / max(1, len(x_all) // batch):.3f},"
                f" held-out tip error median {np.median(errors):.2f} px,"
                f" p95 {np.percentile(errors, 95):.2f} px, {time.time() - start:.0f} s",
                flush=True,
            )
    model.eval()
    return model, held_out_errors(model, stage, held)


def held_out_errors(model, stage: Stage, held: dict) -> np.ndarray:
    """Tip errors (image px) of ``model`` on the held-out samples."""
    import torch

    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(tip_net.normalise(held[stage.x]))).numpy()
    size = held[stage.x].shape[-1]
    xy = tip_net.expected_cell(logits.reshape(-1, tip_net.CELLS, tip_net.CELLS), size)
    return np.hypot(*(xy - held[stage.tip]).T) * held[stage.side] / size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=tip_net.MODELS, help="folder for tip_coarse/tip_fine.onnx")
    ap.add_argument("--data", type=Path, default=Path("/tmp/dartcam-tip-data"), help="sample cache folder")
    ap.add_argument("--scenes", type=int, default=7500, help="rendered training scenes (1-3 darts each)")
    ap.add_argument("--held-out", type=int, default=150, help="rendered held-out scenes")
    ap.add_argument("--epochs", type=int, help="epochs of either network (default: coarse 50, fine 60)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2, help="rendering processes")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch")
    args = ap.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        ap.error(f"--epochs must be 1 or more, not {args.epochs}")
    if not have_torch("train_tip"):
        return 2
    import torch

    torch.set_num_threads(args.threads)
    scenes = max(1, min(args.scenes, HELD_OUT_SEED - TRAIN_SEED))
    data = load_or_render(args.data, TRAIN_SEED, scenes, args.workers)
    held = load_or_render(args.data, HELD_OUT_SEED, max(1, args.held_out), args.workers)
    for stage in STAGES:
        epochs = stage.epochs if args.epochs is None else args.epochs
        model, errors = train(stage, data, held, epochs, args.seed)
        out = args.out / f"tip_{stage.name}.onnx"
        export(model, data[stage.x].shape[1:], out, "patch", "heat")
        print(
            f"wrote {out} ({out.stat().st_size // 1024} KiB); held-out tip error median"
            f" {np.median(errors):.2f} px, p95 {np.percentile(errors, 95):.2f} px, of {len(errors)} darts",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
