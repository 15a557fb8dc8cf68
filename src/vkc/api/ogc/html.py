"""HTML representations of the OGC resources: one template, the same data as the JSON."""

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
    return _TEMPLATES.TemplateResponse(
        request, "ogc.html", {"kind": kind, "title": title, "body": body}, status_code=status_code, headers={**({"Link": links} if links else {}), **(headers or {})}
    )
