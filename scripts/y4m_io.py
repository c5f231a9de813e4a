"""YUV4MPEG2 clips (Chromium's --use-file-for-fake-video-capture): write BGR frames, read them back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np


def write_frames(path: str | Path, frames: Iterable[np.ndarray], fps: int = 30) -> int:
    """Write BGR frames of one size as a 4:2:0 y4m clip; returns the frame count.

    Raises ValueError (and removes the partly written file) without frames, for frames that are not 8-bit
    BGR, of odd width or height (4:2:0 chroma needs even ones), or of different sizes.
    """
    count = 0
    size: tuple[int, int] | None = None
    try:
        with open(path, "wb") as out:
            for frame in frames:
                frame_size = _frame_size(frame, count)
                if size is None:
                    size = frame_size
                    out.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
                elif frame_size != size:
                    raise ValueError(
                        f"frame {count} is {frame_size[0]}x{frame_size[1]}, frame 0 {size[0]}x{size[1]}:"
                        " all frames of a y4m clip must have the same size"
                    )
                out.write(b"FRAME\n")
                out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
                count += 1
            if count == 0:
                raise ValueError("a y4m clip needs at least one frame, got none")
    except ValueError:
        Path(path).unlink(missing_ok=True)
        raise
    return count


def read_frames(path: str | Path) -> Iterator[np.ndarray]:
    """The BGR frames of a 4:2:0 y4m clip written by ``write_frames``, one by one."""
    with open(path, "rb") as f:
        header = f.readline().decode().split()
        if not header or header[0] != "YUV4MPEG2":
            raise ValueError(f"{path} is not a YUV4MPEG2 clip")
        fields = {tag[0]: tag[1:] for tag in header[1:]}
        w, h = int(fields["W"]), int(fields["H"])
        size = w * h * 3 // 2
        while f.readline().startswith(b"FRAME"):
            yuv = np.frombuffer(f.read(size), np.uint8).reshape(h * 3 // 2, w)
            yield cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420)


def _frame_size(frame: np.ndarray, index: int) -> tuple[int, int]:
    """(width, height) of a frame for write_frames; ValueError unless 8-bit BGR of even width and height."""
    shape = getattr(frame, "shape", None)
    if shape is None or len(shape) != 3 or shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(
            f"frame {index} is not an 8-bit BGR image (shape {shape}, {getattr(frame, 'dtype', None)})"
        )
    h, w = shape[:2]
    if w % 2 or h % 2 or w == 0 or h == 0:
        raise ValueError(f"frame {index} is {w}x{h}: y4m 4:2:0 needs an even, non-zero width and height")
    return w, h
