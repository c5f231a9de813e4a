"""The parts of a browser scenario, run inside the loopback-only namespace: the agent (as a process,
through tests.browser.agent_probe) and headless Chromium (a process of our own, driven by Playwright
over the DevTools protocol). Each is stopped by its process id."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.renderer import ROOT

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


def spki_hash(cert_pem: bytes) -> str:
    """The base64 SHA-256 of a certificate's public key, for --ignore-certificate-errors-spki-list."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class Chromium:
    """Debian's Chromium, headless, with a clip as its camera; Playwright attaches over CDP."""

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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode} (see chromium.log)")
            if port_file.exists():
                lines = port_file.read_text().splitlines()
                if lines and lines[0].isdigit():
                    return f"http://127.0.0.1:{lines[0]}"
            await asyncio.sleep(0.05)
        raise TimeoutError(f"chromium wrote no DevTools port within {timeout:g} s")

    def stop(self) -> None:
        """Stops Chromium by its pid and removes its profile."""
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
