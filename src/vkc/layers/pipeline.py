"""Run an import's producer in child processes so that parsing and writing overlap.

On a 2-core machine the SQLite writer and the parser each take about half of
a large import; run one after the other they add up. Child processes read,
check, reproject and encode; the parent only writes. Files that can be read in
parts (line-per-feature GeoJSON) get two readers, each parsing every other
batch; the parent takes their batches in turn, so file order is kept. Bounded
queues keep memory flat. Each child opens the file itself from a picklable
:class:`ReaderSpec`, so it can be forked from a single-threaded process or
spawned beside threads (the PostGIS store's connection pool); it stops if its
parent dies and sends errors back to be raised in the parent.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from vkc.errors import StoreError
from vkc.layers.prepare import Checks, Prepared, Producer
from vkc.layers.source import Source
from vkc.store.model import EncodedBatch, FeatureBatch

_QUEUE_DEPTH = 4
_POLL_SECONDS = 1.0


def start_method() -> str:
    """Fork (instant) from a single-threaded process; spawn (a fresh interpreter) beside threads,
    such as a database connection pool's or a web server's, where forking is not safe."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


@dataclass(frozen=True)
class ReaderSpec:
    """All a reader process needs to open the file and produce batches itself (picklable, for spawn)."""

    open_source: Callable[[], Source]
    checks: Checks
    encode: Callable[[FeatureBatch], EncodedBatch]

    def producer(self) -> Producer:
        return Producer(self.open_source(), self.checks, self.encode)


def run_in_children(spec: ReaderSpec, size: int, readers: int = 1, method: str | None = None) -> Iterator[Prepared]:
    """Batches in file order, produced by ``readers`` child processes that each read every n-th batch."""
    ctx = multiprocessing.get_context(method or start_method())
    channels: list[Any] = [ctx.Queue(maxsize=_QUEUE_DEPTH) for _ in range(readers)]
    children = [
        ctx.Process(target=_child, args=(spec, size, (k, readers), channels[k], os.getpid()), daemon=True, name=f"vkc-import-reader-{k}")
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


def _child(spec: ReaderSpec, size: int, part: tuple[int, int], channel: Any, parent: int) -> None:
    import gc

    gc.disable()  # as in the parent (see vkc.layers.importer): short-lived acyclic objects only
    try:
        producer = spec.producer()
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
