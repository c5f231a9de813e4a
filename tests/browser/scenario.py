"""One end-to-end scenario with a real browser, run inside a loopback-only network namespace
(tests.browser.netns): the signaling server, the desktop agent and a headless browser as the phone
(Chromium or Firefox, --engine; tests.browser.engines).
Prints one JSON object: what the agent received (events and every frame), the page's own state
(`window.dartcamState`) at each step, and timings. The tests and the benchmark assert on it.

    python -m tests.browser.scenario --case ws --clip board.y4m --out DIR [--codec h264] [--engine firefox]

Cases:
  ws                   the page offers over the WebSocket
  typed-code           the page opens with a wrong code, shows the error; the right one is typed in
  permission           the camera is refused at first: the page shows its start button, which works
                       once the camera is allowed
  rest                 ?transport=rest
  ws-blocked           every WebSocket of the page is closed at once: it falls back to REST
  ws-failing           the first WebSocket works, then drops, and every new one is closed: REST
  agent-offers         the agent offers (`--offer always`), the page only answers (?mode=answer)
  deployed-page        a stand-in for the deployed app's phone page (standin/deployed-phone.html:
                       payload null, never offers, answers the desktop's offer) at the page's path
  reload               the page reloads mid-stream and resumes with its token
  socket-drops         the agent's signaling socket is cut and comes back, then the page's drops
  media-cut            UDP on loopback is starved: the page restarts ICE
  camera-ended         the camera track ends (as when a phone backgrounds the page): it is reopened
  calibration          the agent calibrates the board and the page shows it
  calibration-display  the clip's true calibration is sent to the page as the desktop would send it
  tls                  the agent's embedded server with --tls (and --calibrate), the page on https

ws-blocked, ws-failing and permission need Playwright (Chromium only): it answers the page's
WebSockets itself, and grants the camera once the page has been refused it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import psutil
from aiohttp import web
from playwright.async_api import Page, WebSocketRoute

from signaling.config import ServerConfig
from signaling.server import SignalingServer
from tests.browser.clips import board_truth
from tests.browser.engines import ENGINES, open_phone
from tests.browser.harness import AgentProcess, PhoneBrowser, PhonePage, PhoneSetup
from tests.receiver.proxy import TcpProxy

CASES = (
    "ws",
    "typed-code",
    "permission",
    "rest",
    "ws-blocked",
    "ws-failing",
    "agent-offers",
    "deployed-page",
    "reload",
    "socket-drops",
    "media-cut",
    "camera-ended",
    "calibration",
    "calibration-display",
    "tls",
)
CHROMIUM_ONLY = ("ws-blocked", "ws-failing", "permission")
STEP_TIMEOUT = 40.0
SCENARIO_TIMEOUT = 150.0
PHONE_VIEWPORT = {"width": 390, "height": 844}
STANDIN_PAGE = Path(__file__).parent / "standin" / "deployed-phone.html"


@dataclass
class Run:
    """What one scenario collects."""

    out: Path
    marks: dict[str, float] = field(default_factory=dict)
    pages: dict[str, Any] = field(default_factory=dict)
    console: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks[name] = time.time()


async def snapshot(page: PhonePage, run: Run, step: str) -> dict[str, Any]:
    """The page's state and a screenshot of it (step.png in the output folder)."""
    state = await page.evaluate("() => JSON.parse(JSON.stringify(window.dartcamState || null))")
    run.pages[step] = state
    with contextlib.suppress(Exception):  # a screenshot is a diagnostic, never the failure
        await page.screenshot(str(run.out / f"{step}.png"))
    return state


async def wait_page(page: PhonePage, condition: str, timeout: float = STEP_TIMEOUT) -> None:
    """Waits until a JavaScript condition on `s` (window.dartcamState) holds."""
    await page.wait_for_function(
        f"() => {{ const s = window.dartcamState; return Boolean(s && ({condition})); }}", timeout
    )


async def stream_for(agent: AgentProcess, seconds: float) -> None:
    """Lets the stream run; fails early if the agent dies."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if agent.proc.poll() is not None:
            raise RuntimeError(f"the agent exited with {agent.proc.returncode}")
        await asyncio.sleep(0.1)


def agent_args(args: argparse.Namespace) -> list[str]:
    """The agent's command line for a case (the signaling part is added by the caller)."""
    out = ["--ice-host", "127.0.0.1", "--stats-interval", "1", "--no-qr", "--give-up", "20"]
    if args.codec:
        out += ["--prefer-codec", args.codec]
    if args.case == "agent-offers":
        out += ["--offer", "always"]
    if args.case == "deployed-page":
        # Waited for only by a phone that announces it offers: this one announces nothing.
        out += ["--offer-grace", "60"]
    if args.case in ("calibration", "tls"):
        out += ["--calibrate"]
    return out


