"""The audit trail: every change, who made it, when, and the thing before and after, in a chain nobody can rewrite unseen.

Each entry is appended in the transaction of the change it describes, so the
two commit together or not at all. An entry holds its sequence number (1, 2,
3, … with no gaps), the time, the actor (``user:<name>``, ``token:<id>``,
``local:<OS user>``: :attr:`vkc.permissions.Grant.actor`), the action (``feature.replace``, ``user.grant``, …),
the target (``features:parks/12``, ``user:lan``), the before and after as
canonical JSON, and two SHA-256 digests: ``prev``, the digest of the entry
before it (64 zeros for the first), and ``hash``, the digest of its own
fields and ``prev``. Changing, deleting or reordering an entry breaks the
chain at that entry; :func:`verify` finds the first break.

The table refuses ``UPDATE`` and ``DELETE`` (triggers on both backends, and
``TRUNCATE`` on PostgreSQL), so the platform cannot rewrite it by mistake;
someone with the database in hand can drop the triggers, and the chain is
what shows it then. Cutting entries off the end leaves a valid, shorter
chain: keep the head digest :func:`verify` reports somewhere else (a
ticket, a signed mail) and pass it back (``--head``) to prove nothing was cut.

Appends are serialised (the one writer of a GeoPackage file; an advisory
lock on PostgreSQL, held from the append to the commit), so record the
change last in its transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from vkc.errors import InputError
from vkc.store.dialect import Conn, DialectName
from vkc.store.migrations import Step, migration

TABLE = "vkc_audit"
GENESIS = "0" * 64
_COLUMNS = "seq, at, actor, action, target, before, after, prev, hash"
_APPEND_ONLY = "the audit trail is append-only"


@dataclass(frozen=True)
class Change:
    """What an actor did to a target, with the target before and after (None where there was none, or is none now)."""

    actor: str
    action: str
    target: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class Entry:
    """One entry of the trail as stored: ``before`` and ``after`` are canonical JSON text (or None)."""

    seq: int
    at: str
    actor: str
    action: str
    target: str
    before: str | None
    after: str | None
    prev: str
    hash: str

    def digest(self) -> str:
        """The digest this entry's fields and ``prev`` give (its ``hash``, if nobody changed it)."""
        fields = [self.seq, self.at, self.actor, self.action, self.target, self.before, self.after, self.prev]
        return hashlib.sha256(orjson.dumps(fields)).hexdigest()

    def json(self) -> dict[str, Any]:
        """The entry as a JSON object, ``before`` and ``after`` parsed."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "before": None if self.before is None else orjson.loads(self.before),
            "after": None if self.after is None else orjson.loads(self.after),
            "prev": self.prev,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: how many entries, the head digest, and the first broken entry (None if the chain holds)."""

    entries: int
    head: str
    broken_at: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def canonical(value: Any) -> str | None:
    """``value`` as the trail stores it: JSON with sorted keys, the same bytes on every backend (None stays None)."""
    if value is None:
        return None
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str).decode()


def append(conn: Conn, change: Change) -> Entry:
    """Append ``change`` to the trail in the caller's transaction; returns the entry."""
    if conn.dialect.name == "postgres":
        conn.dialect.advisory_lock(conn, TABLE)
    last = conn.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (1, GENESIS) if last is None else (int(last[0]) + 1, str(last[1]))
    at = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    unsealed = Entry(seq, at, change.actor, change.action, change.target, canonical(change.before), canonical(change.after), prev, "")
    entry = Entry(**{**unsealed.__dict__, "hash": unsealed.digest()})
    _insert(conn, entry)
    return entry


def _insert(conn: Conn, entry: Entry) -> None:
    conn.execute(
        f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entry.seq, entry.at, entry.actor, entry.action, entry.target, entry.before, entry.after, entry.prev, entry.hash),
    )


