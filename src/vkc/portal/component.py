"""The portal component: the pages people meet first, in Vietnamese, Korean and English, and the error pages browsers see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vkc.component import Component


def _routers() -> Sequence[Any]:
    from vkc.portal import account, air, alert_pages, pages, uploads

    return [pages.router, air.router, account.router, uploads.router, alert_pages.router]


def _error_page(request: Any, problem: dict[str, Any]) -> Any:
    from vkc.portal.pages import error_page

    return error_page(request, problem)


def _resource_page(request: Any, kind: str, title: str, body: dict[str, Any]) -> Any:
    from vkc.portal.pages import resource_page

    return resource_page(request, kind, title, body)


COMPONENT = Component(
    name="portal",
    summary="The portal: the map of Vietnam, layers, air quality, the visitor's account, tokens, uploads and alerts, in Vietnamese, Korean and English; the API documentation, /summary",
    requires=("features", "admin", "airquality", "alerts"),
    routers=_routers,
    error_page=_error_page,
    resource_page=_resource_page,
)
