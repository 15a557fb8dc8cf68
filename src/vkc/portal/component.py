"""The portal component: the pages people meet first, in Vietnamese, Korean and English, and the error pages browsers see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vkc.component import Component


def _routers() -> Sequence[Any]:
    from vkc.portal import account, air, alert_pages, holdings_route, pages, uploads

    return [pages.router, air.router, holdings_route.router, account.router, uploads.router, alert_pages.router]


def _costly(method: str, path: str, query: str) -> str | None:
    """A province's holdings count the features of every collection in its boundary: their cost grows with the data."""
    parts = path.strip("/").split("/")
    if method in ("GET", "HEAD") and len(parts) == 4 and parts[:2] == ["api", "provinces"] and parts[3] == "holdings":
        return "province holdings"
    return None


def _error_page(request: Any, problem: dict[str, Any]) -> Any:
    from vkc.portal.pages import error_page

    return error_page(request, problem)


def _resource_page(request: Any, kind: str, title: str, body: dict[str, Any]) -> Any:
    from vkc.portal.pages import resource_page

    return resource_page(request, kind, title, body)


COMPONENT = Component(
    name="portal",
    summary="The portal: the map of Vietnam and a province's holdings, layers, air quality, the visitor's account, tokens, uploads and alerts, "
    "in Vietnamese, Korean and English; the API documentation, /summary",
    requires=("features", "admin", "airquality", "alerts"),
    routers=_routers,
    costly=_costly,
    error_page=_error_page,
    resource_page=_resource_page,
)
