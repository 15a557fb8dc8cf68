"""Uploading a layer over HTTP: ``POST /api/layers/{collectionId}`` with a file (``curl -F file=@parks.geojson``), imported as ``vkc import layer`` imports it.

The library does the work (:mod:`vkc.layers.upload`); here are the token
(``features:<collection>``, before the body is read), the multipart body with
its size limit, and the answer: the import report, 201 for a new collection
and 200 for one that was there (its features with the file's ids replaced).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vkc.api.ogc.common import PROBLEM, base_url, store_of
from vkc.layers import upload
from vkc.permissions import features
from vkc.web import credentials
from vkc.web.body import UPLOAD_TYPE, json_response, read_upload

router = APIRouter(prefix="/api/layers", tags=["Layer uploads"])

_FIELD_HELP = {
    "crs": "The file's coordinate reference system when it does not declare one (EPSG:4326, EPSG:9210 for VN-2000 TM-3 105°45′, vn2000-tm3:105.75 …)",
    "title": "The collection's title",
    "description": "The collection's description",
    "id_field": "The property that holds each feature's id (so the same file sent again replaces, not duplicates)",
    "time_field": "The property that holds each feature's time",
    "x_field": "CSV: the column of the x (longitude or easting)",
    "y_field": "CSV: the column of the y (latitude or northing)",
    "format": "The format, when the file name's extension does not say it",
    "layer": "The layer of a GeoPackage that holds several",
}
UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        UPLOAD_TYPE: {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "GeoJSON, GeoJSON lines, GeoPackage, CSV, or a zipped Shapefile"},
                    **{key: {"type": "string", "description": text} for key, text in _FIELD_HELP.items()},
                    "format": {"enum": list(upload.FORMATS), "description": _FIELD_HELP["format"]},
                    "skip_invalid": {"type": "boolean", "default": False, "description": "Import the valid features and report each reject"},
                    "repair": {"type": "boolean", "default": False, "description": "Repair invalid geometries (make_valid) instead of refusing them"},
                    "anywhere": {"type": "boolean", "default": False, "description": "Accept coordinates outside Vietnam"},
                },
            }
        }
    },
}
REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["collection", "created", "file", "format", "source_crs", "read", "inserted", "updated", "repaired", "rejected", "seconds"],
    "properties": {
        "collection": {"type": "string"},
        "created": {"type": "boolean", "description": "Whether the collection was made by this import"},
        "file": {"type": "string", "description": "The file's name, as sent (reduced to safe characters)"},
        "format": {"type": "string"},
        "source_crs": {"type": "string"},
        **{key: {"type": "integer", "minimum": 0} for key in ("read", "inserted", "updated", "repaired")},
        "rejected": {
            "type": "array",
            "items": {"type": "object", "properties": {"position": {"type": "integer"}, "id": {"type": ["string", "null"]}, "reason": {"type": "string"}}},
        },
        "warnings": {"type": "array", "items": {"type": "string"}, "description": "What the import says though it went on (a TM-3 zone that is not the province's …)"},
        "seconds": {"type": "number"},
    },
}


def _answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": REPORT_SCHEMA}},
        "headers": {"Location": {"description": "The collection's URL in the OGC API", "schema": {"type": "string"}}},
    }


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {}}}


@router.post(
    "/{collectionId}",
    summary="Upload a file as a layer: a new collection, or new and replaced features of one",
    openapi_extra={"requestBody": UPLOAD_BODY},
    status_code=201,
    responses={
        201: _answer("The collection was made from the file"),
        200: _answer("The collection was there: the file's features were added, and those with its ids replaced"),
        400: _problem("The file or a field is not valid (the store is unchanged)"),
        401: _problem("No valid bearer token"),
        403: _problem("The token may not write this collection"),
        411: _problem("No Content-Length"),
        413: _problem("The file is too large"),
        415: _problem(f"Not {UPLOAD_TYPE}"),
    },
)
async def upload_layer(request: Request, collectionId: str) -> Response:  # noqa: N803
    store = store_of(request)
    grant = await run_in_threadpool(credentials.grant_of, store, request)
    grant.require(features(collectionId))  # before a byte of the body is read
    fields, file = await read_upload(request, upload.max_upload_bytes())
    try:
        options = upload.options_from_form(fields)
        report = await run_in_threadpool(lambda: upload.import_upload(store, collectionId, file.filename or "", file.file, options, grant=grant))
    finally:
        await file.close()
    location = f"{base_url(request)}/collections/{collectionId}"
    return json_response(report.as_dict(upload.safe_file_name(file.filename or "")), 201 if report.created else 200, headers={"Location": location})
