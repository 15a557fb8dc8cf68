"""The landing page and ``/summary``: what the store holds, and the administrative units of today."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from vkc import __version__
from vkc.store import Store
from vkc.web import credentials

_TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def landing(request: Request) -> HTMLResponse:
    store = request.app.state.store
    return _TEMPLATES.TemplateResponse(request, "landing.html", {**summary(store), "signed_in": signed_in(store, request)})


def signed_in(store: Store, request: Request) -> dict[str, str] | None:
    """Who is signed in in this browser, and the CSRF token of their sign-out form; None if nobody is."""
    session = credentials.session_of(store, request)
    if session is None:
        return None
    grant, record = session
    return {"user": grant.user or "", "csrf": record["csrf"]}


@router.get("/summary", summary="What the store holds: collections with counts and extents, admin units")
def summary_json(request: Request) -> dict[str, Any]:
    return summary(request.app.state.store)


@router.get("/health", include_in_schema=False)
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def summary(store: Store) -> dict[str, Any]:
    collections = [
        {
            "name": c.name,
            "title": c.title or c.name,
            "geometry_type": c.geometry_type,
            "count": c.count,
            "extent": list(c.extent) if c.extent else None,
            "synthetic": c.metadata.get("synthetic"),
            "source": c.metadata.get("source") or c.metadata.get("source_file"),
        }
        for c in store.collections()
    ]
    from vkc import admin

    today = date.today()
    units = admin.units(on=today)
    return {
        "version": __version__,
        "collections": collections,
        "admin_units": {
            "date": today.isoformat(),
            "count": len(units),
            "units": [
                {"gso_code": u.gso_code, "name_vi": u.name_vi, "name_en": u.name_en, "name_ko": u.name_ko, "type": u.type, "type_en": u.type_en}
                for u in units
            ],
        },
    }