@dataclass(frozen=True)
class Selection:
    """Which entries :func:`entries` gives: all conditions hold; prefixes match the start of the field."""

    actor: str | None = None
    action: str | None = None  # a prefix: ``feature.`` is every feature change
    target: str | None = None  # a prefix: ``features:parks`` is everything in the collection
    since: datetime | None = None
    until: datetime | None = None
    after_seq: int = 0  # entries after this one (the cursor going forward)
    before_seq: int | None = None  # entries before this one (the cursor going back, newest first)
    limit: int | None = None
    newest_first: bool = False

    def where(self) -> tuple[str, list[Any]]:
        conditions: list[str] = ["seq > ?"]
        params: list[Any] = [self.after_seq]
        if self.before_seq is not None:
            conditions.append("seq < ?")
            params.append(self.before_seq)
        if self.actor:
            conditions.append("actor = ?")
            params.append(self.actor)
        for column, prefix in (("action", self.action), ("target", self.target)):
            if prefix:
                conditions.append(f"substr({column}, 1, ?) = ?")
                params += [len(prefix), prefix]
        for op, moment in ((">=", self.since), ("<", self.until)):
            if moment is not None:
                if moment.tzinfo is None:
                    raise InputError("give times with their offset (Z for UTC)", field="since" if op == ">=" else "until")
                conditions.append(f"at {op} ?")
                params.append(moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"))
        return " AND ".join(conditions), params


def entries(conn: Conn, selection: Selection = Selection()) -> Iterator[Entry]:  # noqa: B008  (a frozen default)
    """The entries selected, in sequence order (newest first if asked)."""
    where, params = selection.where()
    order = "DESC" if selection.newest_first else "ASC"
    limit = "" if selection.limit is None else f" LIMIT {int(selection.limit)}"
    for row in conn.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE {where} ORDER BY seq {order}{limit}", params):
        seq, at, actor, action, target, before, after, prev, digest = row
        yield Entry(int(seq), at, actor, action, target, before, after, prev, digest)


def verify(conn: Conn, *, head: str | None = None) -> Verdict:
    """Walk the chain from the first entry: numbers without gaps, each ``prev`` the entry before's ``hash``, each ``hash`` its own digest.

    ``head`` is a digest reported earlier: the chain must still contain it, so entries cut off the end show too.
    """
    expected_seq, prev, count, seen_head = 1, GENESIS, 0, head is None
    for entry in entries(conn):
        if entry.seq != expected_seq:
            gone = (
                f"entries {expected_seq}–{entry.seq - 1} are missing" if entry.seq > expected_seq else f"entry {entry.seq} is out of order"
            )
            return Verdict(count, prev, expected_seq, f"{gone} (deleted or renumbered)")
        if entry.prev != prev:
            return Verdict(
                count, prev, entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1} (its prev is not that entry's hash)"
            )
        if entry.digest() != entry.hash:
            return Verdict(
                count, prev, entry.seq, f"entry {entry.seq} was changed after it was written (its hash does not match its fields)"
            )
        prev, count, expected_seq = entry.hash, count + 1, expected_seq + 1
        seen_head = seen_head or entry.hash == head
    if not seen_head:
        return Verdict(
            count,
            prev,
            count + 1,
            f"the head {head} is not in the chain: entries after entry {count} were cut off, or it is another store's",
        )
    return Verdict(count, prev)


def copy_trail(source: Conn, target: Conn, actor: str) -> int:
    """Carry ``source``'s trail into ``target`` (``vkc store copy``); returns how many of its entries the target holds now.

    Entries are copied as they are, hashes and all, when the target's trail is empty or the start of the
    source's (a second copy carries only what is new), so the copy verifies as the source does. A target
    with a trail of its own keeps it, and gets one entry ``store.copy`` naming the source's length and head.
    """
    have = int(target.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])
    if have:
        mine = target.execute(f"SELECT hash FROM {TABLE} WHERE seq = ?", (have,)).fetchone()
        theirs = source.execute(f"SELECT hash FROM {TABLE} WHERE seq = ?", (have,)).fetchone()
        if mine is None or theirs is None or mine[0] != theirs[0]:
            last = source.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
            trail = {"entries": 0, "head": GENESIS} if last is None else {"entries": int(last[0]), "head": last[1]}
            append(target, Change(actor, "store.copy", "store", after={"source_trail": trail}))
            return 0
    copied = 0
    for entry in entries(source, Selection(after_seq=have)):
        _insert(target, entry)
        copied += 1
    return have + copied


def _steps(dialect: DialectName) -> list[Step]:
    if dialect == "postgres":
        return [
            f"""CREATE TABLE IF NOT EXISTS {TABLE} (
                 seq bigint PRIMARY KEY, at text NOT NULL, actor text NOT NULL, action text NOT NULL, target text NOT NULL,
                 before text, after text, prev text NOT NULL, hash text NOT NULL UNIQUE)""",
            f"""CREATE OR REPLACE FUNCTION vkc_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$""",
            f"CREATE OR REPLACE TRIGGER vkc_audit_no_change BEFORE UPDATE OR DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION vkc_audit_append_only()",
            f"CREATE OR REPLACE TRIGGER vkc_audit_no_truncate BEFORE TRUNCATE ON {TABLE} FOR EACH STATEMENT EXECUTE FUNCTION vkc_audit_append_only()",
        ]
    return [
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
             seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
             before TEXT, after TEXT, prev TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)""",
        f"CREATE TRIGGER IF NOT EXISTS vkc_audit_no_update BEFORE UPDATE ON {TABLE} BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        f"CREATE TRIGGER IF NOT EXISTS vkc_audit_no_delete BEFORE DELETE ON {TABLE} BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
    ]


#: the trail's table, the kernel's schema ``audit`` on both backends
MIGRATIONS = (migration(1, "the audit trail: an append-only chain of every change", _steps),)

__all__ = [
    "GENESIS",
    "MIGRATIONS",
    "TABLE",
    "Change",
    "Entry",
    "Selection",
    "Verdict",
    "append",
    "canonical",
    "copy_trail",
    "entries",
    "verify",
]
