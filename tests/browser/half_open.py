"""Exactly once to our phone page through a half-open socket (the ack extension), in real Chromium,
inside a loopback-only namespace (tests.browser.netns). The page reaches the server through a proxy
process; a desktop (a plain WebSocket client here: the page is the receiver under test) sends
numbered `cam-data`. Midway the proxy is frozen (SIGSTOP): what the server writes then sits in the
frozen proxy's buffers. The server's heartbeat times the page's socket out; the proxy is killed (the
buffered bytes die with it) and a new one takes its port; the page reconnects and resumes. Prints one
JSON object: the numbers the page received, in order, and its state.

    python -m tests.browser.half_open --clip board.y4m --out DIR
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any

import aiohttp

from signaling.config import ServerConfig
from signaling.server import SignalingServer
from tests.browser.engines import open_phone
from tests.browser.harness import PhoneSetup
from tests.browser.scenario import PHONE_VIEWPORT, Run, snapshot, wait_page
from tests.procs import ProxyProcess

BEFORE, FROZEN, AFTER = 20, 20, 20
TOTAL = BEFORE + FROZEN + AFTER
INTERVAL = 0.04  # 25 messages/s, under the server's 30/s per socket
STEP_TIMEOUT = 40.0


class Desktop:
    """The session's desktop: creates it, sends numbered cam-data, notes what the server tells it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.inbox: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame.type is aiohttp.WSMsgType.TEXT:
                self.inbox.append(json.loads(frame.data))
                self.changed.set()

    async def wait(self, type_: str, where: Any = lambda m: True) -> dict[str, Any]:
        async with asyncio.timeout(STEP_TIMEOUT):
            while True:
                found = [m for m in self.inbox if m.get("type") == type_ and where(m)]
                if found:
                    return found[0]
                self.changed.clear()
                await self.changed.wait()

    async def send(self, code: str, numbers: range, interval: float) -> None:
        for n in numbers:
            await self.ws.send_json({"type": "cam-data", "code": code, "payload": {"n": n}})
            if interval:
                await asyncio.sleep(interval)


async def play(args: argparse.Namespace, run: Run) -> None:
    """Runs the scenario; a failure is recorded in run.info (with a screenshot), not raised."""
    server = SignalingServer(ServerConfig(host="127.0.0.1", port=0, sweep_interval=0.5, heartbeat=1.0))
    await server.start()
    proxy = await asyncio.to_thread(ProxyProcess(server.port).start)
    http = aiohttp.ClientSession()
    browser = page = None
    try:
        async with asyncio.timeout(150):
            desktop = Desktop(await http.ws_connect(server.ws_url))
            await desktop.ws.send_json({"type": "cam-create"})
            code = (await desktop.wait("cam-code"))["code"]
            setup = PhoneSetup(run.out, run.console, PHONE_VIEWPORT)
            browser = await open_phone("chromium", Path(args.clip), setup)
            page = browser.page
            # Everything the page loads and every socket it opens goes through the proxy.
            await page.goto(f"http://127.0.0.1:{proxy.port}/mobile-cam.html?code={code}")
            await desktop.wait("cam-peer-joined")
            await wait_page(page, "s.transport === 'ws'")
            await desktop.send(code, range(1, BEFORE + 1), INTERVAL)
            await wait_page(page, f"s.data.length >= {BEFORE}")
            run.mark("frozen")
            proxy.pause()
            # In one burst (within the socket's allowance), well before the heartbeat notices.
            await desktop.send(code, range(BEFORE + 1, BEFORE + FROZEN + 1), 0)
            await asyncio.sleep(0.3)
            run.info["received_while_frozen"] = (await snapshot(page, run, "frozen"))["data"][BEFORE:]
            await desktop.wait("cam-peer-left", lambda m: m.get("role") == "phone")
            run.mark("timed-out")
            await asyncio.to_thread(proxy.kill)  # what the server wrote into the frozen proxy dies here
            await asyncio.to_thread(proxy.start)
            await wait_page(page, "s.resumes >= 1")
            run.mark("resumed")
            await desktop.send(code, range(BEFORE + FROZEN + 1, TOTAL + 1), INTERVAL)
            await wait_page(page, f"s.data.length >= {TOTAL}")
            await asyncio.sleep(0.5)  # anything that would come twice comes now
            state = await snapshot(page, run, "end")
            run.info["numbers"] = [d.get("n") for d in state["data"]]
            run.info["desktop_errors"] = [m for m in desktop.inbox if m.get("type") == "cam-error"]
    except BaseException as exc:
        run.info["error"] = f"{type(exc).__name__}: {exc}"
        run.info["traceback"] = traceback.format_exc()
        if page is not None:
            with contextlib.suppress(Exception):
                await snapshot(page, run, "error")
    finally:
        if browser is not None:
            await browser.close()
        await http.close()
        await asyncio.to_thread(proxy.kill)
        await asyncio.wait_for(server.stop(), 10)


def main(argv: list[str] | None = None) -> None:
    """Runs the scenario and prints its result as one JSON line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", required=True, help="y4m file for Chromium's fake camera")
    p.add_argument("--out", required=True, type=Path, help="folder for screenshots and logs")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    run = Run(args.out)
    run.mark("start")
    try:
        asyncio.run(play(args, run))
    finally:
        result = {
            "total": TOTAL,
            **run.info,
            "marks": run.marks,
            "pages": run.pages,
            "console": run.console[-50:],
        }
        print(json.dumps(result), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
