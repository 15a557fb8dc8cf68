"""The portal's pages (home map, about), ``/summary`` and ``/health``, the favicon and the static files."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from vkc import __version__, admin
from vkc.airquality.categories import VN_CATEGORIES
from vkc.portal import i18n
from vkc.portal.render import STATIC, Static, ink, page
from vkc.store import Store

router = APIRouter()
router.mount("/static", Static(directory=STATIC, check_dir=False), name="static")
UNITS_COLLECTION = admin.COLLECTION
#: the four core cities one click away: GSO code (since 2025-07-01), centre, zoom
CORE_CITIES = (("01", 105.85, 21.03, 10), ("48", 108.21, 16.05, 11), ("79", 106.70, 10.78, 10), ("92", 105.78, 10.03, 11))
#: the unit types of the reference data, for the languages that are not Vietnamese (marked for the catalogues)
UNIT_TYPES = {"tỉnh": "province", "thành phố trực thuộc trung ương": "centrally run city"}


def _(message: str) -> str:
    """Marks a message for the catalogues; it is translated where it is shown."""
    return message


# the English names of the unit types, translated where they are shown (the AQI categories carry their own names)
_MARKED = (_("province"), _("centrally run city"))


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    store: Store = request.app.state.store
    language = i18n.Language.of(request)
    today = date.today()
    cities = []
    for code, lon, lat, zoom in CORE_CITIES:
        unit = admin.get(code, today)
        cities.append({"name": language.place_name(unit.as_dict()), "lon": lon, "lat": lat, "zoom": zoom})
    bands = [
        {"range": f"{c.low}–{c.high}", "color": c.color, "name": c.vi if language.code == "vi" else f"{c.vi} · {getattr(c, language.code)}"}
        for c in VN_CATEGORIES
    ]
    core = {code for code, *_ in CORE_CITIES}
    messages = {
        "attribution": language.gettext("Boundaries: %(source)s", source="TaliaCao/Vietnam-Shape-Map (MIT)"),
        "no_data": language.gettext("no data"),
        "today": language.gettext("today"),
        "types": {vi: language.gettext(en) for vi, en in UNIT_TYPES.items()},
        # a province's holdings: a layer's count (the page puts the number for {n}), a station's badge (the API names its category)
        "features": {"one": language.ngettext("%(num)s feature", "%(num)s features", 1, num="{n}"),
                     "other": language.ngettext("%(num)s feature", "%(num)s features", 2, num="{n}")},
        "ink": {c.color: ink(c.color) for c in VN_CATEGORIES},
        # the provinces' names where the map writes them (drawn as page text: the map has no glyphs of its own)
        "labels": [
            {"name": language.place_name(u.as_dict()), "at": admin.label_point(u.key), "code": u.gso_code}
            for u in sorted(admin.units(on=today), key=lambda u: (u.gso_code not in core, -u.geometry.area))  # the core cities first, then the largest
        ],
    }
    context = {
        "units_collection": UNITS_COLLECTION,
        "units_today": len(admin.units(on=today)),
        "cities": cities,
        "aqi_bands": bands,
        "collections": [c for c in collections(store) if c["name"] != UNITS_COLLECTION],
        "js_messages": messages,
    }
    return page(request, "home.html", context)


@router.get("/about", response_class=HTMLResponse, include_in_schema=False)
def about(request: Request) -> HTMLResponse:
    store: Store = request.app.state.store
    return page(request, "about.html", {"collections": collections(store), "admin_source": admin.SOURCE, "admin_licence": admin.LICENCE})


#: the page titles of the errors a visitor meets, by status (the problem's own title is English)
ERROR_TITLES = {
    400: _("The request is not valid"),
    401: _("Please sign in"),
    403: _("You may not do this"),
    404: _("Not found"),
    405: _("Not allowed here"),
    413: _("Too large"),
    415: _("Unsupported content type"),
    429: _("Too many requests"),
    503: _("Busy: please try again shortly"),
}


def error_page(request: Request, problem: dict[str, Any]) -> HTMLResponse:
    """A problem (RFC 9457) as the page a browser shows; its detail stays as the library wrote it."""
    language = i18n.Language.of(request)
    status = int(problem.get("status", 500))
    title = language.gettext(ERROR_TITLES.get(status, _("Something went wrong on the server")))
    return page(request, "error.html", {"problem": problem, "status": status, "title": title}, status_code=status)


def resource_page(request: Request, kind: str, title: str, body: dict[str, Any]) -> HTMLResponse:
    """An OGC API resource as a portal page: its values as a reader expects them, and its features on the map
    (when they are in CRS84, as the map draws them)."""
    if kind == "signin":  # the kernel's sign-in form
        return page(request, "signin.html", {"form": body})
    body = orjson.loads(orjson.dumps(body))  # plain values: the API's bodies hold pre-encoded geometries
    parts = request.url.path.strip("/").split("/")
    collection_id = parts[2] if len(parts) > 2 and parts[1] == "collections" else None
    in_crs84 = request.query_params.get("crs") in (None, "", "http://www.opengis.net/def/crs/OGC/1.3/CRS84")
    features = None
    if in_crs84 and kind == "items":
        features = {"type": "FeatureCollection", "features": [f for f in body["features"] if f.get("geometry")]}
    elif in_crs84 and kind == "item" and body.get("geometry"):
        features = {"type": "FeatureCollection", "features": [{k: body[k] for k in ("type", "id", "geometry", "properties") if k in body}]}
    context = {
        "kind": kind, "title": title, "body": body, "collection_id": collection_id, "units_collection": UNITS_COLLECTION,
        "features": features if features and features["features"] else None,
    }
    return page(request, "resource.html", context)


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    """The interactive API documentation (Swagger UI over ``/openapi.json``)."""
    return page(request, "docs.html")


@router.get("/favicon.svg", include_in_schema=False)
@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/summary", summary="What the store holds: collections with counts and extents, admin units")
def summary_json(request: Request) -> dict[str, Any]:
    return summary(request.app.state.store)


@router.get("/health", include_in_schema=False)
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def collections(store: Store) -> list[dict[str, Any]]:
    """What the store holds, collection by collection: counts, extents, whether synthetic, source and licence."""
    return [
        {
            "name": c.name,
            "title": c.title or c.name,
            "geometry_type": c.geometry_type,
            "count": c.count,
            "extent": list(c.extent) if c.extent else None,
            "synthetic": c.metadata.get("synthetic"),
            "source": c.metadata.get("source") or c.metadata.get("source_file"),
            "licence": c.metadata.get("licence"),
        }
        for c in store.collections()
    ]


def summary(store: Store) -> dict[str, Any]:
    """``/summary``: the collections, and the administrative units valid today."""
    today = date.today()
    units = admin.units(on=today)
    return {
        "version": __version__,
        "collections": collections(store),
        "admin_units": {
            "date": today.isoformat(),
            "count": len(units),
            "units": [
                {"gso_code": u.gso_code, "name_vi": u.name_vi, "name_en": u.name_en, "name_ko": u.name_ko, "type": u.type, "type_en": u.type_en}
                for u in units
            ],
        },
    }
