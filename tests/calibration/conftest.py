"""Shared fixtures: the synthetic renderer (scripts/render_board.py, loaded from its file)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_renderer() -> ModuleType:
    if "render_board" in sys.modules:
        return sys.modules["render_board"]
    spec = importlib.util.spec_from_file_location("render_board", ROOT / "scripts" / "render_board.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def rb() -> ModuleType:
    """The renderer module: RenderParams, render(), random_params(), write_y4m()."""
    return _load_renderer()
