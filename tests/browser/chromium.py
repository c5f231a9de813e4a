"""Debian's Chromium as the phone: headless, a clip as its camera, a process of our own that
Playwright attaches to over the DevTools protocol."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

from tests.browser.harness import PhoneBrowser, PhoneSetup, port_from_profile, spki_hash, stop_process

CHROMIUM = "/usr/bin/chromium"
# ARCHITECTURE.md: what headless Chromium needs here to act as a phone with a fake camera.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


class Chromium:
    """Debian's Chromium, headless, with a clip as its camera."""

    def __init__(
        self, clip: Path, out_dir: Path, extra_flags: list[str] | None = None, grant_camera: bool = True
    ) -> None:
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
        self.profile = Path(tempfile.mkdtemp(prefix="dartcam-chromium-"))
        flags = [
            *CHROMIUM_FLAGS,
            # Grants the camera without a prompt; without it, headless Chromium refuses the camera
            # until the page is granted it (the permission case).
            *(["--use-fake-ui-for-media-stream"] if grant_camera else []),
            f"--user-data-dir={self.profile}",
            f"--use-file-for-fake-video-capture={clip}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            *(extra_flags or []),
        ]
        self.log = open(out_dir / "chromium.log", "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen([CHROMIUM, *flags, "about:blank"], stdout=self.log, stderr=self.log)

    async def cdp_url(self, timeout: float = 30.0) -> str:
        """The DevTools endpoint, once Chromium has written it to its profile."""
        port_file = self.profile / "DevToolsActivePort"

        def read_port() -> str | None:
            lines = port_file.read_text().splitlines() if port_file.exists() else []
            return lines[0] if lines and lines[0].isdigit() else None

        return f"http://127.0.0.1:{await port_from_profile(self.proc, 'chromium', read_port, timeout)}"

    def stop(self) -> None:
        """Stops Chromium by its pid and removes its profile."""
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class ChromiumPage:
    """A Playwright page as a PhonePage."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def goto(self, url: str) -> None:
        await self.page.goto(url)

    async def reload(self) -> None:
        await self.page.reload()

    async def evaluate(self, function: str) -> Any:
        return await self.page.evaluate(function)

    async def wait_for_function(self, function: str, timeout: float) -> None:
        await self.page.wait_for_function(function, timeout=timeout * 1000)

    async def screenshot(self, path: str) -> None:
        await self.page.screenshot(path=path)

    async def inner_text(self, selector: str) -> str:
        return await self.page.inner_text(selector)

    async def fill(self, selector: str, text: str) -> None:
        await self.page.fill(selector, text)

    async def click(self, selector: str) -> None:
        await self.page.click(selector)


async def open_chromium(clip: Path, setup: PhoneSetup) -> PhoneBrowser:
    """Starts Chromium with `clip` as its camera, attaches Playwright, and returns its page at the
    phone's viewport with its console recorded. `setup.trusted_cert`: a certificate (PEM) whose key
    Chromium accepts for HTTPS."""
    flags = []
    if setup.trusted_cert is not None:
        pem = await asyncio.to_thread(setup.trusted_cert.read_bytes)
        flags.append(f"--ignore-certificate-errors-spki-list={spki_hash(pem)}")
    chromium = Chromium(clip, setup.out_dir, flags, grant_camera=setup.grant_camera)
    playwright = None
    try:
        playwright = await async_playwright().start()
        browser = await playwright.chromium.connect_over_cdp(await chromium.cdp_url())
        context = browser.contexts[0]
        page = context.pages[0] if context.pages else await context.new_page()
        await page.set_viewport_size(setup.viewport)
    except BaseException:
        if playwright is not None:
            with contextlib.suppress(Exception):
                await playwright.stop()
        await asyncio.to_thread(chromium.stop)
        raise
    page.on("console", lambda msg: setup.console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: setup.console.append(f"pageerror: {exc}"))

    async def close() -> None:
        with contextlib.suppress(Exception):
            await playwright.stop()
        # In a thread: the caller's loop must go on serving while Chromium closes its sockets.
        await asyncio.to_thread(chromium.stop)

    return PhoneBrowser("chromium", chromium.proc.pid, ChromiumPage(page), close, playwright_page=page)
