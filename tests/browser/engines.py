"""The browser engines that can act as the phone, and how a scenario starts one of them."""

from __future__ import annotations

from pathlib import Path

from tests.browser.chromium import open_chromium
from tests.browser.firefox import open_firefox
from tests.browser.harness import PhoneBrowser

ENGINES = ("chromium", "firefox")


async def open_phone(
    engine: str,
    clip: Path,
    out_dir: Path,
    console: list[str],
    viewport: dict[str, int],
    grant_camera: bool = True,
    trusted_cert: Path | None = None,
) -> PhoneBrowser:
    """Starts `engine` as the phone. Chromium plays `clip` as its camera; Firefox, which cannot play
    a file, shows its own moving test picture at the size the page asks for."""
    if engine == "chromium":
        return await open_chromium(clip, out_dir, console, viewport, grant_camera, trusted_cert)
    if engine == "firefox":
        return await open_firefox(out_dir, console, viewport, grant_camera, trusted_cert)
    raise ValueError(f"unknown browser engine {engine!r} (known: {', '.join(ENGINES)})")
