"""Run an import's producer in child processes so that parsing and writing overlap.

On a 2-core machine the SQLite writer and the parser each take about half of
a large import; run one after the other they add up. Child processes read,
check, reproject and encode; the parent only writes. Files that can be read in
parts (line-per-feature GeoJSON) get two readers, each parsing every other
batch; the parent takes their batches in turn, so file order is kept. Bounded
queues keep memory flat. Children are forked (the producer holds no store
state), stop if their parent dies, and send errors back to be raised in the
parent.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import threading
from collections.abc import Iterator
from typing import Any

from vkc.errors import StoreError
from vkc.layers.prepare import Prepared, Producer

_QUEUE_DEPTH = 4
_POLL_SECONDS = 1.0


def can_fork() -> bool:
    """Forking is safe only from a single-threaded process (a web server's worker is not one)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def run_in_children(producer: Producer, size: int, readers: int = 1) -> Iterator[Prepared]:
    """Batches in file order, produced by ``readers`` child processes that each read every n-th batch."""
    ctx = multiprocessing.get_context("fork")
    channels: list[Any] = [ctx.Queue(maxsize=_QUEUE_DEPTH) for _ in range(readers)]
    children = [
        ctx.Process(target=_child, args=(producer, size, (k, readers), channels[k], os.getpid()), daemon=True, name=f"vkc-import-reader-{k}")
        for k in range(readers)
    ]
    for child in children:
        child.start()
    try:
        turn = 0
        while True:
            channel, child = channels[turn % readers], children[turn % readers]
            try:
                kind, payload = channel.get(timeout=_POLL_SECONDS)
            except queue_module.Empty:
                if not child.is_alive():
                    raise StoreError(f"the import reader process stopped unexpectedly (exit code {child.exitcode})") from None
                continue
            if kind == "batch":
                yield payload
                turn += 1
            elif kind == "error":
                raise payload
            else:
                return  # batches are dealt round-robin: the first reader out of batches ends the file
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join(5)
        for channel in channels:
            channel.close()


def _child(producer: Producer, size: int, part: tuple[int, int], channel: Any, parent: int) -> None:
    try:
        for prepared in producer.run(size, part):
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
        if os.getppid() != parent:  # the parent was killed: nobody will read this
            os._exit(1)
        try:
            channel.put(item, timeout=_POLL_SECONDS)
            return
        except queue_module.Full:
            continue
