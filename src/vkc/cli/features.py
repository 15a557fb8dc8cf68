"""``vkc features``: read, add, replace, change and delete one feature, by the rules of the API's writes (:mod:`vkc.layers.features_service`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from vkc.cli.common import DbOption, open_db
from vkc.errors import InputError, PreconditionFailed, PreconditionRequired
from vkc.layers import features_service as service
from vkc.layers.documents import feature_json, geometries_json
from vkc.ogc.crs import CRS84, api_crs
from vkc.permissions import LOCAL_ADMIN

features_app = typer.Typer(
    help=(
        "Read and write single features by the rules of the API's writes: properties that fit the collection's schema, "
        "and --if-match with the feature's ETag (from `vkc features get`) for a replace, change or delete, so no update is lost. "
        "These commands act with admin rights of the local user: whoever can open the store (its file, or its database URL) "
        "may change every collection; no token is asked for."
    ),
    no_args_is_help=True,
)

CollectionArg = Annotated[str, typer.Argument(help="The collection (layer).", show_default=False)]
IdArg = Annotated[str, typer.Argument(help="The feature's id.", show_default=False)]
IfMatchOption = Annotated[
    str | None, typer.Option("--if-match", help="The feature's ETag as you read it (`vkc features get --etag`); '*' for whatever version is there.")
]
CrsOption = Annotated[
    str | None, typer.Option("--crs", help="CRS of the file's coordinates, as the API's Content-Crs: EPSG:n or its URI (default: CRS84, longitude/latitude).")
]
FeatureFile = Annotated[str, typer.Argument(help="A GeoJSON Feature in a file, or '-' for standard input.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help='Print {"collection", "id", "etag"} as JSON.')]


def _document(file: str) -> Any:
    """The JSON in ``file`` ('-': standard input)."""
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}", field="file") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{file} is not JSON: {exc}", field="file") from None


def _if_match(value: str | None) -> str | None:
    """An ETag as given on the command line: with or without its quotes (the shell may have eaten them)."""
    if value is None:
        return None
    tags = [t.strip() for t in value.split(",")]
    return ", ".join(t if t == "*" or t.startswith(('"', "W/")) else f'"{t}"' for t in tags)


@contextmanager
def _versions_hint() -> Iterator[None]:
    """Errors about versions name the option to use."""
    try:
        yield
    except (PreconditionRequired, PreconditionFailed) as exc:
        raise type(exc)(f"{exc.message} (--if-match ETAG; `vkc features get COLLECTION ID --etag` prints it)", **exc.detail) from None


def _change(
    write: Callable[..., service.StoredFeature], done: str, collection: str, feature_id: str, file: str, *,
    if_match: str | None, crs: str | None, json_out: bool, db: str | None,
) -> None:
    """Replace or update a feature by the document in ``file``, as the local user."""
    doc = _document(file)
    with open_db(db, create=False) as store, _versions_hint():
        stored = write(store, collection, feature_id, doc, LOCAL_ADMIN, if_match=_if_match(if_match), content_crs=crs)
    _report(collection, stored, done, json_out)


def _report(collection: str, stored: service.StoredFeature, done: str, json_out: bool) -> None:
    if json_out:
        typer.echo(orjson.dumps({"collection": collection, "id": stored.feature.id, "etag": stored.etag}).decode())
    else:
        typer.echo(f"{collection}/{stored.feature.id}: {done}; ETag {stored.etag}")


@features_app.command("get")
def get(
    collection: CollectionArg,
    feature_id: IdArg,
    etag_only: Annotated[bool, typer.Option("--etag", help="Print only the ETag.")] = False,
    db: DbOption = None,
) -> None:
    """Print a feature as GeoJSON (longitude/latitude), and its ETag on standard error."""
    with open_db(db, create=False) as store:
        stored = service.read_feature(store, collection, feature_id)
    if etag_only:
        typer.echo(stored.etag)
        return
    body = feature_json(stored.feature, geometries_json([stored.feature], api_crs(CRS84))[0])
    typer.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
    typer.echo(f"ETag: {stored.etag}", err=True)


@features_app.command("add")
def add(
    collection: CollectionArg,
    file: FeatureFile,
    crs: CrsOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Add a feature with its id (a new UUID if it has none); an id that exists already is refused. Acts with admin rights of the local user."""
    doc = _document(file)
    with open_db(db, create=False) as store:
        stored = service.create_feature(store, collection, doc, LOCAL_ADMIN, content_crs=crs)
    _report(collection, stored, "created", json_out)


@features_app.command("put")
def put(
    collection: CollectionArg,
    feature_id: IdArg,
    file: FeatureFile,
    if_match: IfMatchOption = None,
    crs: CrsOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Replace a feature by the one in FILE. Acts with admin rights of the local user."""
    _change(service.replace_feature, "replaced", collection, feature_id, file, if_match=if_match, crs=crs, json_out=json_out, db=db)


@features_app.command("patch")
def patch(
    collection: CollectionArg,
    feature_id: IdArg,
    file: Annotated[
        str, typer.Argument(help="A JSON Merge Patch (RFC 7396) of the feature's properties, geometry and time, or '-' for standard input.", show_default=False)
    ],
    if_match: IfMatchOption = None,
    crs: CrsOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Change part of a feature: properties set to null are removed, the others set; a geometry or time given replaces the old. Acts with admin rights of the local user."""
    _change(service.update_feature, "updated", collection, feature_id, file, if_match=if_match, crs=crs, json_out=json_out, db=db)


@features_app.command("delete")
def delete(
    collection: CollectionArg,
    feature_id: IdArg,
    if_match: IfMatchOption = None,
    db: DbOption = None,
) -> None:
    """Delete a feature. Acts with admin rights of the local user."""
    with open_db(db, create=False) as store, _versions_hint():
        service.delete_feature(store, collection, feature_id, LOCAL_ADMIN, if_match=_if_match(if_match))
    typer.echo(f"{collection}/{feature_id}: deleted")
