"""The portal component: the pages people meet first, in Vietnamese, Korean and English, and the error pages browsers see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vkc.component import Component


def _routers() -> Sequence[Any]:
    from vkc.portal import air, pages

    return [pages.router, air.router]


def _error_page(request: Any, problem: dict[str, Any]) -> Any:
    from vkc.portal.pages import error_page

    return error_page(request, problem)


def _resource_page(request: Any, kind: str, title: str, body: dict[str, Any]) -> Any:
    from vkc.portal.pages import resource_page

    return resource_page(request, kind, title, body)


COMPONENT = Component(
    name="portal",
    summary="The portal: the map of Vietnam, pages in Vietnamese, Korean and English, the API documentation, /summary",
    requires=("features", "admin", "airquality"),
    routers=_routers,
    error_page=_error_page,
    resource_page=_resource_page,
)
