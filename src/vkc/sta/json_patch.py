"""JSON Patch (RFC 6902), which SensorThings 1.1 allows for updates (OGC 18-088 §10.3.2).

The patch is applied to the entity as read; the top-level properties that
differ afterwards become an ordinary update, so the same checks apply.
"""

from __future__ import annotations

import copy
from typing import Any

from vkc.errors import ConflictError, InputError


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise InputError(f"JSON Patch: {path!r} is not a JSON Pointer (RFC 6901)", field="body")
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _parent(doc: Any, parts: list[str], path: str) -> tuple[Any, str]:
    if not parts:
        raise InputError("JSON Patch: the whole entity cannot be replaced; name a property", field="body")
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise InputError(f"JSON Patch: {path} does not exist", field="body")
    return node, parts[-1]


def _get(doc: Any, path: str) -> Any:
    node, key = _parent(doc, _pointer(path), path)
    try:
        return node[int(key)] if isinstance(node, list) else node[key]
    except (KeyError, IndexError, ValueError):
        raise InputError(f"JSON Patch: {path} does not exist", field="body") from None


def _remove(doc: Any, path: str) -> Any:
    node, key = _parent(doc, _pointer(path), path)
    value = _get(doc, path)
    if isinstance(node, list):
        del node[int(key)]
    else:
        del node[key]
    return value


def _add(doc: Any, path: str, value: Any) -> None:
    node, key = _parent(doc, _pointer(path), path)
    if isinstance(node, list):
        index = len(node) if key == "-" else int(key) if key.isdigit() else -1
        if not 0 <= index <= len(node):
            raise InputError(f"JSON Patch: {path} is not a position in the array", field="body")
        node.insert(index, value)
    elif isinstance(node, dict):
        node[key] = value
    else:
        raise InputError(f"JSON Patch: {path} is inside a value that is neither object nor array", field="body")


def apply(document: dict[str, Any], operations: Any) -> dict[str, Any]:
    """``document`` with ``operations`` applied (the original is left as it was)."""
    if not isinstance(operations, list):
        raise InputError("JSON Patch: the body must be an array of operations", field="body")
    doc = copy.deepcopy(document)
    for n, op in enumerate(operations):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise InputError(f"JSON Patch: operation {n} needs 'op' and 'path'", field="body")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise InputError(f"JSON Patch: operation {n} ({kind}) needs 'value'", field="body")
        if kind == "add":
            _add(doc, path, op["value"])
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _remove(doc, path)
            _add(doc, path, op["value"])
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise ConflictError(f"JSON Patch: test failed at {path}")
        elif kind in ("move", "copy"):
            if "from" not in op:
                raise InputError(f"JSON Patch: operation {n} ({kind}) needs 'from'", field="body")
            value = _remove(doc, op["from"]) if kind == "move" else copy.deepcopy(_get(doc, op["from"]))
            _add(doc, path, value)
        else:
            raise InputError(f"JSON Patch: unknown operation {kind!r} (add, remove, replace, move, copy, test)", field="body")
    return doc
