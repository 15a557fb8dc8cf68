"""A whole collection as a file to download: GeoJSON, GeoPackage or CSV, written by the exporter ``vkc export layer`` uses.

Not part of OGC API – Features (its items are pages); the portal's layer pages
offer it. The file is written to a temporary folder, sent, and removed; a
download reads the whole collection, so the server counts it as costly
(:mod:`vkc.layers.costly`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from vkc.api.ogc.collections import NOT_FOUND
from vkc.api.ogc.common import PROBLEM, store_of
from vkc.layers.exporter import export_layer

router = APIRouter()
#: format -> (file extension, media type)
DOWNLOADS = {
    "geojson": (".geojson", "application/geo+json"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "csv": (".csv", "text/csv; charset=utf-8"),
}


@router.get(
    "/collections/{collectionId}/download",
    summary="The whole collection as a file (GeoJSON, GeoPackage or CSV)",
    responses={
        200: {"description": "The file", "content": {media: {} for _, media in DOWNLOADS.values()}},
        400: {"description": "An unknown format", "content": {PROBLEM: {}}},
        **NOT_FOUND,
    },
)
async def download(
    request: Request,
    collectionId: str,  # noqa: N803  (the OGC path parameter's name)
    format: str = Query("geojson", pattern="^(geojson|gpkg|csv)$", description="geojson, gpkg or csv"),  # noqa: A002
) -> FileResponse:
    store = store_of(request)
    coll = await run_in_threadpool(store.schema, collectionId)
    suffix, media_type = DOWNLOADS[format]
    folder = Path(tempfile.mkdtemp(prefix="vkc-download-"))
    path = folder / f"{coll.name}{suffix}"
    try:
        await run_in_threadpool(export_layer, store, coll.name, path, format)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type=media_type, filename=path.name, background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
