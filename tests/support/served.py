"""``vkc serve`` in a process of its own, for tests of what a real server does: a free port, and waiting until it answers."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_healthy(base: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Return once ``base``/health answers 200; fail with the server's log if it exits or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and process.poll() is None, log.read_text(errors="replace")[-2000:]
        time.sleep(0.1)
