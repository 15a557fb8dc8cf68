"""``vkc import layer``, ``vkc export layer`` and ``vkc layers``."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table

from vkc.cli.common import DbOption, open_db
from vkc.layers import EXPORT_FORMATS, export_layer, import_layer
from vkc.layers.importer import FORMATS, ImportOptions

_err = Console(stderr=True)


def import_layer_command(
    file: Path = typer.Argument(..., help="GeoJSON, GeoJSON sequence, GeoPackage, zipped Shapefile or CSV."),
    collection: str = typer.Option(..., "--collection", "-c", help="Collection (layer) to import into; created if needed."),
    db: DbOption = None,
    crs: str | None = typer.Option(
        None, "--crs", help="Source CRS when the file does not say or says wrong: EPSG:n, vn2000-tm3:<meridian>, WKT."
    ),
    id_field: str | None = typer.Option(None, "--id-field", help="Property holding each feature's id (else the source's ids or positions)."),
    time_field: str | None = typer.Option(None, "--time-field", help="Property holding each feature's time (ISO 8601 with zone)."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the valid features and report each reject."),
    repair: bool = typer.Option(False, "--repair", help="Make invalid geometries valid instead of failing."),
    anywhere: bool = typer.Option(False, "--anywhere", help="Accept coordinates outside Vietnam."),
    fmt: str | None = typer.Option(None, "--format", help=f"Input format if the extension does not tell: {', '.join(FORMATS)}."),
    layer: str | None = typer.Option(None, "--layer", help="Layer to read from a multi-layer file."),
    x_field: str | None = typer.Option(None, "--x-field", help="CSV: column of x / longitude / easting."),
    y_field: str | None = typer.Option(None, "--y-field", help="CSV: column of y / latitude / northing."),
    survey_xy: bool = typer.Option(
        False, "--survey-xy", help="CSV: Vietnamese survey order, the X column is northing and Y is easting."
    ),
    title: str | None = typer.Option(None, "--title", help="Human title of the collection."),
    parallel: bool | None = typer.Option(
        None, "--parallel/--serial", help="Read in a second process while writing (default: for files over 4 MB)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Import a file as a collection, in one transaction: all of it or nothing."""
    options = ImportOptions(
        crs=crs, id_field=id_field, time_field=time_field, skip_invalid=skip_invalid, repair=repair,
        anywhere=anywhere, format=fmt, layer=layer, x_field=x_field, y_field=y_field,
        axis_order="ne" if survey_xy else "en", title=title, parallel=parallel,
    )
    with open_db(db) as store:
        if sys.stderr.isatty() and not json_out:
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=_err, transient=True) as bar:
                task = bar.add_task(f"importing {file.name}", total=None)
                report = import_layer(store, file, collection, options, progress=lambda done, total: bar.update(task, completed=done, total=total))
        else:
            report = import_layer(store, file, collection, options)
    if json_out:
        typer.echo(orjson.dumps(report.as_dict(str(file)), option=orjson.OPT_INDENT_2).decode())
        return
    for reject in report.rejected:
        typer.echo(f"rejected: {reject}", err=True)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"{report.collection}: {report.read} read, {report.inserted} new, {report.updated} replaced, "
        f"{report.repaired} repaired, {len(report.rejected)} rejected; source CRS {report.source_crs}; "
        f"{report.seconds:.1f} s"
    )


def export_layer_command(
    name: str = typer.Argument(..., help="Collection to export."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write (replaced if it exists)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=f"{' | '.join(EXPORT_FORMATS)} (default: from the extension)."),
    crs: str | None = typer.Option(None, "--crs", help="Output CRS (default WGS 84 lon/lat), e.g. EPSG:9210."),
    db: DbOption = None,
) -> None:
    """Export a collection to a file."""
    with open_db(db, create=False) as store:
        count = export_layer(store, name, output, fmt, crs=crs)
    typer.echo(f"{name}: {count} features written to {output}")


def list_layers(db: DbOption = None, json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the collections in the store with their counts and extents."""
    with open_db(db, create=False) as store:
        collections = store.collections()
    if json_out:
        typer.echo(orjson.dumps([
            {"name": c.name, "title": c.title, "geometry_type": c.geometry_type, "count": c.count, "extent": c.extent,
             "synthetic": c.metadata.get("synthetic"), "source_crs": c.metadata.get("source_crs")}
            for c in collections
        ], option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("collection", "type", "features", "extent (lon/lat)", "synthetic")
    for c in collections:
        extent = "" if c.extent is None else "{:.4f}, {:.4f} – {:.4f}, {:.4f}".format(*c.extent)
        synthetic = {True: "yes", False: "no"}.get(c.metadata.get("synthetic"), "")
        table.add_row(c.name, c.geometry_type, str(c.count), extent, synthetic)
    Console().print(table)
