"""A desktop and a phone on a simulated LAN, with `scripts/run` as a new user runs it: no network flags.

Runs inside the desktop's network namespace (tests.browser.netns.run_module makes it, with only
loopback). It makes the phone's namespace (tests.browser.lan_phone, `unshare -n`), joins the two with
a veth pair (the desktop's eth0 192.168.77.10/24, the phone's eth0 192.168.77.20/24; no default
route, nothing else), starts `scripts/run --events FILE --qr FILE --max-frames N`, and has the phone
open the URL the agent printed. Prints one JSON object: the agent's output, events and QR code, the
phone's answers, and the namespaces' addresses and routes.

    python -m tests.browser.lan --clip board.y4m --out DIR [--frames 60]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import IO, Any

import cv2

from tests.browser.harness import stop_process
from tests.renderer import ROOT

DESKTOP, PHONE, PREFIX = "192.168.77.10", "192.168.77.20", 24
STEP_TIMEOUT = 60.0


class Phone:
    """The phone's process in its own namespace, spoken to in JSON lines."""

    def __init__(self, out: Path) -> None:
        self.log = open(out / "phone.log", "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        cmd = ["unshare", "-n", "--", sys.executable, "-m", "tests.browser.lan_phone"]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(target=_pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        self.answers: list[dict[str, Any]] = []

    def send(self, **command: Any) -> None:
        """One command."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def answer(self, timeout: float = STEP_TIMEOUT) -> dict[str, Any]:
        """The next answer; RuntimeError when it is an error or does not come in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line.startswith("{"):
                found = json.loads(line)
                self.answers.append(found)
                if "error" in found:
                    raise RuntimeError(f"the phone failed: {found['error']}\n{found.get('traceback')}")
                return found
        raise RuntimeError(f"no answer from the phone within {timeout:g} s (see phone.log)")

    def stop(self) -> None:
        """Asks it to stop (it stops Chromium), then stops it by its pid."""
        if self.proc.poll() is None:
            try:
                self.send(stop=True)
                self.answer(timeout=20)
            except (OSError, RuntimeError):
                pass
        stop_process(self.proc, grace=10)
        self.log.close()


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.strip())


def ip(*commands: str) -> list[str]:
    """Runs `ip` commands in this (the desktop's) namespace; returns the last one's output lines."""
    out = ""
    for command in commands:
        done = subprocess.run(
            ["ip", *command.split()], check=True, capture_output=True, text=True, timeout=10
        )
        out = done.stdout
    return out.splitlines()


def make_lan(phone: Phone) -> dict[str, Any]:
    """The veth pair between the two namespaces, both ends up with their addresses."""
    phone.answer()  # ready: its namespace exists
    ip(
        f"link add eth0 type veth peer name eth0 netns {phone.proc.pid}",
        f"addr add {DESKTOP}/{PREFIX} dev eth0",
        "link set eth0 up",
    )
    phone.send(configure=f"{PHONE}/{PREFIX}")
    configured = phone.answer()["configured"]
    return {"desktop_addr": ip("-o addr"), "desktop_routes": ip("route"), "phone_addr": configured}


def read_events(path: Path) -> list[dict[str, Any]]:
    """The agent's events so far (complete lines only)."""
    if not path.exists():
        return []
    text = path.read_text()
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines() if line.strip()]


def wait_event(agent: subprocess.Popen, path: Path, name: str, timeout: float) -> dict[str, Any]:
    """The agent's first event of a kind, waiting for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in read_events(path) if e["event"] == name]
        if found:
            return found[0]
        if agent.poll() is not None:
            raise RuntimeError(f"the agent exited with {agent.returncode} before {name!r} (see agent.out)")
        time.sleep(0.05)
    raise RuntimeError(f"no {name!r} event from the agent within {timeout:g} s")


def qr_text(path: Path) -> str:
    """What the agent's QR code PNG holds (the ArUco-based detector: the classic one misses some)."""
    image = cv2.imread(str(path))
    if image is None:
        return ""
    text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(image)
    return text


def scenario(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """Everything between making the LAN and stopping its processes (which the caller does)."""
    out: Path = args.out
    phone = result["_phone"] = Phone(out)
    result.update(make_lan(phone))
    events_path, qr_path = out / "events.jsonl", out / "qr.png"
    env = {**os.environ, "XDG_CONFIG_HOME": str(out / "config")}  # the certificate goes there
    cmd = [str(ROOT / "scripts" / "run"), "--events", str(events_path), "--qr", str(qr_path)]
    cmd += ["--max-frames", str(args.frames)]
    result["agent_cmd"] = cmd[1:]
    agent_out = open(out / "agent.out", "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    agent = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=agent_out, stderr=agent_out)
    try:
        code = wait_event(agent, events_path, "code", STEP_TIMEOUT)
        result.update(url=code["url"], code=code["code"])
        cert = out / "config" / "dartcam" / "tls-cert.pem"
        phone.send(open=code["url"], cert=str(cert), clip=args.clip, out=str(out))
        result["phone"] = phone.answer(timeout=90)
        result["qr"] = qr_text(qr_path)  # written after the code event: read once the phone streams
        agent.wait(timeout=STEP_TIMEOUT)  # --max-frames ends it
        result["agent_exit"] = agent.returncode
    finally:
        stop_process(agent)
        agent_out.close()
        result["events"] = read_events(events_path)
        result["agent_output"] = (out / "agent.out").read_text()


def main(argv: list[str] | None = None) -> None:
    """Runs the scenario and prints its result as one JSON line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", required=True, help="y4m file for Chromium's fake camera")
    p.add_argument("--out", required=True, type=Path, help="folder for screenshots and logs")
    p.add_argument("--frames", type=int, default=60, help="frames the agent takes before it exits")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {}
    try:
        scenario(args, result)
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
    finally:
        phone = result.pop("_phone", None)
        if phone is not None:
            phone.stop()
            result["phone_answers"] = phone.answers
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
