"""The browser engines that can act as the phone, and how a scenario starts one of them."""

from __future__ import annotations

from pathlib import Path

from tests.browser.chromium import open_chromium
from tests.browser.firefox import open_firefox
from tests.browser.harness import PhoneBrowser, PhoneSetup

ENGINES = ("chromium", "firefox")


async def open_phone(engine: str, clip: Path, setup: PhoneSetup) -> PhoneBrowser:
    """Starts `engine` as the phone. Chromium plays `clip` as its camera; Firefox, which cannot play
    a file, shows its own moving test picture at the size the page asks for."""
    if engine == "chromium":
        return await open_chromium(clip, setup)
    if engine == "firefox":
        return await open_firefox(setup)
    raise ValueError(f"unknown browser engine {engine!r} (known: {', '.join(ENGINES)})")
