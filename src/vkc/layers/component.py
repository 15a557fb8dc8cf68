"""The features component: feature collections, their import and export, OGC API – Features and Tiles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vkc.component import CommandLine, Component
from vkc.layers.costly import costly_request
from vkc.ogc.conformance import OGC_CONFORMANCE
from vkc.permissions import ScopeKind


def _routers() -> Sequence[Any]:
    from vkc.api import layer_upload
    from vkc.api.ogc import router

    return [router(), layer_upload.router]


def _cli(cl: CommandLine) -> None:
    from vkc.cli import features, index, layers

    cl.group("import").command("layer")(layers.import_layer_command)
    cl.group("export").command("layer")(layers.export_layer_command)
    cl.app.command("layers")(layers.list_layers)
    cl.app.add_typer(features.features_app, name="features")
    indexes = cl.group("index", "Property indexes of collections, for the filters that test them.")
    indexes.command("create")(index.create_index_command)
    indexes.command("list")(index.list_indexes_command)
    indexes.command("drop")(index.drop_index_command)


COMPONENT = Component(
    name="features",
    summary="Feature collections: import and export, OGC API – Features (Parts 1-4) and Tiles under /ogc",
    requires=("admin",),  # province grants are judged against the administrative units
    routers=_routers,
    cli=_cli,
    conformance={"/ogc": OGC_CONFORMANCE},
    costly=costly_request,
    scopes=(ScopeKind("features", "create, replace, change and delete the features of a collection ('*': of every one)", resource="collection"),),
)
