"""The features component: feature collections, their import and export, OGC API – Features and Tiles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vkc.component import CommandLine, Component
from vkc.permissions import ScopeKind

#: exactly the conformance classes implemented and tested (tests/api/test_conformance.py checks each has tests)
OGC_CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
)


def _routers() -> Sequence[Any]:
    from vkc.api.ogc import router

    return [router()]


def _cli(cl: CommandLine) -> None:
    from vkc.cli import index, layers

    cl.group("import").command("layer")(layers.import_layer_command)
    cl.group("export").command("layer")(layers.export_layer_command)
    cl.app.command("layers")(layers.list_layers)
    indexes = cl.group("index", "Property indexes of collections, for the filters that test them.")
    indexes.command("create")(index.create_index_command)
    indexes.command("list")(index.list_indexes_command)
    indexes.command("drop")(index.drop_index_command)


COMPONENT = Component(
    name="features",
    summary="Feature collections: import and export, OGC API – Features (Parts 1-4) and Tiles under /ogc",
    routers=_routers,
    cli=_cli,
    conformance={"/ogc": OGC_CONFORMANCE},
    scopes=(ScopeKind("features", "create, replace, change and delete the features of a collection ('*': of every one)", resource="collection"),),
)
