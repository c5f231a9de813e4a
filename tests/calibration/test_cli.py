"""The calibrate command line: JSON shape, exit codes, overlays."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_receiver.calibration.cli import main
from desktop_receiver.calibration.debug import FILES
from desktop_receiver.calibration.homography import board_error_mm

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def board_png(tmp_path_factory, rb) -> tuple[Path, np.ndarray]:
    p = replace(rb.RenderParams(seed=31), tilt_deg=35, tilt_azimuth_deg=70, roll_deg=-10, fill=0.55)
    image, h = rb.render(p)
    path = tmp_path_factory.mktemp("cli") / "board.png"
    cv2.imwrite(str(path), image)
    return path, h


def _lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_json_success(board_png, capsys):
    path, h_true = board_png
    assert main(["calibrate", str(path), "--json"]) == 0
    (obj,) = _lines(capsys)
    assert list(obj) == [
        "ok",
        "H",
        "error_px",
        "error_mm",
        "confidence",
        "image_size",
        "keypoints",
        "distortion",
        "guessed_orientation",
        "number_style",
        "ms",
    ]
    assert obj["distortion"]["model"] == "division" and obj["guessed_orientation"] is False
    assert obj["number_style"] == "radial, lower half turned over"  # as the renderer sets them
    assert obj["ok"] is True
    assert len(obj["H"]) == 9 and all(isinstance(v, float) for v in obj["H"])
    assert obj["image_size"] == {"w": 1280, "h": 720}
    assert list(obj["keypoints"]) == ["bull", "5/20", "13/6", "17/3", "8/11"]
    assert all(len(v) == 2 for v in obj["keypoints"].values())
    assert 0 <= obj["confidence"] <= 1 and obj["ms"] > 0
    assert board_error_mm(np.array(obj["H"]).reshape(3, 3), h_true).mean() < 1.0


def test_json_failure_and_several_images(board_png, tmp_path, capsys):
    path, _ = board_png
    empty = tmp_path / "empty.png"
    cv2.imwrite(str(empty), np.zeros((480, 640, 3), np.uint8))
    missing = tmp_path / "missing.png"
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    assert main([str(path), str(empty), str(missing), str(junk), "--json"]) == 2
    objs = _lines(capsys)
    assert [o["ok"] for o in objs] == [True, False, False, False]
    assert objs[1] == {"ok": False, "reason": "no board found"}
    assert objs[2]["reason"].startswith("cannot read image") and objs[3]["reason"].startswith("cannot read")


def test_human_output_and_overlay(board_png, tmp_path, capsys):
    path, _ = board_png
    out = tmp_path / "overlay.png"
    assert main(["calibrate", str(path), "--overlay", str(out)]) == 0
    assert "confidence" in capsys.readouterr().out
    overlay = cv2.imread(str(out))
    assert overlay is not None and overlay.shape == (720, 1280, 3)


def test_subprocess(board_png, tmp_path):
    path, _ = board_png
    out = tmp_path / "o.png"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_receiver.calibration.cli",
            "calibrate",
            str(path),
            "--json",
            "--overlay",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ok"] is True
    assert out.exists()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_receiver.calibration.cli",
            "calibrate",
            str(tmp_path / "nope.png"),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["ok"] is False
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("overlay", "message"),
    [("no_such_dir/overlay.png", "no such directory"), ("overlay.notanimage", "image extension")],
)
def test_bad_overlay_path_is_a_clear_error(board_png, tmp_path, capsys, overlay, message):
    path, _ = board_png
    out = tmp_path / overlay
    assert main(["calibrate", str(path), "--overlay", str(out)]) == 3
    captured = capsys.readouterr()
    assert f"cannot write the overlay {out}" in captured.err and message in captured.err
    assert captured.out == "" and not out.exists()


def test_bad_overlay_path_in_a_subprocess(board_png, tmp_path):
    path, _ = board_png
    out = tmp_path / "missing" / "o.png"
    proc = subprocess.run(
        [sys.executable, "-m", "desktop_receiver.calibration.cli", str(path), "--overlay", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3
    assert "cannot write the overlay" in proc.stderr and "no such directory" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_overlay_write_error_after_calibrating(board_png, tmp_path, capsys, monkeypatch):
    # The path looked writable, but the write itself fails (disk full, permissions): said, not swallowed.
    path, _ = board_png
    monkeypatch.setattr(cv2, "imwrite", lambda *args, **kwargs: False)
    assert main(["calibrate", str(path), "--json", "--overlay", str(tmp_path / "o.png")]) == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out)["ok"] is True
    assert "cannot write the overlay" in captured.err


def test_debug_writes_every_picture_and_the_decisions(board_png, tmp_path, capsys):
    path, _ = board_png
    assert main(["calibrate", str(path), "--debug", str(tmp_path / "dbg")]) == 0
    folder = tmp_path / "dbg" / path.stem
    assert sorted(f.name for f in folder.iterdir()) == sorted(FILES)
    for name in FILES[:-1]:
        assert cv2.imread(str(folder / name)) is not None, name
    # Strict JSON: no NaN or Infinity (a lens that was not fitted has an infinite k_sigma).
    decisions = json.loads((folder / "decisions.json").read_text(), parse_constant=_refuse)
    steps = [d["step"] for d in decisions["decisions"]]
    assert steps[0] == "rings" and "sharpness" in steps and steps[-1] == "result"
    assert decisions["outcome"]["ok"] is True


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def test_debug_explains_a_failure(tmp_path, capsys):
    wall = tmp_path / "wall.png"
    cv2.imwrite(str(wall), np.full((480, 640, 3), 128, np.uint8))
    assert main(["calibrate", str(wall), "--debug", str(tmp_path / "dbg")]) == 2
    decisions = json.loads((tmp_path / "dbg" / "wall" / "decisions.json").read_text())
    assert decisions["decisions"][-1] == {"step": "failure", "reason": "no board found"}


def test_debug_folder_that_cannot_be_written(board_png, tmp_path, capsys):
    path, _ = board_png
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["calibrate", str(path), "--debug", str(blocker)]) == 3
    assert "cannot write the debug files" in capsys.readouterr().err
