"""The phone of the LAN scenario (tests.browser.lan): runs in the phone's own network namespace, whose
only link is the veth to the desktop's. Driven by JSON lines on stdin, answers with JSON lines on stdout:

    {"configure": "192.168.77.20/24"}       brings up lo and eth0 with that address -> {"configured": ...}
    {"open": URL, "cert": PEM, "clip": Y4M, "out": DIR}
        checks that the certificate is valid for the URL's address (a real hostname check, trusting
        only that certificate), opens the URL in headless Chromium as a person would (the certificate
        warning is there; the test taps "Advanced" and "Proceed", as the terminal told it), and waits
        until the page streams -> {"streaming": ..., "marks": ..., "page": ...}
    {"stop": true}                           stops Chromium -> {"stopped": ...}

    python -m tests.browser.lan_phone
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Playwright, async_playwright

from tests.browser.chromium import Chromium

STEP_TIMEOUT = 40.0
NAVIGATION_ATTEMPTS = 3  # a navigation aborted by a network change is tried again
PHONE_VIEWPORT = {"width": 390, "height": 844}


def say(**fields: Any) -> None:
    """One answer line."""
    print(json.dumps(fields), flush=True)


def configure(address: str) -> dict[str, Any]:
    """Brings up this namespace's loopback (for Chromium's DevTools) and eth0 with `address`."""
    for command in ("ip link set lo up", f"ip addr add {address} dev eth0", "ip link set eth0 up"):
        subprocess.run(command.split(), check=True, capture_output=True, timeout=10)
    shown = subprocess.run(["ip", "-o", "addr"], check=True, capture_output=True, text=True, timeout=10)
    return {"configured": shown.stdout.splitlines()}


def certificate_names_host(url: str, cert: str) -> str:
    """Fetches /healthz over TLS trusting only `cert` and checking that it names the URL's host (what
    a phone that installed the certificate checks); returns the answer's body."""
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=cert)
    host, port = parts.hostname or "", parts.port or 443
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(f"GET /healthz HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
    return data.decode(errors="replace").split("\r\n\r\n", 1)[-1]


async def page_state(page: Page) -> Any:
    """window.dartcamState, as plain JSON."""
    return await page.evaluate("() => JSON.parse(JSON.stringify(window.dartcamState || null))")


async def through_the_warning(page: Page, url: str, out: Path, marks: dict[str, float]) -> str:
    """Opens `url`; on the certificate warning taps "Advanced" and "Proceed to … (unsafe)". Returns the
    warning's text (empty if there was none)."""
    marks["open"] = time.time()
    for attempt in range(NAVIGATION_ATTEMPTS):
        try:
            await page.goto(url, timeout=STEP_TIMEOUT * 1000)
            return ""
        except PlaywrightError as exc:
            # Chromium aborts a navigation when it sees the network change (the namespace's link coming
            # up just after its start); a person would load the page again.
            if "ERR_NETWORK_CHANGED" in str(exc) and attempt + 1 < NAVIGATION_ATTEMPTS:
                await asyncio.sleep(0.5)
                continue
            if "ERR_CERT" not in str(exc):
                raise
            break
    await page.wait_for_selector("#details-button", timeout=STEP_TIMEOUT * 1000)
    warning = await page.inner_text("body")
    with contextlib.suppress(PlaywrightError):
        await page.screenshot(path=str(out / "phone-warning.png"))
    await page.click("#details-button")
    await page.click("#proceed-link")
    marks["proceeded"] = time.time()
    return warning


async def open_page(command: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The `open` command: the certificate check, then the page until it streams."""
    out, marks = Path(command["out"]), {}
    health = certificate_names_host(command["open"], command["cert"])
    chromium = state["chromium"] = Chromium(Path(command["clip"]), out)
    playwright: Playwright = await async_playwright().start()
    state["playwright"] = playwright
    browser = await playwright.chromium.connect_over_cdp(await chromium.cdp_url())
    context = browser.contexts[0]
    page = context.pages[0] if context.pages else await context.new_page()
    await page.set_viewport_size(PHONE_VIEWPORT)
    console = state["console"] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    state["page"] = page
    warning = await through_the_warning(page, command["open"], out, marks)
    await page.wait_for_function(
        "() => { const s = window.dartcamState; return Boolean(s && s.status === 'streaming'); }",
        timeout=STEP_TIMEOUT * 1000,
    )
    marks["streaming"] = time.time()
    with contextlib.suppress(PlaywrightError):
        await page.screenshot(path=str(out / "phone-streaming.png"))
    return {
        "streaming": True,
        "health": health,
        "warning": warning,
        "marks": marks,
        "page": await page_state(page),
    }


async def stop(state: dict[str, Any]) -> dict[str, Any]:
    """The `stop` command: the page's last state, then Chromium stopped by its pid."""
    page_now = None
    if state.get("page") is not None:
        with contextlib.suppress(PlaywrightError):
            page_now = await page_state(state["page"])
    if state.get("playwright") is not None:
        with contextlib.suppress(Exception):
            await state["playwright"].stop()
    if state.get("chromium") is not None:
        await asyncio.to_thread(state["chromium"].stop)
    return {"stopped": True, "page": page_now, "console": state.get("console", [])[-50:]}


async def serve() -> None:
    """Answers commands until `stop` or the end of stdin; a failing command answers `error`."""
    state: dict[str, Any] = {}
    try:
        for _ in range(10):  # a scenario sends three commands
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            command = json.loads(line)
            try:
                if "configure" in command:
                    say(**configure(command["configure"]))
                elif "open" in command:
                    say(**await open_page(command, state))
                elif "stop" in command:
                    break
            except Exception as exc:
                say(error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    finally:
        say(**await stop(state))


def main() -> None:
    """Announces itself, then serves."""
    say(ready=True)
    asyncio.run(serve())


if __name__ == "__main__":
    main()
