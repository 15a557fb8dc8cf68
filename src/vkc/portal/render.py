"""Rendering the portal's pages: one Jinja environment with gettext, the visitor's language, and the static files.

Pages are server-rendered; what they need of JavaScript, CSS and fonts is
served from the package under ``/static`` — the portal's own files, and under
``/static/vendor/<package>@<version>/`` the npm packages the build copied
(:file:`tools/portal_assets.py`), kept by browsers for a year since a new
version is a new path.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from vkc import __version__
from vkc.errors import StoreError
from vkc.portal import i18n
from vkc.web import credentials

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR_MANIFEST = STATIC / "vendor" / "manifest.json"
_YEAR = "public, max-age=31536000, immutable"

ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(("html",)),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # the i18n extension adds it
# |tojson with orjson: the APIs' bodies hold pre-encoded geometries (orjson fragments); Jinja still escapes <, >, & and '
ENVIRONMENT.policies["json.dumps_function"] = lambda value, **_: orjson.dumps(value).decode()


@cache
def _vendor_folders() -> dict[str, str]:
    if not VENDOR_MANIFEST.is_file():
        raise StoreError(f"the portal's JavaScript, CSS and fonts are not built ({VENDOR_MANIFEST} is missing): run make, which runs tools/portal_assets.py")
    folders: dict[str, str] = json.loads(VENDOR_MANIFEST.read_text())
    return folders


def vendor(package: str, path: str) -> str:
    """The URL of a file of an npm package the build copied, e.g. ``vendor("maplibre-gl", "dist/maplibre-gl.mjs")``."""
    return f"/static/vendor/{_vendor_folders()[package]}/{path}"


def static(path: str) -> str:
    """The URL of one of the portal's own static files (the version in the query, so a new release is fetched anew)."""
    return f"/static/{path}?v={__version__}"


def ink(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#RRGGBB): WCAG's relative luminance."""
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#fff"


ENVIRONMENT.globals.update(vendor=vendor, static=static, version=__version__, ink=ink)


class Static(StaticFiles):
    """The static files with their caching: vendor files for a year, the portal's own revalidated by ETag."""

    def file_response(self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200) -> Any:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = _YEAR if "/vendor/" in scope["path"] else "no-cache"
        return response


def signed_in(request: Request) -> dict[str, str] | None:
    """Who is signed in in this browser, and the CSRF token of their sign-out form; None if nobody is."""
    session = credentials.session_of(request.app.state.store, request)
    if session is None:
        return None
    grant, record = session
    return {"user": grant.user or "", "csrf": record["csrf"]}


def page(request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page in the visitor's language; a ``?lang=`` choice is kept in a cookie for the next pages."""
    language = i18n.Language.of(request)
    values = {**language.context(), "request": request, "signed_in": signed_in(request), "path": request.url.path, **(context or {})}
    html = ENVIRONMENT.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code, headers={"Content-Language": language.code, "Vary": "Accept-Language, Cookie", **(headers or {})})
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, language.code, max_age=365 * 24 * 3600, samesite="lax", secure=request.url.scheme == "https", httponly=True)
    return response
