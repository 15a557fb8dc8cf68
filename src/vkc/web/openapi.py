"""The OpenAPI document, saying what the error handlers really send: 400 problem+json, never 422."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

_PROBLEM_RESPONSE = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": "string", "description": "The parameter, header or body member at fault, when one is (the name in invalid-params)"},
        "invalid-params": {
            "type": "array",
            "description": "The parameters at fault and why (RFC 9457 §3)",
            "items": {"type": "object", "required": ["name", "reason"], "properties": {"name": {"type": "string"}, "reason": {"type": "string"}}},
        },
    },
}


def openapi_document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=app.title, version=app.version, routes=app.routes, description="VKC smart-city platform")
    doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = _PROBLEM_SCHEMA
    doc["components"]["schemas"].pop("HTTPValidationError", None)
    doc["components"]["schemas"].pop("ValidationError", None)
    for path in doc["paths"].values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault("400", {"description": "Bad request: the problem names the parameter"})
            for code, response in responses.items():
                if code[0] in "45":
                    response["content"] = _PROBLEM_RESPONSE
    app.openapi_schema = doc
    return doc
