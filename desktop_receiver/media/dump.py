"""The frame dump for calibration debugging: writes frames as PNG or JPEG, at most one every N frames,
keeps the newest `max_files`, and keeps `DIR/frames.jsonl` in step with the files on disk (one line per
file present). It runs as a FrameConsumer handler, and the agent makes it in a worker thread (the
constructor clears an earlier dump), so all disk work happens off the event loop."""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_receiver.calibration import CalibrationResult
from desktop_receiver.calibration.overlay import draw_overlay
from desktop_receiver.media.frames import Frame, FrameMeta
from signaling.cli import option

log = logging.getLogger(__name__)
INDEX_FILE = "frames.jsonl"


@dataclass(frozen=True)
class DumpOptions:
    """Where and how often to dump frames."""

    directory: Path = option(
        help="write received frames to DIR with an index DIR/frames.jsonl (an earlier dump's files in "
        "DIR are replaced)",
        flag="--dump",
        metavar="DIR",
    )
    fmt: str = option("png", "image format of the dump", flag="--dump-format", choices=("png", "jpg"))
    every: int = option(1, "write at most one frame every N frames", flag="--dump-every", metavar="N")
    max_files: int | None = option(
        None, "keep only the newest N dumped frames", flag="--dump-max", metavar="N"
    )
    jpeg_quality: int = 90

    def __post_init__(self) -> None:
        if self.fmt not in ("png", "jpg"):
            raise ValueError(f"dump format must be png or jpg, not {self.fmt!r}")
        if self.every < 1 or (self.max_files is not None and self.max_files < 1):
            raise ValueError("--dump-every and --dump-max must be at least 1")


@dataclass(frozen=True)
class DumpRecord:
    """One line of frames.jsonl: the file, its overlay (when the agent calibrates) and the frame's
    metadata."""

    file: str
    meta: FrameMeta
    overlay: str | None = None

    def to_json(self) -> str:
        """The JSON line (metadata fields at the top level, as readers of frames.jsonl expect)."""
        return json.dumps({"file": self.file, "overlay": self.overlay, **asdict(self.meta)})


class FrameDumper:
    """Writes frames handed to it (from a consumer thread) according to DumpOptions."""

    def __init__(
        self, options: DumpOptions, overlay: Callable[[], CalibrationResult | None] | None = None
    ) -> None:
        self.options = options  # checked by DumpOptions itself
        # Gives the calibration in use, if any: then an overlay file is written beside each frame.
        self.overlay = overlay
        self.directory = options.directory
        self.records: deque[DumpRecord] = deque()
        self._last_index: int | None = None
        self._prepare()

    def _prepare(self) -> None:
        """Creates the directory; a directory left by an earlier dump is cleared of the files its
        frames.jsonl lists (and only those), so the index always describes this run."""
        self.directory.mkdir(parents=True, exist_ok=True)
        index = self.directory / INDEX_FILE
        if index.exists():
            for line in index.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                    names = [record["file"], record.get("overlay")]
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue
                for name in names:
                    if isinstance(name, str):
                        (self.directory / Path(name).name).unlink(missing_ok=True)
            index.unlink()

    def __call__(self, frame: Frame) -> None:
        """Writes `frame` if at least `every` frames passed since the last written one."""
        meta = frame.meta
        if self._last_index is not None and meta.index - self._last_index < self.options.every:
            return
        name = f"frame_{meta.index:08d}.{self.options.fmt}"
        params = [cv2.IMWRITE_JPEG_QUALITY, self.options.jpeg_quality] if self.options.fmt == "jpg" else []
        self._write(name, frame.image, params)
        overlay_name = None
        calibration = self.overlay() if self.overlay is not None else None
        if calibration is not None:
            overlay_name = f"frame_{meta.index:08d}_overlay.{self.options.fmt}"
            self._write(overlay_name, draw_overlay(frame.image, calibration), params)
        self._last_index = meta.index
        record = DumpRecord(file=name, meta=meta, overlay=overlay_name)
        self.records.append(record)
        limit = self.options.max_files
        if limit is not None and len(self.records) > limit:
            while len(self.records) > limit:
                old = self.records.popleft()
                for name in (old.file, old.overlay):
                    if name is not None:
                        (self.directory / name).unlink(missing_ok=True)
            self._rewrite_index()
        else:
            with open(self.directory / INDEX_FILE, "a", encoding="utf-8") as fh:
                fh.write(record.to_json() + "\n")

    def _write(self, name: str, image: np.ndarray, params: list[int]) -> None:
        if not cv2.imwrite(str(self.directory / name), image, params):
            raise OSError(f"could not write {self.directory / name}")

    def _rewrite_index(self) -> None:
        # Written to a temporary file and renamed, so a reader never sees a half-written index.
        tmp = self.directory / (INDEX_FILE + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(r.to_json() + "\n" for r in self.records)
        os.replace(tmp, self.directory / INDEX_FILE)
