"""Scripts of scripts/ as modules, for the tests: the synthetic board renderer (render_board.py) and the
real photos of ../shared/realboards with their measurement (realboards.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
REAL_PHOTOS = ROOT.parent / "shared" / "realboards"


def load_script(name: str) -> ModuleType:
    """scripts/<name>.py, imported once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def load_renderer() -> ModuleType:
    """scripts/render_board.py: RenderParams, render(), random_params(), write_y4m(), lens_of()."""
    return load_script("render_board")
