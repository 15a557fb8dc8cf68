"""The manifest of a backup (``manifest.json``): what the backup holds, and the check that a restored store is it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from vkc.errors import FormatError, InputError, StoreError
from vkc.store import audit, open_store
from vkc.store.base import TRANSIENT_KIND

Backend = Literal["gpkg", "postgis"]
FORMAT = "vkc-backup"
#: the manifest layout this code writes and reads
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOADS: dict[Backend, str] = {"gpkg": "store.gpkg", "postgis": "store.pgdump"}


@dataclass(frozen=True)
class Payload:
    """The archive member holding the store: its name, size in bytes and SHA-256 (hex)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: ``manifest.json`` of the archive."""

    backend: Backend
    created: str  # ISO 8601, UTC
    vkc_version: str
    #: each component's schema version in the store backed up
    versions: dict[str, int]
    #: the audit trail in the payload, as :func:`vkc.store.audit.verify` found it
    audit_entries: int
    audit_head: str
    audit_intact: bool
    payload: Payload
    #: PostGIS: the store's schema, the tables in the payload, the definitions of the functions their triggers call,
    #: and the tables of that schema left out because they are not the platform's
    schema: str | None = None
    tables: tuple[str, ...] = ()
    functions: dict[str, str] = field(default_factory=dict)
    left_out: tuple[str, ...] = ()
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        body: dict[str, Any] = {
            "format": FORMAT,
            "format_version": self.format_version,
            "vkc_version": self.vkc_version,
            "backend": self.backend,
            "created": self.created,
            "versions": self.versions,
            "audit": {"entries": self.audit_entries, "head": self.audit_head, "intact": self.audit_intact},
            "payload": {"name": self.payload.name, "size": self.payload.size, "sha256": self.payload.sha256},
        }
        if self.backend == "postgis":
            body["postgis"] = {
                "schema": self.schema, "tables": list(self.tables), "functions": self.functions, "left_out": list(self.left_out),
            }
        return orjson.dumps(body, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Manifest:
        """Read ``manifest.json``; a manifest that is not one this code reads is a FormatError naming ``where``."""
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise FormatError(f"{where} is not a vkc backup: its manifest is not JSON ({exc})", field="file") from exc
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise FormatError(f"{where} is not a vkc backup: its manifest does not say format {FORMAT!r}", field="file")
        version = body.get("format_version")
        if version != FORMAT_VERSION:
            raise FormatError(
                f"{where} is a backup of format {version!r}; this vkc reads format {FORMAT_VERSION} (restore it with the vkc that made it)",
                field="file",
            )
        backend = body.get("backend")
        if backend not in PAYLOADS:
            raise InputError(f"{where}: unknown backend {backend!r} in the manifest (known: {', '.join(PAYLOADS)})", field="file")
        try:
            trail, payload = body["audit"], body["payload"]
            pg = body.get("postgis") or {}
            manifest = cls(
                backend=backend,
                created=str(body["created"]),
                vkc_version=str(body["vkc_version"]),
                versions={str(k): int(v) for k, v in body["versions"].items()},
                audit_entries=int(trail["entries"]),
                audit_head=str(trail["head"]),
                audit_intact=bool(trail["intact"]),
                payload=Payload(str(payload["name"]), int(payload["size"]), str(payload["sha256"])),
                schema=None if pg.get("schema") is None else str(pg["schema"]),
                tables=tuple(str(t) for t in pg.get("tables", ())),
                functions={str(k): str(v) for k, v in pg.get("functions", {}).items()},
                left_out=tuple(str(t) for t in pg.get("left_out", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FormatError(f"{where} is not a complete vkc backup: its manifest lacks or misspells {exc}", field="file") from exc
        if "/" in manifest.payload.name or manifest.payload.name in ("", ".", "..", MANIFEST):
            raise FormatError(f"{where}: the manifest names an impossible payload {manifest.payload.name!r}", field="file")
        if manifest.backend == "postgis" and not manifest.schema:
            raise FormatError(f"{where}: the manifest of a PostGIS backup names no schema", field="file")
        return manifest


def check_restored(url: str, manifest: Manifest) -> None:
    """Open the restored store (its migrations checked) and verify its audit trail against the manifest.

    The sessions and other ``transient:`` records the backup caught are dropped: a restore signs everybody out
    (a session ended since the backup must not come back).
    """
    with open_store(url, create=False) as store:
        with store.reading() as conn:
            verdict = audit.verify(conn)
        for kind in store.record_kinds():
            if kind.startswith(TRANSIENT_KIND):
                for key, _ in store.records(kind):
                    store.delete_record(kind, key)
    if (verdict.entries, verdict.head, verdict.intact) != (manifest.audit_entries, manifest.audit_head, manifest.audit_intact):
        raise StoreError(
            f"the restored audit trail is not the backup's: {verdict.entries} entries, head {verdict.head}"
            f"{'' if verdict.intact else ', broken'}; the manifest says {manifest.audit_entries} entries, head {manifest.audit_head}"
        )
