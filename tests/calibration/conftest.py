"""Shared fixtures: the synthetic renderer (scripts/render_board.py) and the real photos of
../shared/realboards (scripts/realboards.py), both loaded by tests.renderer."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.renderer import REAL_PHOTOS, load_renderer, load_script


@pytest.fixture(scope="session")
def rb() -> ModuleType:
    """The renderer module: RenderParams, render(), random_params(), write_y4m()."""
    return load_renderer()


@pytest.fixture(scope="session")
def realboards() -> ModuleType:
    """scripts/realboards.py: load(), label_error(), board_points()."""
    return load_script("realboards")


@pytest.fixture(scope="session")
def real_photos(realboards) -> list:
    """Every photo of ../shared/realboards; a missing folder fails (CI has it), it never skips."""
    if not (REAL_PHOTOS / "manifest.json").is_file():
        pytest.fail(f"the real photos are missing: no {REAL_PHOTOS / 'manifest.json'} (../shared/realboards)")
    return realboards.load(REAL_PHOTOS)
