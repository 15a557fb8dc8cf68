"""OGC API – Tiles: the tile matrix set, each collection's vector tileset, and the tiles (MVT)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vkc.api.ogc.collections import NOT_FOUND
from vkc.api.ogc.common import JSON, MVT, PROBLEM, base_url, json_response, link, store_of
from vkc.errors import NotFoundError
from vkc.ogc.tiles import EPSG_3857, MAX_ZOOM, TMS_ID, TMS_URI, tile_matrix_set, vector_tile

router = APIRouter()
_TMS_NOT_FOUND = {404: {"description": "No such tile matrix set, collection or tile", "content": {PROBLEM: {}}}}


def _check_tms(tms: str) -> None:
    if tms != TMS_ID:
        raise NotFoundError(f"tile matrix set {tms!r} is not offered; offered: {TMS_ID}")


@router.get("/tileMatrixSets", summary="Tile matrix sets offered")
def tile_matrix_sets(request: Request) -> Response:
    url = f"{base_url(request)}/tileMatrixSets/{TMS_ID}"
    return json_response({"tileMatrixSets": [{"id": TMS_ID, "title": "Web Mercator", "uri": TMS_URI, "links": [link(url, "self", JSON, TMS_ID)]}]})


@router.get("/tileMatrixSets/{tileMatrixSetId}", summary="A tile matrix set", responses=_TMS_NOT_FOUND)
def tile_matrix_set_definition(tileMatrixSetId: str) -> Response:  # noqa: N803
    _check_tms(tileMatrixSetId)
    return json_response(tile_matrix_set())


def _tileset_json(request: Request, collection: str, geometry_type: str) -> dict:
    base = f"{base_url(request)}/collections/{collection}/tiles/{TMS_ID}"
    dimension = {"POINT": 0, "MULTIPOINT": 0, "LINESTRING": 1, "MULTILINESTRING": 1, "POLYGON": 2, "MULTIPOLYGON": 2}.get(geometry_type)
    layer = {"id": collection, "dataType": "vector", "minTileMatrix": "0", "maxTileMatrix": str(MAX_ZOOM)}
    if dimension is not None:
        layer["geometryDimension"] = dimension
    return {
        "title": f"{collection} as vector tiles",
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            link(base, "self", JSON, "This tileset"),
            link(f"{base_url(request)}/tileMatrixSets/{TMS_ID}", "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", JSON, TMS_ID),
            link(f"{base}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", "item", MVT, "Tiles", templated=True),
        ],
        "layers": [layer],
    }


@router.get("/collections/{collectionId}/tiles", summary="Vector tilesets of a collection", responses=NOT_FOUND)
def tilesets(request: Request, collectionId: str) -> Response:  # noqa: N803
    coll = store_of(request).schema(collectionId)
    tileset = _tileset_json(request, coll.name, coll.geometry_type)
    summary = {k: tileset[k] for k in ("title", "dataType", "crs", "tileMatrixSetURI", "links")}
    return json_response({"links": [link(f"{base_url(request)}/collections/{coll.name}/tiles", "self", JSON)], "tilesets": [summary]})


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}", summary="A vector tileset", responses=_TMS_NOT_FOUND)
def tileset(request: Request, collectionId: str, tileMatrixSetId: str) -> Response:  # noqa: N803
    _check_tms(tileMatrixSetId)
    coll = store_of(request).schema(collectionId)
    return json_response(_tileset_json(request, coll.name, coll.geometry_type))


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    summary="A vector tile (MVT)",
    responses={
        200: {"content": {MVT: {}}, "description": "The tile"},
        204: {"description": "Nothing in this tile"},
        400: {"description": "Not a zoom level of the tile matrix set", "content": {PROBLEM: {}}},
        **_TMS_NOT_FOUND,
    },
)
def tile(request: Request, collectionId: str, tileMatrixSetId: str, tileMatrix: int, tileRow: int, tileCol: int) -> Response:  # noqa: N803
    _check_tms(tileMatrixSetId)
    store = store_of(request)
    coll = store.schema(collectionId)
    data = vector_tile(store, coll, tileMatrix, tileRow, tileCol)
    if not data:
        return Response(status_code=204)
    return Response(data, media_type=MVT)
