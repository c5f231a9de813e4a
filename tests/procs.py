"""Real processes for tests: free loopback ports, redis-server, and the signaling server. Each is
started by the test that needs it and stopped by its process id."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, seconds: float = 20.0) -> None:
    """Waits until something listens on 127.0.0.1:port, or fails if the process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stops a process by its id and reaps it."""
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


class RedisProcess:
    """A redis-server on a free loopback port (Debian's redis-server does not start itself)."""

    def __init__(self, persistent: bool = False) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is missing: scripts/test installs Debian's redis-server")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="dartcam-redis-")
        self.persistent = persistent
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProcess:
        args = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            self.dir,
        ]
        args += ["--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        wait_port(self.port, self.proc)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            stop(self.proc, sig)
            self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class SignalingProcess:
    """`python -m signaling` on a free loopback port. Its log goes to a file (an unread pipe would fill
    up and stall the server); `log()` reads it."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        fd, self.log_path = tempfile.mkstemp(prefix="dartcam-signaling-", suffix=".log")
        cmd = [sys.executable, "-m", "signaling", "--host", "127.0.0.1", "--port", str(self.port), *args]
        with os.fdopen(fd, "w") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stderr=log)
        wait_port(self.port, self.proc)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def log(self) -> str:
        """What the server has logged so far."""
        with open(self.log_path, encoding="utf-8") as fh:
            return fh.read()

    def stop(self, sig: int = signal.SIGTERM, keep_log: bool = False) -> None:
        """Stops the server by its pid; its log is removed unless kept for reading."""
        stop(self.proc, sig)
        if not keep_log:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.log_path)


class ProxyProcess:
    """tests.tcp_proxy between clients and a server on loopback, by process id: `pause()` black-holes
    every connection through it (SIGSTOP), `kill()` drops them (SIGKILL), `start()` again listens on
    the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> ProxyProcess:
        cmd = [sys.executable, "-m", "tests.tcp_proxy", str(self.port), str(self.target_port)]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, cwd=os.path.dirname(os.path.dirname(__file__))
        )
        wait_port(self.port, self.proc)
        return self

    def pause(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def kill(self) -> None:
        if self.proc is not None:
            stop(self.proc, signal.SIGKILL)
            self.proc = None