def page_query(args: argparse.Namespace, code: str, server_url: str = "") -> str:
    """The phone page's query string for a case."""
    query = {"code": code}
    if args.case == "rest":
        query["transport"] = "rest"
    if args.case == "agent-offers":
        query["mode"] = "answer"
    if args.res != "720p":
        query["res"] = args.res
    if args.page_codec:
        query["codec"] = args.page_codec
    if args.case == "deployed-page":
        query["server"] = server_url
    return urlencode(query)


class Stage:
    """The processes of one scenario: started step by step, all stopped (by process id) in `stop`."""

    def __init__(self, args: argparse.Namespace, run: Run) -> None:
        self.args, self.run = args, run
        self.server: SignalingServer | None = None
        self.proxy: TcpProxy | None = None
        self.agent: AgentProcess | None = None
        self.browser: PhoneBrowser | None = None
        self.page: PhonePage | None = None
        self.standin: web.AppRunner | None = None

    async def serve_standin(self) -> str:
        """Serves the deployed page's stand-in from an origin of its own on loopback (as the deployed
        app serves its page); returns its URL."""
        html = STANDIN_PAGE.read_text()

        async def page(_: web.Request) -> web.Response:
            return web.Response(text=html, content_type="text/html")

        app = web.Application()
        app.router.add_get("/mobile-cam.html", page)
        self.standin = web.AppRunner(app)
        await self.standin.setup()
        site = web.TCPSite(self.standin, "127.0.0.1", 0)
        await site.start()
        port = self.standin.addresses[0][1]
        return f"http://127.0.0.1:{port}/mobile-cam.html"

    async def start_desktop(self) -> tuple[AgentProcess, str, Path | None]:
        """Starts the server and the agent; returns the agent, the page's base URL and the server's
        certificate when the page is on HTTPS."""
        args, run = self.args, self.run
        if args.case == "tls":
            # The certificate is made in this run's folder, never in the user's config directory.
            os.environ["XDG_CONFIG_HOME"] = str(run.out / "config")
            embedded = ["--listen-host", "127.0.0.1", "--listen-port", "0", "--tls"]
            agent = self.agent = AgentProcess(run.out, [*embedded, *agent_args(args)])
            code_event = await agent.wait_for("code")
            cert: Path | None = run.out / "config" / "dartcam" / "tls-cert.pem"
            base = code_event["url"].split("?")[0]
        else:
            self.server = SignalingServer(ServerConfig(host="127.0.0.1", port=0, sweep_interval=0.5))
            await self.server.start()
            # The agent reaches the server through a proxy that the socket-drops case cuts.
            self.proxy = TcpProxy(self.server.port)
            await self.proxy.start()
            server_url = f"ws://127.0.0.1:{self.proxy.port}/ws"
            agent = self.agent = AgentProcess(run.out, ["--server", server_url, *agent_args(args)])
            code_event = await agent.wait_for("code")
            cert, base = None, f"{self.server.http_url}/mobile-cam.html"
            run.info["server_url"] = self.server.http_url
        run.info.update(code=code_event["code"], agent_url=code_event["url"])
        if self.server is not None:
            # For the steps that speak for the desktop over REST: only the holder of a role does.
            session = await self.server.service.store.get(code_event["code"])
            run.info["desktop_token"] = session.desktop.token if session else None
        run.mark("agent-ready")
        return agent, base, cert

    async def open_browser(self, cert: Path | None) -> PhonePage:
        """Starts the phone's browser and returns its page, phone-sized, with its console recorded."""
        run, args = self.run, self.args
        grant = args.case != "permission"
        setup = PhoneSetup(run.out, run.console, PHONE_VIEWPORT, grant, cert)
        self.browser = await open_phone(args.engine, Path(args.clip), setup)
        run.info.update(engine=args.engine, browser_pid=self.browser.pid)
        self.page = self.browser.page
        return self.page

    async def stop(self) -> None:
        """Stops whatever was started."""
        # In threads: the loop must go on serving, since the agent closes its signaling socket
        # through this process's proxy and server (blocked, it would wait out the kill grace).
        if self.browser is not None:
            await self.browser.close()
        if self.agent is not None:
            await asyncio.to_thread(self.agent.stop)
        if self.proxy is not None:
            await self.proxy.stop()
        if self.standin is not None:
            await self.standin.cleanup()
        if self.server is not None:
            await asyncio.wait_for(self.server.stop(), 10)


