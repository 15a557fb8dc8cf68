"""What every OGC endpoint shares: links, content negotiation, JSON responses, the store."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from starlette.convertors import Convertor, register_url_convertor

from vkc.errors import InputError, NotAcceptable
from vkc.store import Store
from vkc.web.http import json_body

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
PROBLEM = "application/problem+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
MVT = "application/vnd.mapbox-vector-tile"
#: the links of an OGC answer, as the OpenAPI document describes them
LINKS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {"href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"}},
    },
}


class FeatureIdConvertor(Convertor[str]):
    """A feature id in a path: at least one character, the first not a slash; slashes inside are kept (``HN/001``)."""

    regex = "[^/].*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("feature_id", FeatureIdConvertor())

_FORMATS = {"json": JSON, "geojson": GEOJSON, "html": HTML}


def store_of(request: Request) -> Store:
    return request.app.state.store


def base_url(request: Request) -> str:
    """The API's root as the client sees it (``/ogc``), without a trailing slash."""
    return str(request.base_url).rstrip("/") + "/ogc"


def wants_html(request: Request, f: str | None, default: str = JSON) -> bool:
    """``f=`` decides; else the ``Accept`` header (browsers ask for HTML); else JSON."""
    if f is not None:
        if f.lower() not in _FORMATS:
            raise InputError(f"f: unknown format {f!r}; formats: json, html", field="f")
        return _FORMATS[f.lower()] == HTML
    accept = request.headers.get("accept", "")
    if not accept or "*/*" in accept and "text/html" not in accept:
        return False
    ranked = _ranked(accept)
    for media in ranked:
        if media in (HTML, "application/xhtml+xml"):
            return True
        if media in (JSON, GEOJSON, SCHEMA, "application/*", "*/*", PROBLEM) or media.endswith("+json"):
            return False
    raise NotAcceptable(f"none of the accepted types ({accept}) is offered; offered: {default}, {HTML}", field="accept")


def _ranked(accept: str) -> list[str]:
    items = []
    for i, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            items.append((-q, i, media.lower()))
    return [m for _, _, m in sorted(items)]


def json_response(body: Any, media_type: str = JSON, *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``body`` as JSON, with a ``Link`` header of its links (and an ``ETag`` for a page with a ``timeStamp``); ``headers`` win."""
    content, implied = json_body(body)
    return Response(content, status_code=status_code, media_type=media_type, headers={**implied, **(headers or {})})


def link(href: str, rel: str, type_: str, title: str = "", **extra: Any) -> dict[str, Any]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    out.update(extra)
    return out


def with_query(url: str, params: dict[str, Any]) -> str:
    clean = {k: v for k, v in params.items() if v is not None}
    return f"{url}?{urlencode(clean)}" if clean else url


def self_links(request: Request, as_html: bool, json_type: str = JSON, title: str = "") -> list[dict[str, Any]]:
    """``self`` and ``alternate`` links of a resource offered as JSON and HTML (``as_html``: this response's form)."""
    params = {k: v for k, v in request.query_params.items() if k != "f"}
    base = str(request.url.replace(query=""))
    json_link = link(with_query(base, {**params, "f": "json"}), "alternate" if as_html else "self", json_type, f"{title} as JSON".strip())
    html_link = link(with_query(base, {**params, "f": "html"}), "self" if as_html else "alternate", HTML, f"{title} as HTML".strip())
    return [json_link, html_link] if not as_html else [html_link, json_link]
