"""Wall time and peak resident memory of one command, the same way for vkc and for its peers.

The peak comes from GNU time (``/usr/bin/time -f %M``, Debian package ``time``), which
runs the command as a child of its own small process and reports that child's
``ru_maxrss``: the largest resident set of the command or of any descendant it waited
for (vkc's reader processes, say), not their sum.

Why not ``os.wait4`` on a child of the benchmark itself: Linux keeps the high-water
mark of the memory a process had before ``exec`` in its ``ru_maxrss``. A child forked
(or vforked, as ``subprocess`` does) from a benchmark process of 200 MB reports at
least 200 MB, whatever it then runs; ``true`` reports the parent's size. GNU time is
forked from the benchmark too, but what it reports is its own child's usage, and that
child was forked from GNU time's few hundred kilobytes.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time

GNU_TIME = "/usr/bin/time"  # Debian package `time`, pinned in deps/debian-packages.txt


def require_gnu_time() -> None:
    if not os.path.exists(GNU_TIME):
        raise SystemExit(f"GNU time ({GNU_TIME}) is needed to measure peak memory: apt-get install time")


def run_measured(cmd: list[str], *, keep_stdout: bool = False) -> dict:
    """Run ``cmd`` to the end: ``seconds`` (wall, spawn to exit), ``peak_rss_mb``, ``cpu_s`` (user +
    system seconds of the command and the descendants it waited for: less moved by other work on
    the machine than the wall time) and, with ``keep_stdout``, its standard output. A failing command stops the benchmark with the end
    of its standard error."""
    require_gnu_time()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        proc = subprocess.Popen([GNU_TIME, "-f", "%U %S %M", "-o", rss.name, *cmd], stdout=out if keep_stdout else subprocess.DEVNULL, stderr=err)
        status = proc.wait()
        seconds = time.perf_counter() - start
        if status != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({status}): {err.read().decode(errors='replace')[-3000:]}")
        user, system, peak_kb = rss.read().split()[-3:]  # the last line (GNU time writes a status line first on failure)
        result = {"seconds": round(seconds, 2), "peak_rss_mb": round(int(peak_kb) / 1024, 1), "cpu_s": round(float(user) + float(system), 2)}
        if keep_stdout:
            out.seek(0)
            result["stdout"] = out.read().decode()
        return result