async def play(args: argparse.Namespace, run: Run) -> None:
    """Starts everything, plays the case until the page streams and then its steps, and stops
    everything; a failure is recorded in run.info (with a screenshot), not raised."""
    stage = Stage(args, run)
    try:
        if args.case in CHROMIUM_ONLY and args.engine != "chromium":
            raise ValueError(f"the {args.case} case needs Playwright, which drives only Chromium here")
        async with asyncio.timeout(SCENARIO_TIMEOUT):
            agent, base, cert = await stage.start_desktop()
            page = await stage.open_browser(cert)
            playwright_page = stage.browser.playwright_page if stage.browser else None
            if args.case == "ws-blocked":
                # Playwright answers the page's WebSocket itself and closes it at once.
                await playwright_page.route_web_socket(re.compile(r"/ws$"), lambda ws: ws.close())
            elif args.case == "ws-failing":
                await playwright_page.route_web_socket(re.compile(r"/ws$"), only_first_socket(run))
            code = run.info["code"]
            if args.case == "deployed-page":
                base = await stage.serve_standin()
            run.info["url"] = f"{base}?{page_query(args, code, run.info.get('server_url', ''))}"
            run.mark("page-load")
            if args.case == "typed-code":
                await type_code(run, page, base, code)
            elif args.case == "permission":
                await allow_camera(run, page, playwright_page)
            else:
                await page.goto(run.info["url"])
            await agent.wait_for("frame", timeout=STEP_TIMEOUT)
            run.mark("first-frame")
            await wait_page(page, "s.status === 'streaming'")
            await snapshot(page, run, "streaming")
            await CASE_STEPS.get(args.case, plain)(args, run, page, agent, stage.proxy)
    except BaseException as exc:
        run.info["error"] = f"{type(exc).__name__}: {exc}"
        run.info["traceback"] = traceback.format_exc()
        if stage.page is not None:
            with contextlib.suppress(Exception):
                await snapshot(stage.page, run, "error")
    finally:
        await stage.stop()


def only_first_socket(run: Run) -> Callable[[WebSocketRoute], Awaitable[None]]:
    """A WebSocket route that lets the first socket through to the server and closes the others."""

    async def route(ws: WebSocketRoute) -> None:
        run.info["sockets"] = run.info.get("sockets", 0) + 1
        if run.info["sockets"] == 1:
            ws.connect_to_server()
        else:
            await ws.close()

    return route


async def ws_failing(
    args: argparse.Namespace, run: Run, page: PhonePage, agent: AgentProcess, _: Any
) -> None:
    """Drops the page's only working socket; the page must go on over REST."""
    await stream_for(agent, 1.0)
    before = agent.events("frame")[-1]["attempt"]
    await page.evaluate("() => window.dartcam.dropSocket()")
    run.mark("page-drop")
    await wait_page(page, "s.transport === 'rest'")
    run.mark("on-rest")
    await agent.wait_for("frame", lambda f: f["attempt"] > before, timeout=STEP_TIMEOUT)
    await wait_page(page, "s.status === 'streaming'")
    run.mark("streaming-on-rest")
    await stream_for(agent, 1.0)
    run.mark("end")
    await snapshot(page, run, "end")


# What a phone does to a page that goes to the background: its camera track ends.
END_CAMERA = """() => {
  const track = document.getElementById('preview').srcObject.getVideoTracks()[0];
  track.stop();
  track.dispatchEvent(new Event('ended'));
}"""


async def camera_ended(
    args: argparse.Namespace, run: Run, page: PhonePage, agent: AgentProcess, _: Any
) -> None:
    """Ends the camera track; the page must open the camera again and keep the same connection."""
    await stream_for(agent, 1.0)
    await page.evaluate(END_CAMERA)
    run.mark("camera-ended")
    await wait_page(page, "s.cameraRestarts >= 1 && s.status === 'streaming'")
    run.mark("camera-back")
    await stream_for(agent, 2.0)
    run.mark("end")
    await snapshot(page, run, "end")


async def allow_camera(run: Run, page: PhonePage, playwright_page: Page) -> None:
    """Opens the page with the camera refused, then allows it and taps the start button."""
    await page.goto(run.info["url"])
    await wait_page(page, "s.status === 'tap'")
    await playwright_page.wait_for_selector("#start", state="visible")
    await snapshot(page, run, "refused")
    origin = run.info["url"].split("/mobile-cam.html")[0]
    await playwright_page.context.grant_permissions(["camera"], origin=origin)
    await page.click("#start")


