"""``vkc audit verify|list|export``: the store's audit trail (see :mod:`vkc.store.audit`)."""

from __future__ import annotations

import sys
from datetime import datetime

import orjson
import typer

from vkc.cli.common import DbOption, open_db, print_json
from vkc.errors import InputError
from vkc.store import audit

audit_app = typer.Typer(help="The audit trail: every change, who made it and when, chained so that an edit shows.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    head: str | None = typer.Option(
        None, "--head", help="A head digest reported earlier: the chain must still hold it (so nothing was cut off the end)."
    ),
    db: DbOption = None,
) -> None:
    """Check the chain from the first entry; exit 0 when it holds, 1 naming the first broken entry."""
    with open_db(db, create=False) as store, store.reading() as conn:
        verdict = audit.verify(conn, head=head)
    if not verdict.intact:
        typer.echo(f"broken at entry {verdict.broken_at}: {verdict.reason}", err=True)
        typer.echo(f"{verdict.entries} entries hold before it; the last of them is {verdict.head}", err=True)
        raise typer.Exit(1)
    typer.echo(f"intact: {verdict.entries} entries; head {verdict.head}")


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not an ISO 8601 time (e.g. 2026-07-01T00:00:00Z)", field=option) from None
    if moment.tzinfo is None:
        raise InputError(f"{option}: give the time with its offset (Z for UTC)", field=option)
    return moment


def _selection(
    actor: str | None, action: str | None, target: str | None, since: str | None, until: str | None, limit: int | None
) -> audit.Selection:
    return audit.Selection(
        actor=actor, action=action, target=target, since=_moment(since, "--since"), until=_moment(until, "--until"), limit=limit
    )


ActorOption = typer.Option(None, "--actor", help="Only this actor: user:NAME, token:ID or local:OS-USER.")
ActionOption = typer.Option(None, "--action", help="Only actions starting so: feature. (every feature change), user.grant …")
TargetOption = typer.Option(None, "--target", help="Only targets starting so: features:parks, user:lan …")
SinceOption = typer.Option(None, "--since", help="From this time on (ISO 8601 with offset).")
UntilOption = typer.Option(None, "--until", help="Before this time (ISO 8601 with offset).")


@audit_app.command("list")
def list_entries(
    actor: str | None = ActorOption,
    action: str | None = ActionOption,
    target: str | None = TargetOption,
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many, newest first."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON, with the before and after of each change."),
    db: DbOption = None,
) -> None:
    """The latest entries, newest first: number, time, actor, action, target."""
    selection = _selection(actor, action, target, since, until, limit)
    with open_db(db, create=False) as store, store.reading() as conn:
        found = list(audit.entries(conn, audit.Selection(**{**selection.__dict__, "newest_first": True})))
    if json_out:
        print_json([e.json() for e in found])
        return
    for e in found:
        typer.echo(f"{e.seq:>8}  {e.at}  {e.actor:<24} {e.action:<24} {e.target}")


@audit_app.command("export")
def export(
    output: str = typer.Option("-", "--output", "-o", help="JSON Lines file to write (default: standard output)."),
    actor: str | None = ActorOption,
    action: str | None = ActionOption,
    target: str | None = TargetOption,
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    db: DbOption = None,
) -> None:
    """Every entry selected, oldest first, one JSON object a line with its digests (an outside check can recompute the chain)."""
    selection = _selection(actor, action, target, since, until, None)
    out = sys.stdout.buffer if output == "-" else open(output, "wb")  # noqa: SIM115  (closed below, unless it is stdout)
    count = 0
    try:
        with open_db(db, create=False) as store, store.reading() as conn:
            for entry in audit.entries(conn, selection):
                out.write(orjson.dumps(entry.json()) + b"\n")
                count += 1
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    if output != "-":
        typer.echo(f"{output}: {count} entries")
