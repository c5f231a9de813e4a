"""Fake-camera clips for Chromium (`--use-file-for-fake-video-capture`): a dartboard at an angle,
rendered by scripts/render_board.py, written once per size and reused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.renderer import load_renderer as _renderer


def _params(width: int, height: int) -> Any:
    render = _renderer()
    return replace(
        render.RenderParams(seed=7, width=width, height=height),
        tilt_deg=35.0,
        tilt_azimuth_deg=20.0,
        roll_deg=8.0,
        fill=0.6,
    )


def board_truth(width: int = 1280, height: int = 720) -> list[float]:
    """The true homography (board mm -> image px, row-major) of the still clip of that size."""
    return [float(v) for v in _renderer().camera_homography(_params(width, height)).ravel()]


def board_clip(
    directory: Path, width: int = 1280, height: int = 720, frames: int = 30, moving: bool = False
) -> Path:
    """A y4m clip of a board seen at an angle (made if missing); Chromium loops it as its camera."""
    path = directory / f"board_{width}x{height}_{frames}{'_moving' if moving else ''}.y4m"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    _renderer().write_y4m(tmp, _params(width, height), n_frames=frames, moving=moving)
    tmp.rename(path)
    return path
