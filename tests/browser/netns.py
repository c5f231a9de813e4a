"""Runs a Python module inside a fresh network namespace that has only loopback.

A browser gathers every interface's address for ICE, so the browser tests and the benchmark run the
browser, the server and the agent inside such a namespace (ARCHITECTURE.md): `unshare -n` as root,
`unshare -rn` as a user, then `ip link set lo up`. The namespace disappears with its processes. Where
none can be made, NetnsUnavailable says why: callers fail, they never fall back to the real network."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from functools import cache
from typing import Any

from tests.renderer import ROOT

LO_UP = "ip link set lo up"


class NetnsUnavailable(RuntimeError):
    """No network namespace can be made here."""


class ScenarioFailed(RuntimeError):
    """The module inside the namespace did not print a JSON result."""


def _unshare() -> list[str]:
    return ["unshare", "-n" if os.geteuid() == 0 else "-rn", "--"]


@cache
def check_netns() -> None:
    """Raises NetnsUnavailable unless a loopback-only namespace can be made here."""
    missing = [tool for tool in ("unshare", "ip") if shutil.which(tool) is None]
    if missing:
        raise NetnsUnavailable(
            f"{' and '.join(missing)} missing: scripts/test installs util-linux and iproute2"
        )
    probe = subprocess.run(
        [*_unshare(), "sh", "-c", f"{LO_UP} && ip -o addr show"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    if probe.returncode != 0:
        raise NetnsUnavailable(
            "cannot create a network namespace with only loopback (the real-browser tests refuse to "
            f"touch the LAN): {probe.stderr.strip() or probe.returncode}"
        )
    if any(line.split()[1] != "lo" for line in probe.stdout.splitlines() if line.strip()):
        raise NetnsUnavailable(f"the new namespace has more than loopback:\n{probe.stdout}")


def run_module(module: str, args: list[str], timeout: float) -> dict[str, Any]:
    """Runs `python -m module args...` in a new loopback-only namespace; returns the JSON object it
    prints as its last stdout line. The whole process group is killed on a time-out."""
    check_netns()
    cmd = [*_unshare(), "sh", "-c", f'{LO_UP} && exec "$@"', "sh", sys.executable, "-m", module, *args]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise ScenarioFailed(f"{module} {args} did not finish within {timeout:g} s\n{err[-4000:]}") from None
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise ScenarioFailed(f"{module} exited with {proc.returncode} and no result\n{err[-4000:]}")
    return json.loads(lines[-1])
