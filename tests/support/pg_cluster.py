"""A throwaway PostgreSQL + PostGIS cluster on loopback, for the tests.

Started from Debian's binaries (installed by ``make test``) in a temporary
folder owned by the ``postgres`` user (initdb refuses root), on a free port,
with fsync off; removed again when the session ends. A template database with
PostGIS lets every test get a fresh database in a few tens of milliseconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
TEMPLATE = "vkc_template"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _parent(proc: Path) -> int | None:
    """The parent pid of the process ``/proc/<pid>`` (None if it is gone)."""
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


class Cluster:
    """A throwaway server; ``durable=False`` (the suite's) trades durability for speed, ``durable=True`` keeps PostgreSQL's defaults (crash tests)."""

    def __init__(self, *, durable: bool = False) -> None:
        if not (BIN / "initdb").exists():
            raise RuntimeError("PostgreSQL 15 is not installed: run `make test`, which installs it from Debian packages")
        self.dir = Path(tempfile.mkdtemp(prefix="vkc-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = _free_port()
        subprocess.run(_as_postgres([str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
        self.durable = durable
        options = self._options() + ("" if durable else " -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.dir / "log"), "-o", options, "start"]), check=True, capture_output=True)
        self.psql("postgres", f"CREATE DATABASE {TEMPLATE}")
        self.psql(TEMPLATE, "CREATE EXTENSION postgis")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql("postgres", f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def kill(self) -> None:
        """Stop the server at once, as a crash would."""
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]), check=True, capture_output=True)

    def _options(self) -> str:
        return f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1" + ("" if self.durable else " -c fsync=off")

    def start(self) -> None:
        run = subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.dir / "log"), "-o", self._options(), "start"]), capture_output=True, text=True)
        if run.returncode != 0:
            log = (self.dir / "log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"PostgreSQL did not start: {run.stdout}{run.stderr}\n{log}")

    def kill_9(self) -> None:
        """SIGKILL to the postmaster and every process it started: no shutdown at all, not even an immediate one."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == pid]
        for victim in [pid, *children]:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10  # until every one is gone (and has let go of the shared memory)
        while time.monotonic() < deadline and any(Path(f"/proc/{v}").exists() for v in [pid, *children]):
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
