"""Uploading a layer from the portal: a form with the file and what the import needs to know, answered with the import's report.

The form posts ``multipart/form-data`` with the session's CSRF token in a
field; the work is the upload API's library call
(:func:`vkc.layers.upload.import_upload`), so a file the API would refuse is
refused here with the same words, on the form, and nothing is written.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from vkc.errors import InputError
from vkc.geo import tm3_meridian_for_province
from vkc.geo.crs import VN2000_TM3, meridian_text
from vkc.layers import upload
from vkc.portal.account import NO_STORE, to_signin, viewer
from vkc.portal.render import page
from vkc.web import credentials
from vkc.web.body import read_upload

router = APIRouter()
#: the provinces whose VN-2000 TM-3 zone the form offers by name (the core cities); any other CRS can be typed
ZONE_PROVINCES = ("Hà Nội", "Đà Nẵng", "TP Hồ Chí Minh", "Cần Thơ")


@cache
def crs_choices() -> tuple[tuple[str, str], ...]:
    """The coordinate systems the form offers for a file that names none: WGS 84, and the TM-3 zones of the core cities,
    from the meridian table of Circular 973/2001/TT-TCĐC (:func:`vkc.geo.tm3_meridian_for_province`)."""
    zones: dict[float, list[str]] = {}
    for province in ZONE_PROVINCES:
        zones.setdefault(tm3_meridian_for_province(province), []).append(province)
    offered = [("EPSG:4326", "WGS 84 (EPSG:4326)")]
    for meridian, names in zones.items():
        code = VN2000_TM3[meridian]
        offered.append((f"EPSG:{code}", f"VN-2000 / TM-3 {meridian_text(meridian)} — {', '.join(names)} (EPSG:{code})"))
    return tuple(offered)


FORM_FIELDS = ("collection", "title", "crs", "id_field", "x_field", "y_field", "skip_invalid")


def _form(request: Request, status: int = 200, *, values: dict[str, str] | None = None, error: str = "", report: dict[str, Any] | None = None) -> HTMLResponse:
    context = {
        "values": values or {}, "error": error, "report": report, "crs_choices": crs_choices(),
        "max_mb": upload.max_upload_bytes() // 2**20,
    }
    return page(request, "upload.html", context, status_code=status, headers=NO_STORE)


@router.get("/layers/upload", response_class=HTMLResponse, include_in_schema=False)
def upload_form(request: Request) -> Response:
    if viewer(request) is None:
        return to_signin(request)
    return _form(request)


@router.post("/layers/upload", include_in_schema=False)
async def upload_layer(request: Request) -> Response:
    credentials.same_origin(request)
    store = request.app.state.store
    fields, file = await read_upload(request, upload.max_upload_bytes())
    try:
        grant = await run_in_threadpool(credentials.session_form, store, request, fields)
        values = {k: v for k, v in fields.items() if k in FORM_FIELDS}
        collection = fields.get("collection", "").strip()
        try:
            if not collection:
                raise InputError("give the layer a name", field="collection")
            options = upload.options_from_form(fields, ignore=("csrf", "collection"))
            report = await run_in_threadpool(lambda: upload.import_upload(store, collection, file.filename or "", file.file, options, grant=grant))
        except InputError as exc:  # the form again, with what is wrong; the store is as it was
            return _form(request, exc.status, values=values, error=exc.message)
    finally:
        await file.close()
    return _form(request, 201 if report.created else 200, report=report.as_dict(upload.safe_file_name(file.filename or "")))
