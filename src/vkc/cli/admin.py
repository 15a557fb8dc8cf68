"""``vkc admin``: Vietnam's administrative units on a date."""

from __future__ import annotations

import orjson
import typer
from rich.console import Console
from rich.table import Table

from vkc.cli.common import DbOption, open_db

app = typer.Typer(help="Administrative units: 63 provinces until 2025-06-30, 34 since 2025-07-01.", no_args_is_help=True)
DateOption = typer.Option(None, "--date", help="The day the question is about, YYYY-MM-DD (default: today).")


@app.command("list")
def list_units(date: str | None = DateOption, json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The units valid on a date."""
    from vkc import admin

    found = admin.units(on=admin.parse_date(date))
    if json_out:
        typer.echo(orjson.dumps([u.as_dict() for u in found], option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("GSO", "ISO 3166-2", "tên", "name", "type", "valid from", "valid to")
    for u in found:
        table.add_row(u.gso_code, u.iso_3166_2 or "", u.name_vi, u.name_en, u.type_en, str(u.valid_from or "…"), str(u.valid_to or "…"))
    Console().print(table)


@app.command("locate", context_settings={"ignore_unknown_options": True})
def locate(
    lon: float = typer.Argument(..., help="Longitude (WGS 84)."),
    lat: float = typer.Argument(..., help="Latitude (WGS 84)."),
    date: str | None = DateOption,
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The unit valid on a date whose boundary contains the point."""
    from vkc import admin
    from vkc.errors import NotFoundError

    day = admin.parse_date(date)
    unit = admin.locate(lon, lat, on=day)
    if unit is None:
        raise NotFoundError(f"no administrative unit contains ({lon}, {lat}) on {day.isoformat()}")
    if json_out:
        typer.echo(orjson.dumps(unit.as_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(f"{unit.gso_code} {unit.full_name_vi} ({unit.name_en}), valid {unit.valid_from or '…'} – {unit.valid_to or '…'}")


@app.command("load")
def load(db: DbOption = None, collection: str = typer.Option("admin_units", "--collection", help="Collection to write.")) -> None:
    """Load all 97 units (both periods) into the store as one collection."""
    from vkc import admin

    with open_db(db) as store:
        result = admin.load_into(store, collection)
    typer.echo(f"{collection}: {result.inserted} new, {result.updated} replaced")