async def type_code(run: Run, page: PhonePage, base: str, code: str) -> None:
    """Opens the page with a code that no session has, then types the right one into its form."""
    await page.goto(f"{base}?code=WRONG9")
    await wait_page(page, "s.status === 'error'")
    await snapshot(page, run, "wrong-code")
    run.info["wrong_code_status"] = await page.inner_text("#status")
    await page.fill("#code-input", code.lower())
    await page.click("#code-form button")


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += sum(process.cpu_times()[:2])
    return total


async def plain(args: argparse.Namespace, run: Run, page: PhonePage, agent: AgentProcess, _: Any) -> None:
    """Streams for --seconds after the first frame, measuring the agent's and the browser's CPU (all
    its processes) meanwhile, in % of one core."""
    agent_proc = [psutil.Process(agent.proc.pid)]
    browser = psutil.Process(run.info["browser_pid"])
    browser_procs = [browser, *browser.children(recursive=True)]
    before = _cpu_seconds(agent_proc), _cpu_seconds(browser_procs), time.monotonic()
    await stream_for(agent, args.seconds)
    wall = time.monotonic() - before[2]
    run.info["agent_cpu_percent"] = round(100 * (_cpu_seconds(agent_proc) - before[0]) / wall, 1)
    run.info["browser_cpu_percent"] = round(100 * (_cpu_seconds(browser_procs) - before[1]) / wall, 1)
    run.info["loadavg"] = os.getloadavg()
    run.info["send_codecs"] = await page.evaluate(SEND_CODECS)
    if args.case != "tls":
        run.info["messages"] = await relayed_messages(run.info["server_url"])
    run.mark("end")
    await snapshot(page, run, "end")


# The video codecs the browser can send, as RTCRtpSender.getCapabilities lists them.
SEND_CODECS = "() => RTCRtpSender.getCapabilities('video').codecs.map((c) => c.mimeType)"


