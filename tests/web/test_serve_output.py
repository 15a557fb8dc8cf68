"""What ``vkc serve`` prints: the address once it listens and a line per request, with one worker or several alike."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from served import free_port, wait_until_healthy


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_prints_its_address_and_each_request_with_any_number_of_workers(seeded_url: str, tmp_path: Path, workers: int) -> None:
    port, log = free_port(), tmp_path / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "vkc", "serve", "--db", seeded_url, "--port", str(port), "--workers", str(workers), "--no-tasks"],
            stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", server, log)
            assert httpx.get(f"http://127.0.0.1:{port}/ogc/collections", timeout=10).status_code == 200
            time.sleep(0.5)  # the access log line is written after the answer
        finally:
            server.terminate()
            server.wait(30)
    text = log.read_text(errors="replace")
    assert f"http://127.0.0.1:{port}" in text, text
    assert "GET /ogc/collections HTTP/1.1\" 200" in text, text
