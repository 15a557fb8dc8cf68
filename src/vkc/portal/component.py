"""The portal component: the pages people meet first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vkc.component import Component


def _routers() -> Sequence[Any]:
    from vkc.portal.pages import router

    return [router]


COMPONENT = Component(
    name="portal",
    summary="The landing page and /summary: what the store holds, and today's administrative units",
    requires=("features", "admin"),
    routers=_routers,
)