async def relayed_messages(server_url: str) -> dict[str, int]:
    """Messages the server passed on (relayed or queued), by type, from its /metrics page."""
    metrics_url = server_url + "/metrics"
    async with aiohttp.ClientSession() as http, http.get(metrics_url) as resp:
        text = await resp.text()
    counts: dict[str, int] = {}
    for match in re.finditer(r"^dartcam_messages_total\{([^}]*)\} (\S+)$", text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if labels.get("outcome") in ("relayed", "queued"):
            counts[labels["type"]] = counts.get(labels["type"], 0) + int(float(match.group(2)))
    return counts


async def reload(args: argparse.Namespace, run: Run, page: PhonePage, agent: AgentProcess, _: Any) -> None:
    """Reloads the page mid-stream: it must resume the session (same code) and stream again."""
    await stream_for(agent, 2.0)
    before = agent.events("frame")[-1]["attempt"]
    run.mark("reload")
    await page.reload()
    await agent.wait_for("frame", lambda f: f["attempt"] > before, timeout=STEP_TIMEOUT)
    run.mark("frames-after-reload")
    await wait_page(page, "s.status === 'streaming'")
    await stream_for(agent, 2.0)
    run.mark("end")
    await snapshot(page, run, "end")


async def socket_drops(
    args: argparse.Namespace, run: Run, page: PhonePage, agent: AgentProcess, proxy: TcpProxy
) -> None:
    """Cuts the agent's signaling socket for 3 s, then drops the page's; media must go on."""
    await stream_for(agent, 1.0)
    proxy.refusing = True
    proxy.cut()
    run.mark("cut")
    await agent.wait_for("reconnecting", timeout=STEP_TIMEOUT)
    await stream_for(agent, 3.0)
    proxy.refusing = False
    run.mark("restored")
    await agent.wait_for("resumed", timeout=STEP_TIMEOUT)
    run.mark("resumed")
    await stream_for(agent, 1.0)
    await page.evaluate("() => window.dartcam.dropSocket()")
    run.mark("page-drop")
    await wait_page(page, "s.resumes >= 1")
    run.mark("page-resumed")
    await stream_for(agent, 1.0)
    run.mark("end")
    await snapshot(page, run, "end")


# UDP on loopback goes to a class of 8 bit/s: the media path dies, TCP (signaling, DevTools) lives.
# (This kernel has no tc drop action; a starved class does the same.)
THROTTLE_UDP = [
    "tc qdisc add dev lo root handle 1: htb default 10",
    "tc class add dev lo parent 1: classid 1:10 htb rate 10gbit",
    "tc class add dev lo parent 1: classid 1:20 htb rate 8bit ceil 8bit",
    "tc qdisc add dev lo parent 1:20 handle 20: pfifo limit 1",
    "tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip protocol 17 0xff flowid 1:20",
]


def tc(commands: list[str]) -> None:
    """Runs tc commands in this namespace."""
    for command in commands:
        subprocess.run(command.split(), check=True, capture_output=True)


async def media_cut(args: argparse.Namespace, run: Run, page: PhonePage, agent: AgentProcess, _: Any) -> None:
    """Starves UDP until the page restarts ICE, then lets it through: a new connection must stream."""
    await stream_for(agent, 1.0)
    before = agent.events("frame")[-1]["attempt"]
    tc(THROTTLE_UDP)
    run.mark("cut")
    try:
        await wait_page(page, "s.restarts >= 1")
        run.mark("restarted")
        await snapshot(page, run, "restarting")
    finally:
        tc(["tc qdisc del dev lo root"])
    run.mark("restored")
    await agent.wait_for("frame", lambda f: f["attempt"] > before, timeout=STEP_TIMEOUT)
    run.mark("frames-after-restart")
    await wait_page(page, "s.status === 'streaming'")
    await stream_for(agent, 1.0)
    run.mark("end")
    await snapshot(page, run, "end")


async def calibration(
    args: argparse.Namespace, run: Run, page: PhonePage, agent: AgentProcess, _: Any
) -> None:
    """Waits until the page shows the board calibration that the agent sent."""
    await wait_page(page, "s.calibration", timeout=60.0)
    run.mark("calibrated")
    await snapshot(page, run, "calibrated")
    run.info["calibration_text"] = await page.inner_text("#calibration")


async def calibration_display(
    args: argparse.Namespace, run: Run, page: PhonePage, agent: AgentProcess, _: Any
) -> None:
    """Sends the clip's true H to the page as the desktop's cam-calibration (through the server's REST
    relay) and waits until the page shows it: the page's side of the calibration, without the agent's."""
    calibration = {"H": board_truth(), "imageSize": {"w": 1280, "h": 720}, "errorPx": 0.4}
    body = {
        "type": "cam-calibration",
        "payload": calibration,
        "source": "desktop",
        "resumeToken": run.info["desktop_token"],
    }
    url = f"{run.info['url'].split('/mobile-cam.html')[0]}/cam/signal/{run.info['code']}"
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
        assert resp.status == 200, await resp.text()
    await wait_page(page, "s.calibration")
    await asyncio.sleep(0.3)  # the overlay is drawn on the next frame
    await snapshot(page, run, "calibrated")
    run.info["calibration_text"] = await page.inner_text("#calibration")
    run.info["overlay_pixels"] = await page.evaluate(OVERLAY_PIXELS)


# How many pixels of the overlay canvas the drawn rings cover.
OVERLAY_PIXELS = """() => {
  const c = document.getElementById('overlay');
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return n;
}"""


CASE_STEPS = {
    "camera-ended": camera_ended,
    "ws-failing": ws_failing,
    "calibration-display": calibration_display,
    "reload": reload,
    "socket-drops": socket_drops,
    "media-cut": media_cut,
    "calibration": calibration,
}


def main(argv: list[str] | None = None) -> None:
    """Runs one scenario and prints its result as one JSON line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", choices=CASES, required=True)
    p.add_argument("--engine", choices=ENGINES, default="chromium", help="the phone's browser")
    p.add_argument("--clip", required=True, help="y4m file for Chromium's fake camera")
    p.add_argument("--out", required=True, type=Path, help="folder for screenshots and logs")
    p.add_argument("--codec", choices=["vp8", "h264"], help="the agent's --prefer-codec")
    p.add_argument("--page-codec", choices=["vp8", "h264"], help="the page's ?codec=")
    p.add_argument("--res", choices=["720p", "1080p"], default="720p", help="the page's ?res=")
    p.add_argument("--seconds", type=float, default=3.0, help="streaming time of the plain cases")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    run = Run(args.out)
    agent_records: list[dict[str, Any]] = []
    try:
        asyncio.run(play(args, run))
    finally:
        path = args.out / "agent.jsonl"
        if path.exists():
            agent_records = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        result = {
            "case": args.case,
            "engine": args.engine,
            "codec": args.codec,
            **run.info,
            "marks": run.marks,
            "pages": run.pages,
            "console": run.console[-50:],
            "frames": [r for r in agent_records if r.get("event") == "frame"],
            "events": [r for r in agent_records if r.get("event") != "frame"],
        }
        print(json.dumps(result), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
