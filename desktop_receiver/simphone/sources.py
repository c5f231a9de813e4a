"""Synthetic cameras for the simulated phone: a moving test pattern, a still image or a video file, at a
given size and frame rate, each frame stamped with its send time (desktop_receiver.media.stamp)."""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from desktop_receiver.media import stamp

CLOCK_RATE = 90000
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)


@dataclass(frozen=True)
class SourceOptions:
    """What the synthetic camera shows: `source` is "pattern", or a path to an image or a video file."""

    source: str = "pattern"
    width: int = 640
    height: int = 480
    fps: float = 30.0
    stamp: bool = True


def _even(value: int) -> int:
    return max(2, value - value % 2)


class _Pattern:
    """A moving gradient with a sliding box and colour bars: cheap to make, changes every frame."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        x = np.arange(2 * width, dtype=np.float32)
        self._ramp = (128 + 100 * np.sin(x * (2 * np.pi / 160))).astype(np.uint8)
        # I420 chroma: a U plane with colour bars in its lower half, then a neutral V plane, both
        # (height / 2, width / 2), packed into height / 2 rows of `width` as PyAV's yuv420p array holds them.
        u = np.full((height // 2, width // 2), 128, np.uint8)
        u[height // 4 :] = np.repeat(np.linspace(40, 216, 8).astype(np.uint8), -(-width // 16))[: width // 2]
        v = np.full_like(u, 128)
        self._chroma = np.concatenate([u.ravel(), v.ravel()]).reshape(height // 2, width)

    def frame(self, n: int) -> np.ndarray:
        w, h = self.width, self.height
        out = np.empty((h * 3 // 2, w), np.uint8)
        shift = (n * 4) % w
        out[:h] = self._ramp[shift : shift + w]
        size = h // 6
        x0 = (n * 7) % max(1, w - size)
        y0 = h // 2 + int((h // 4) * np.sin(n / 15))
        out[max(0, y0 - size // 2) : y0 + size // 2, x0 : x0 + size] = 235
        out[h:] = self._chroma
        return out


class _Still:
    """A still image scaled to the frame size."""

    def __init__(self, path: Path, width: int, height: int) -> None:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"cannot read image {path}")
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        self._i420 = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)

    def frame(self, n: int) -> np.ndarray:
        return self._i420.copy()


class _Video:
    """A video file decoded with PyAV, scaled to the frame size, looped at its end."""

    def __init__(self, path: Path, width: int, height: int) -> None:
        self.path, self.width, self.height = path, width, height
        self._container: av.container.InputContainer | None = None
        self._frames = None
        self._open()

    def _open(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = av.open(str(self.path))
        self._frames = self._container.decode(video=0)

    def frame(self, n: int) -> np.ndarray:
        for _ in range(2):  # at the end of the file, reopen it once and read again
            frame = next(self._frames, None)
            if frame is not None:
                scaled = frame.reformat(width=self.width, height=self.height, format="yuv420p")
                return scaled.to_ndarray()
            self._open()
        raise ValueError(f"no video frames in {self.path}")

    def close(self) -> None:
        if self._container is not None:
            self._container.close()


VIDEO_SUFFIXES = {".mp4", ".mkv", ".webm", ".avi", ".mov", ".y4m", ".m4v", ".ts"}


class SyntheticCamera(MediaStreamTrack):
    """A video track that paces frames at `fps` and stamps each with the time it is handed to the
    encoder. Frames are I420 (what the encoders take), so no colour conversion runs per frame."""

    kind = "video"

    def __init__(self, options: SourceOptions | None = None) -> None:
        super().__init__()
        self.options = options or SourceOptions()
        w, h = _even(self.options.width), _even(self.options.height)
        self.width, self.height = w, h
        src = self.options.source
        if src == "pattern":
            self._source: _Pattern | _Still | _Video = _Pattern(w, h)
        elif Path(src).suffix.lower() in VIDEO_SUFFIXES:
            self._source = _Video(Path(src), w, h)
        else:
            self._source = _Still(Path(src), w, h)
        self.sent = 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        """The next frame, at its due time."""
        if self.readyState != "live":
            raise MediaStreamError
        n = self.sent
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + n / self.options.fps
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -1.0:
            self._start = time.monotonic() - n / self.options.fps  # fell far behind: do not burst
        if isinstance(self._source, _Video):
            image = await asyncio.to_thread(self._source.frame, n)
        else:
            image = self._source.frame(n)
        if self.options.stamp:
            stamp.draw_i420(image, self.width, self.height, stamp.now_us(), n)
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts = int(n * CLOCK_RATE / self.options.fps)
        frame.time_base = TIME_BASE
        self.sent += 1
        return frame

    def stop(self) -> None:
        """Stops the track (and closes a video file)."""
        super().stop()
        if isinstance(self._source, _Video):
            self._source.close()
