"""Shared fixtures: the synthetic renderer (scripts/render_board.py, loaded by tests.renderer)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.renderer import load_renderer


@pytest.fixture(scope="session")
def rb() -> ModuleType:
    """The renderer module: RenderParams, render(), random_params(), write_y4m()."""
    return load_renderer()
