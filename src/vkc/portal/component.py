"""The portal component: the pages people meet first, in Vietnamese, Korean and English, and the error pages browsers see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vkc.component import Component


def _routers() -> Sequence[Any]:
    from vkc.portal import air, holdings_route, pages

    return [pages.router, air.router, holdings_route.router]


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
    summary="The portal: the map of Vietnam, pages in Vietnamese, Korean and English, the API documentation, /summary, a province's holdings",
    requires=("features", "admin", "airquality"),
    routers=_routers,
    costly=_costly,
    error_page=_error_page,
    resource_page=_resource_page,
)
