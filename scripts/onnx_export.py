"""Export of a trained PyTorch model to ONNX for OpenCV's dnn (scripts/train_numbers.py, train_tip.py)."""

from __future__ import annotations

import sys
from pathlib import Path


def export(model, shape: tuple[int, ...], out: Path, input_name: str, output_name: str) -> None:
    """Write ``model`` to ``out`` as ONNX: one input of ``shape`` (without the batch) and a free batch size.
    The TorchScript exporter (dynamo=False): its graphs load in OpenCV's dnn."""
    import torch

    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        torch.zeros(1, *shape),
        str(out),
        input_names=[input_name],
        output_names=[output_name],
        dynamic_axes={input_name: {0: "n"}, output_name: {0: "n"}},
        dynamo=False,
    )


def have_torch(script: str) -> bool:
    """Whether PyTorch (the train extra) is installed; if not, says how to install it, as ``script``."""
    try:
        import torch  # noqa: F401
    except ImportError:
        print(f"{script}: PyTorch is missing: .venv/bin/pip install -e '.[train]'", file=sys.stderr)
        return False
    return True
