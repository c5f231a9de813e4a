"""A send-time stamp drawn into a frame's pixels, so the receiver can measure end-to-end latency.

The stamp is a band of 2 x 32 black/white cells in the top-left corner: 40 bits of wall-clock time in
microseconds (modulo 2**40, about 12.7 days), 8 bits of frame sequence and a 16-bit CRC. Cells are sized
in proportion to the frame width, so a stamp survives the sender scaling the video down, and they are
large enough to survive lossy compression at low bitrates. The simulated phone draws it; the frame sink
reads it back from the BGR array.
"""

from __future__ import annotations

import binascii
import time
from dataclasses import dataclass

import numpy as np

COLS = 32
ROWS = 2
BITS = COLS * ROWS
TIME_BITS = 40
SEQ_BITS = 8
CRC_BITS = 16
TIME_MOD = 1 << TIME_BITS
# Cell width as a fraction of the frame width: the band spans 32/48 of the width.
CELL_FRACTION = 1 / 48
DARK, LIGHT = 16, 235  # video-range luma, so encoders do not clip it


@dataclass(frozen=True, slots=True)
class Stamp:
    """A decoded stamp: the sender's wall time (µs, modulo 2**40) and frame sequence (mod 256)."""

    time_us: int
    seq: int

    def age_ms(self, now: float | None = None) -> float:
        """Milliseconds between the stamp and `now` (wall-clock seconds, default: the current time)."""
        now_us = int((time.time() if now is None else now) * 1e6) % TIME_MOD
        return ((now_us - self.time_us) % TIME_MOD) / 1000.0


def _crc16(value: int, nbytes: int) -> int:
    """CRC-16/CCITT-FALSE over the big-endian bytes of `value` (crc_hqx with the 0xFFFF start)."""
    return binascii.crc_hqx(value.to_bytes(nbytes, "big"), 0xFFFF)


def _bits(time_us: int, seq: int) -> list[int]:
    body = ((time_us % TIME_MOD) << SEQ_BITS) | (seq % (1 << SEQ_BITS))
    word = (body << CRC_BITS) | _crc16(body, (TIME_BITS + SEQ_BITS) // 8)
    return [(word >> (BITS - 1 - i)) & 1 for i in range(BITS)]


def _cell_edges(width: int) -> tuple[list[int], list[int]]:
    cell = width * CELL_FRACTION
    xs = [round(i * cell) for i in range(COLS + 1)]
    ys = [round(j * cell) for j in range(ROWS + 1)]
    return xs, ys


def draw_luma(luma: np.ndarray, time_us: int, seq: int) -> None:
    """Draws the stamp into a luma (Y) plane in place. Callers keep the chroma under it neutral."""
    xs, ys = _cell_edges(luma.shape[1])
    for i, bit in enumerate(_bits(time_us, seq)):
        row, col = divmod(i, COLS)
        luma[ys[row] : ys[row + 1], xs[col] : xs[col + 1]] = LIGHT if bit else DARK


def draw_i420(frame: np.ndarray, width: int, height: int, time_us: int, seq: int) -> None:
    """Draws the stamp into an I420 frame laid out as PyAV's (height * 3 / 2, width) array, in place."""
    draw_luma(frame[:height], time_us, seq)
    xs, ys = _cell_edges(width)
    chroma = frame[height:].reshape(-1)  # U then V, each (height / 2, width / 2), contiguous
    quarter = (width // 2) * (height // 2)
    for plane in (chroma[:quarter], chroma[quarter : 2 * quarter]):
        plane.reshape(height // 2, width // 2)[: (ys[-1] + 1) // 2, : (xs[-1] + 1) // 2] = 128


def read_bgr(image: np.ndarray) -> Stamp | None:
    """Reads the stamp from a BGR (or grey) frame; None when the frame carries no valid stamp."""
    height, width = image.shape[:2]
    xs, ys = _cell_edges(width)
    if ys[-1] > height or xs[1] - xs[0] < 4:
        return None
    word = 0
    for i in range(BITS):
        row, col = divmod(i, COLS)
        # Sample the inner half of each cell: compression smears the edges.
        qx = (xs[col + 1] - xs[col]) // 4
        qy = (ys[row + 1] - ys[row]) // 4
        level = float(image[ys[row] + qy : ys[row + 1] - qy, xs[col] + qx : xs[col + 1] - qx].mean())
        # A camera picture is rarely this bimodal: an ambiguous cell means no stamp.
        if 80 < level < 170:
            return None
        word = (word << 1) | (level >= 128)
    body, crc = word >> CRC_BITS, word & 0xFFFF
    if _crc16(body, (TIME_BITS + SEQ_BITS) // 8) != crc:
        return None
    return Stamp(time_us=body >> SEQ_BITS, seq=body & 0xFF)


def covered(image: np.ndarray) -> np.ndarray:
    """A copy of a stamped BGR frame with the stamp's band painted a flat grey (with a margin for the
    codec's ringing), for work on the picture that must not see the band change from frame to frame."""
    out = image.copy()
    xs, ys = _cell_edges(image.shape[1])
    margin = max(2, xs[1] // 2)
    out[: ys[-1] + margin, : xs[-1] + margin] = 128
    return out


def now_us() -> int:
    """The current wall-clock time in microseconds, modulo 2**40 (what a stamp carries)."""
    return int(time.time() * 1e6) % TIME_MOD
