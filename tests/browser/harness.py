"""The parts of a browser scenario, run inside the loopback-only namespace: the agent (as a process,
through tests.browser.agent_probe) and what every phone browser offers the scenario (`PhoneBrowser`
with its `PhonePage`; the engines are in tests.browser.chromium and tests.browser.firefox, chosen by
tests.browser.engines). Each process is stopped by its id."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.renderer import ROOT


def stop_process(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; reaps the process."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)


class AgentProcess:
    """The agent with its options; `records` are the lines of its probe file (events and frames)."""

    def __init__(self, out_dir: Path, args: list[str]) -> None:
        self.path = out_dir / "agent.jsonl"
        self.path.unlink(missing_ok=True)  # an earlier run's records must not pass for this one's
        self.log = open(out_dir / "agent.log", "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        cmd = [sys.executable, "-m", "tests.browser.agent_probe", "--probe-out", str(self.path), *args]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self._offset = 0
        self.records: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        """Reads the lines written since the last call."""
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                fh.seek(self._offset)
                data = fh.read()
            complete = data[: data.rfind("\n") + 1]
            self._offset += len(complete.encode())
            self.records += [json.loads(line) for line in complete.splitlines() if line.strip()]
        return self.records

    def events(self, name: str) -> list[dict[str, Any]]:
        """Records of one kind ("frame", "code", "connected", ...)."""
        return [r for r in self.poll() if r.get("event") == name]

    async def wait_for(
        self, name: str, where: Callable[[dict[str, Any]], bool] = lambda r: True, timeout: float = 30.0
    ) -> dict[str, Any]:
        """The first record of a kind that matches, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.events(name) if where(r)]
            if found:
                return found[0]
            if self.proc.poll() is not None:
                raise RuntimeError(f"the agent exited with {self.proc.returncode} (see agent.log)")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {name!r} record from the agent within {timeout:g} s")
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        """Stops the agent by its pid and reads what it wrote last."""
        stop_process(self.proc)
        self.log.close()
        self.poll()


async def port_from_profile(
    proc: subprocess.Popen, name: str, read_port: Callable[[], str | None], timeout: float
) -> str:
    """Waits until the browser ``name`` has written its debugging port to its profile (``read_port``
    returns it, or None while the file is missing or incomplete); fails when the browser exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode} (see {name}.log)")
        port = read_port()
        if port is not None:
            return port
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{name} wrote no debugging port within {timeout:g} s")


def spki_hash(cert_pem: bytes) -> str:
    """The base64 SHA-256 of a certificate's public key, for --ignore-certificate-errors-spki-list."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class PhonePage(Protocol):
    """What a scenario does to the phone page, the same in every engine. Times are in seconds;
    `function` is JavaScript source of a function without arguments, e.g. "() => 1"."""

    async def goto(self, url: str) -> None: ...
    async def reload(self) -> None: ...
    async def evaluate(self, function: str) -> Any: ...
    async def wait_for_function(self, function: str, timeout: float) -> None: ...
    async def screenshot(self, path: str) -> None: ...
    async def inner_text(self, selector: str) -> str: ...
    async def fill(self, selector: str, text: str) -> None: ...
    async def click(self, selector: str) -> None: ...


@dataclass(frozen=True)
class PhoneSetup:
    """How a phone browser is started, whatever its engine: where its logs go, where its console lines
    go, its viewport, whether the camera is granted at once, and the certificate of an HTTPS page."""

    out_dir: Path
    console: list[str]
    viewport: dict[str, int]
    grant_camera: bool = True
    trusted_cert: Path | None = None


@dataclass
class PhoneBrowser:
    """A running browser acting as the phone: its engine, process id (for its CPU), its one page, and
    how to stop it. `playwright_page` is Chromium's Playwright page, for the cases that need more than
    PhonePage (answering the page's WebSockets, granting a permission later); None in Firefox."""

    engine: str
    pid: int
    page: PhonePage
    close: Callable[[], Awaitable[None]]
    playwright_page: Any = None
