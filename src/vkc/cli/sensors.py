"""``vkc import stations`` and ``vkc import observations``: monitoring stations and their measurements."""

from __future__ import annotations

import csv
import gc
import json
import os
import sys

import typer

from vkc.cli.common import DbOption, open_db
from vkc.errors import InputError
from vkc.permissions import LOCAL_ADMIN
from vkc.sensors.db import SensorDb
from vkc.sensors.ingest import BATCH, ingest_rows
from vkc.sensors.observation_files import read_observation_rows
from vkc.sensors.stations import station_features, upsert_stations
from vkc.store.audit import Change, append

UNIT_RULE = (
    "Values are stored in one unit per parameter: µg/m³ for PM2.5, PM10, O3, NO2, SO2 and CO "
    "(mg/m³ × 1000; ppb and ppm of gases converted at 25 °C and 1 atm: µg/m³ = ppb × M / 24.45)."
)


def import_stations(
    file: str = typer.Argument(..., help="GeoJSON FeatureCollection of station points."),
    id_field: str = typer.Option("id", "--id-field", help="Property holding the station id (used by observation files)."),
    name_field: str = typer.Option("name", "--name-field", help="Property holding the station name (else name_en, name_vi, the id)."),
    db: DbOption = None,
) -> None:
    """Load monitoring stations as SensorThings Things with their Locations (again: updates them)."""
    features = station_features(file, id_field=id_field, name_field=name_field)
    with open_db(db) as store:
        sdb = SensorDb(store)
        with sdb.writing() as conn:
            created, updated = upsert_stations(sdb, conn, features)
            after = {"source": os.path.abspath(file), "created": created, "updated": updated}
            append(conn, Change(LOCAL_ADMIN.actor, "stations.import", "sensorthings:Things", after=after))
    typer.echo(f"{file}: {created} stations created, {updated} updated")


def import_observations(
    file: str = typer.Argument(..., help="CSV in long form (station,parameter,time,value,unit) or JSON Lines with those keys."),
    tz: str | None = typer.Option(None, "--tz", help="IANA zone of timestamps that carry none (e.g. Asia/Ho_Chi_Minh); without it they are refused."),
    fmt: str | None = typer.Option(None, "--format", help="csv or jsonl (default: from the file name)."),
    batch_size: int = typer.Option(BATCH, "--batch-size", min=1, help="Rows per transaction."),
    rejects: str | None = typer.Option(None, "--rejects", help="Write every rejected row here as CSV (line, reason, raw)."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    db: DbOption = None,
) -> None:
    """Ingest observations, streaming, one transaction per batch; rerunning a file changes nothing.

    Negative or physically impossible values, unknown parameters or units and
    unknown stations are rejected and reported with their line numbers;
    suspicious values are stored flagged in resultQuality.
    """
    rows = read_observation_rows(file, tz=tz, format=fmt)
    # Millions of short-lived rows set off many full garbage collections; each would walk every object
    # this process has made so far (modules, the CLI, the store). Frozen, they are left out of them.
    gc.freeze()
    sink = open(rejects, "w", newline="", encoding="utf-8") if rejects else None
    writer = csv.writer(sink) if sink else None
    if writer:
        writer.writerow(["line", "reason", "raw"])
    try:
        with open_db(db) as store:
            report = ingest_rows(
                store,
                rows,
                batch_size=batch_size,
                rejected=(lambda *r: writer.writerow(r)) if writer else None,
                source=os.path.abspath(file),
            )
    finally:
        if sink:
            sink.close()
    if json_out:
        typer.echo(json.dumps({"file": file, **report.as_dict()}, ensure_ascii=False))
    else:
        typer.echo(f"{file}: {report.stored} observations stored ({report.flagged} flagged), {report.rejected} rows rejected, in {report.seconds:.1f} s")
        for reason, count in report.reasons.most_common():
            typer.echo(f"  rejected {count}: {reason}", err=True)
        for line, reason, _ in report.examples[:10]:
            typer.echo(f"  line {line}: {reason}", err=True)
        if report.rejected > 10 and not rejects:
            typer.echo("  (use --rejects FILE for every rejected row)", err=True)
    sys.stdout.flush()
    if report.stored == 0:  # nothing valid: a failure, whatever the file held
        if report.read == 0:
            raise InputError(f"{file}: the file holds no observations")
        zones = "" if tz else "; rows without a time zone need --tz (e.g. --tz Asia/Ho_Chi_Minh)" if any("time zone" in r for r in report.reasons) else ""
        raise InputError(f"{file}: nothing was stored: every one of its {report.read} rows was rejected{zones}")
