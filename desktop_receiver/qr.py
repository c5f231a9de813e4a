"""The phone URL as a QR code: drawn in the terminal, or written as a PNG (through OpenCV, so no extra
imaging dependency is needed)."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import qrcode

# The standard asks for a quiet zone of 4 modules, and detectors find a code more reliably with it
# (OpenCV's classic one missed 10 of 400 codes with 2, 4 with 4); a terminal's own margin adds to 2.
TERMINAL_BORDER = 2
PNG_BORDER = 4


def _qr(url: str, border: int) -> qrcode.QRCode:
    qr = qrcode.QRCode(border=border, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


def terminal_qr(url: str) -> str:
    """The QR code as text (half blocks, two modules per character cell), light on dark terminals."""
    out = io.StringIO()
    _qr(url, TERMINAL_BORDER).print_ascii(out=out, invert=True)
    return out.getvalue()


def write_qr_png(url: str, path: str | Path, scale: int = 8) -> None:
    """Writes the QR code as a black-on-white PNG, `scale` pixels per module."""
    modules = np.array(_qr(url, PNG_BORDER).get_matrix(), dtype=bool)
    image = np.where(modules, 0, 255).astype(np.uint8)
    image = np.kron(image, np.ones((scale, scale), np.uint8))
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cannot write {path}")
