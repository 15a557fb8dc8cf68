"""OGC API – Features (Parts 1–4) and OGC API – Tiles under ``/ogc``."""

from __future__ import annotations

from fastapi import APIRouter

from vkc.api.ogc import collections, download, items, landing, tiles, write


def router() -> APIRouter:
    root = APIRouter(tags=["OGC API"])
    for module in (landing, collections, items, write, tiles, download):
        root.include_router(module.router, prefix="/ogc")
    return root
