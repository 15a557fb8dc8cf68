"""Run an import's producer in a child process so that parsing and writing overlap.

On a 2-core machine the SQLite writer and the parser each take about half of
a large import; run one after the other they add up. The child process reads,
checks, reprojects and encodes; the parent only writes. A bounded queue keeps
memory flat. The child is forked (the producer holds no store state), stops
if its parent dies, and sends errors back to be raised in the parent.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
from collections.abc import Iterator
from typing import Any

from vkc.errors import StoreError
from vkc.layers.prepare import Prepared, Producer

_QUEUE_DEPTH = 4
_POLL_SECONDS = 1.0


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def run_in_child(producer: Producer, size: int) -> Iterator[Prepared]:
    ctx = multiprocessing.get_context("fork")
    channel: Any = ctx.Queue(maxsize=_QUEUE_DEPTH)
    child = ctx.Process(target=_child, args=(producer, size, channel, os.getpid()), daemon=True, name="vkc-import-reader")
    child.start()
    try:
        while True:
            try:
                kind, payload = channel.get(timeout=_POLL_SECONDS)
            except queue_module.Empty:
                if not child.is_alive():
                    raise StoreError(f"the import reader process stopped unexpectedly (exit code {child.exitcode})") from None
                continue
            if kind == "batch":
                yield payload
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        if child.is_alive():
            child.terminate()
        child.join(5)
        channel.close()


def _child(producer: Producer, size: int, channel: Any, parent: int) -> None:
    try:
        for prepared in producer.run(size):
            _put(channel, ("batch", prepared), parent)
        _put(channel, ("done", None), parent)
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        try:
            _put(channel, ("error", exc), parent)
        except Exception:  # noqa: BLE001 - the error itself would not pickle
            _put(channel, ("error", StoreError(f"import reader failed: {exc}")), parent)
    channel.close()
    channel.join_thread()


def _put(channel: Any, item: tuple[str, Any], parent: int) -> None:
    while True:
        try:
            channel.put(item, timeout=_POLL_SECONDS)
            return
        except queue_module.Full:
            if os.getppid() != parent:  # the parent was killed: nobody will read this
                os._exit(1)
