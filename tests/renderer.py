"""The synthetic board renderer (scripts/render_board.py) as a module, for any test that needs
frames with a known homography."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_renderer() -> ModuleType:
    """scripts/render_board.py, imported once: RenderParams, render(), random_params(), write_y4m()."""
    if "render_board" in sys.modules:
        return sys.modules["render_board"]
    spec = importlib.util.spec_from_file_location("render_board", ROOT / "scripts" / "render_board.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
