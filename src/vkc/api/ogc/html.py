"""HTML representations of the OGC resources: the same data as the JSON, drawn as a page.

The page is the installed portal's (``Component.resource_page``: its layout, its
languages, the features on its map); without one, a plain page of this module's
own template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from vkc.web.http import link_header

_TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parents[2] / "web" / "templates"))


def render(request: Request, kind: str, title: str, body: dict[str, Any], *, status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    links = link_header(body)
    headers = {**({"Link": links} if links else {}), **(headers or {})}
    draw = getattr(request.app.state, "resource_page", None)
    if draw is not None:
        response: HTMLResponse = draw(request, kind, title, body)
        response.status_code = status_code
        response.headers.update(headers)
        return response
    return _TEMPLATES.TemplateResponse(request, "ogc.html", {"kind": kind, "title": title, "body": body}, status_code=status_code, headers=headers)
