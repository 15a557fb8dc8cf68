"""Every error the platform sends has one shape: a walk over the app's routes and their error paths.

Each route of ``app.routes`` gets its cases from the tables below: unknown ids
(404), values of the wrong type and bad query parameters (400), a method the
path does not serve (405), no acceptable representation (406), and for writes
no token, bad tokens and tokens without the right (401/403), bodies that are
not JSON or too large (400/413), missing and stale ``If-Match`` (428/412).
Every error response must be RFC 9457 problem+json whose ``status`` is the
HTTP status, naming the field at fault in ``invalid-params`` where the case
expects one; the same request as ``HEAD`` gets the same status and headers.
A route the tables cannot fill in, a query parameter without a bad value,
and a route no case reached fail the walk.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.middleware import Middleware

from vkc import auth
from vkc.alerts import subscriptions
from vkc.api.ogc.body import MAX_BODY
from vkc.auth import sessions, users
from vkc.config import Settings
from vkc.sensors.db import SensorDb
from vkc.sensors.ingest import ingest_rows
from vkc.sensors.observation_files import ObservationRow
from vkc.sensors.stations import upsert_stations
from vkc.store import open_store
from vkc.web import create_app

PROBLEM = "application/problem+json"
PROBLEM_TYPE = re.compile(r"^https://vkc\.example/problems/[a-z0-9-]+$")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
HOUR = datetime(2025, 1, 15, 5, tzinfo=UTC)

#: path parameter → (a value naming nothing, the status it gets: 400 where the value is out of range)
UNKNOWN = {
    "collectionId": ("nowhere", 404),
    "featureId": ("nothing", 404),
    "tileMatrixSetId": ("NoSuchQuad", 404),
    "tileMatrix": ("31", 400),
    "tileRow": ("5", 404),
    "tileCol": ("5", 404),
    "datastream_id": ("987654", 404),
    "station": ("no-such-station", 404),
    "subscription_id": ("987654", 404),
    "path": ("Things(987654)", 404),
    "name": ("nobody", 404),
    "token_id": ("0000abcd", 404),
    "session_id": ("0000abcd", 404),
    "gso_code": ("99", 404),
}
#: query parameter (by its name in the URL) → a bad value; the problem names the parameter
BAD_QUERY = {
    "f": "xml",
    "limit": "0",
    "offset": "-1",
    "bbox": "1,2,3",
    "bbox-crs": "urn:no:such:crs",
    "datetime": "yesterday",
    "crs": "urn:no:such:crs",
    "filter": "rank >>> 1",
    "filter-lang": "sql",
    "filter-crs": "urn:no:such:crs",
    "sortby": "nosuchproperty",
    "properties": "nosuchproperty",
    "interval": "2h",
    "fn": "median",
    "from": "yesterday",
    "to": "yesterday",
    "tz": "Mars/Olympus_Mons",
    "at": "yesterday",
    "since": "yesterday",
    "until": "yesterday",
    "before": "0",
    "actor": "a" * 201,
    "action": "a" * 201,
    "target": "a" * 2001,
    "head": "not-a-digest",
    "role": "r" * 33,
    "format": "shp",
    "date": "1/7/2025",
}
#: what a query parameter needs beside it to be checked at all (filter-crs only counts with a filter)
COMPANION = {"bbox-crs": {"bbox": "105,20,106,21"}, "filter-lang": {"filter": "rank > 1"}, "filter-crs": {"filter": "rank > 1"}}
#: routes with ``f`` that offer one representation whatever the Accept header says
ONE_REPRESENTATION = {"/ogc/api"}
#: SensorThings reads take their options from the query without declaring them
STA_BAD_OPTIONS = {"$top": "-1", "$skip": "x", "$count": "maybe", "$filter": "result gt", "$orderby": "nosuch desc", "$expand": "Nothing",
                   "$select": "name/id", "$resultFormat": "xml", "$nosuch": "1"}


@dataclass
class Case:
    method: str
    url: str
    status: int
    field: str | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    content: bytes | None = None


@dataclass
class World:
    client: TestClient
    known: dict[str, str]
    tokens: dict[str, str]
    served: set[tuple[str, object]]
    app: object


class _Recorder:
    """Notes which endpoint served each request, and with which method (innermost middleware)."""

    def __init__(self, app, served: set) -> None:
        self.app, self.served = app, served

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http" and scope.get("endpoint") is not None:
            self.served.add((scope["method"], scope["endpoint"]))


@pytest.fixture
def world(seeded_url: str):
    """The seeded store with a station and its PM2.5 hours, an alert subscription and two tokens; the app noting what served each request."""
    with open_store(seeded_url) as store:
        db = SensorDb(store)
        with db.writing() as conn:
            upsert_stations(db, conn, [{"id": "hn-1", "name": "HN-1", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]}, "properties": {"id": "hn-1"}}])
        ingest_rows(store, [ObservationRow(h + 1, "hn-1", "pm25", HOUR - timedelta(hours=h), 40.0, None) for h in range(6)])
        sub = subscriptions.create(db, "https://93.184.215.14/hook", {"index": "vn", "above": 150}, "test")
        tokens = {
            "editor": auth.create_token(store, "editor", name="walker")[1],
            "zones only": auth.create_token(store, "editor", collection="zones", name="zones only")[1],
            "admin": auth.create_token(store, "admin", name="auditor")[1],
        }
        users.add_user(store, "lan")
        lan_token_id = auth.create_user_token(store, "lan")[0]
        sessions.open_session(store, "lan", via="password")
        lan_session_id = sessions.user_sessions(store, "lan")[0]["id"]
    served: set = set()
    app = create_app(Settings(database=seeded_url))
    app.user_middleware.append(Middleware(_Recorder, served=served))
    with TestClient(app) as client:
        ds = client.get("/sta/v1.1/Datastreams").json()["value"][0]["@iot.id"]
        known = {
            "collectionId": "places", "featureId": "p03", "tileMatrixSetId": "WebMercatorQuad", "tileMatrix": "0", "tileRow": "0", "tileCol": "0",
            "datastream_id": str(ds), "station": "hn-1", "subscription_id": str(sub["id"]), "path": "Things",
            "name": "lan", "token_id": lan_token_id, "session_id": lan_session_id, "gso_code": "01",
        }
        yield World(client, known, tokens, served, app)


#: the sign-in forms and the OpenID Connect round trip answer people with pages and redirects, not
#: problem+json (their errors: tests/auth/test_signin.py and test_oidc.py); a 405 there is still one.
#: /api/session answers a signed-in browser only (its 401 is in test_signin.py). The portal's own forms
#: (tokens, uploads, alerts) are pages too (their errors: tests/portal/test_account_forms.py). The upload
#: API takes multipart bodies, not the JSON this walk sends; its errors, problem+json each, are in
#: tests/api/test_layer_upload.py and the bad-input catalogue.
PAGES = frozenset({
    "/signin", "/signout", "/signin/oidc", "/signin/oidc/callback", "/api/session",
    "/account", "/account/tokens", "/account/tokens/{token_id}/revoke", "/account/sessions/end", "/layers/upload",
    "/alerts", "/alerts/{subscription_id}", "/alerts/{subscription_id}/cancel",
    "/api/layers/{collectionId}",
})


def routes(app) -> list:
    """Every route of ``app.routes``, those of included routers too (this FastAPI keeps them as routers there)."""
    return [r for r in iter_route_contexts(app.routes) if r.methods and r.path]


def fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], template)


def query_names(route) -> list[str]:
    dependant = getattr(route, "dependant", None)
    return [p.alias for p in dependant.query_params] if dependant else []


def path_params(template: str) -> list[str]:
    return re.findall(r"{(\w+)(?::\w+)?}", template)


def int_params(route) -> set[str]:
    dependant = getattr(route, "dependant", None)
    return {p.name for p in dependant.path_params if p.field_info.annotation is int} if dependant else set()


def needs_token(template: str) -> bool:
    return template.startswith(("/api/alerts", "/api/audit", "/api/users"))


def reader_token(template: str, world: World) -> str:
    """The token that may use a route: the audit trail and the users are for admins, alert subscriptions for editors."""
    return world.tokens["admin" if template.startswith(("/api/audit", "/api/users")) else "editor"]


def read_cases(route, world: World, missing: list[str]) -> list[Case]:
    """The error paths of a GET route, and one request that must succeed."""
    template, known = route.path, world.known
    auth_header = {"Authorization": f"Bearer {reader_token(template, world)}"} if needs_token(template) else {}
    try:
        url = fill(template, known)
    except KeyError as exc:
        missing.append(f"GET {template}: no known value of path parameter {exc}")
        return []
    cases = [Case("GET", url, 200, headers=auth_header)]
    for name in path_params(template):
        if name not in UNKNOWN:
            missing.append(f"GET {template}: no unknown value of path parameter {name!r}")
            continue
        value, status = UNKNOWN[name]
        cases.append(Case("GET", fill(template, {**known, name: value}), status, name if status == 400 else None, auth_header))
        if name in int_params(route):
            cases.append(Case("GET", fill(template, {**known, name: "x"}), 400, name, auth_header))
    for name in query_names(route):
        if name not in BAD_QUERY:
            missing.append(f"GET {template}: no bad value of query parameter {name!r}")
            continue
        query = "&".join(f"{k}={v}" for k, v in {**COMPANION.get(name, {}), name: BAD_QUERY[name]}.items())
        cases.append(Case("GET", f"{url}?{query}", 400, name, auth_header))
    if "f" in query_names(route) and template not in ONE_REPRESENTATION:
        cases.append(Case("GET", url, 406, "accept", {"Accept": "application/xml"}))
    if template == "/ogc/collections/{collectionId}/items":
        cases += [
            Case("GET", f"{url}?nosuch=1", 400, "nosuch"),
            Case("GET", f"{url}?rank=many", 400, "rank"),
            Case("GET", f"{url}?limit=x", 400, "limit"),
            Case("GET", f"{url}?bbox=1,2,3,4&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326&datetime=2024-02-01/2024-01-01", 400, "datetime"),
            Case("GET", f"{url}?filter=nosuch%20%3D%201", 400, "filter"),
            Case("GET", f"{url}?filter-lang=cql2-json&filter=%7Bnot%20json", 400, "filter"),
        ]
    if template == "/ogc/collections/{collectionId}/items/{featureId:feature_id}":
        cases.append(Case("GET", f"{url}?limit=5", 400, "limit"))
    if template == "/sta/v1.1/{path:path}":
        cases += [Case("GET", f"{url}?{option}={value}", 400, option) for option, value in STA_BAD_OPTIONS.items()]
        cases += [
            Case("GET", fill(template, {"path": "Nothings"}), 404),
            Case("GET", fill(template, {"path": "Things(x)"}), 400, "path"),
            Case("GET", fill(template, {"path": "Things/nosuch"}), 404),
        ]
    if template == "/api/aqi/stations/{station}/hourly":
        cases.append(Case("GET", f"{url}?from=2025-01-15T00:00:00Z&to=2025-01-14T00:00:00Z", 400, "to"))
    if needs_token(template):
        cases += token_cases("GET", url, world)
    return cases


def token_cases(method: str, url: str, world: World, content: bytes | None = None) -> list[Case]:
    """No token, tokens that are not valid, and a valid token without the right to write there."""
    return [
        Case(method, url, 401, content=content),
        Case(method, url, 401, headers={"Authorization": "Bearer vkc_nope_nope"}, content=content),
        Case(method, url, 401, headers={"Authorization": "Basic dXNlcjpwYXNz"}, content=content),
        Case(method, url, 403, headers={"Authorization": f"Bearer {world.tokens['zones only']}"}, content=content),
    ]


FEATURE = b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]}, "properties": {"name": "x"}}'
#: (method, route) → a body the route accepts; writes get their error cases around it
GOOD_BODY = {
    ("POST", "/ogc/collections/{collectionId}/items"): FEATURE,
    ("PUT", "/ogc/collections/{collectionId}/items/{featureId:feature_id}"): FEATURE,
    ("PATCH", "/ogc/collections/{collectionId}/items/{featureId:feature_id}"): b'{"properties": {"name": "y"}}',
    ("POST", "/sta/v1.1/CreateObservations"): b"[]",
    ("POST", "/sta/v1.1/{path:path}"): b'{"name": "l", "description": "d", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [1, 2]}}',
    ("PATCH", "/sta/v1.1/{path:path}"): b'{"name": "u"}',
    ("PUT", "/sta/v1.1/{path:path}"): b'{"name": "u", "description": "d"}',
    ("POST", "/api/alerts/subscriptions"): b'{"url": "https://93.184.215.14/h", "condition": {"index": "us", "above": 100}}',
    ("POST", "/api/users"): b'{"name": "new-user"}',
    ("PATCH", "/api/users/{name}"): b'{"disabled": false}',
    ("PUT", "/api/users/{name}/password"): b'{"password": "a long enough passphrase"}',
    ("POST", "/api/users/{name}/grants"): b'{"role": "viewer"}',
    ("POST", "/api/users/{name}/tokens"): b"{}",
    ("POST", "/api/users/{name}/mfa"): b"{}",
    ("POST", "/api/users/{name}/mfa/confirm"): b'{"code": "000000"}',
}
#: (method, route) → the known values its write cases use (SensorThings writes name one entity, or a collection for POST)
WRITE_KNOWN = {
    ("POST", "/sta/v1.1/{path:path}"): {"path": "Things(1)/Locations"},
    ("PATCH", "/sta/v1.1/{path:path}"): {"path": "Things(1)"},
    ("PUT", "/sta/v1.1/{path:path}"): {"path": "Things(1)"},
    ("DELETE", "/sta/v1.1/{path:path}"): {"path": "Things(1)"},
}


def write_cases(method: str, route, world: World, missing: list[str]) -> list[Case]:
    template = route.path
    values = {**world.known, **WRITE_KNOWN.get((method, template), {})}
    try:
        url = fill(template, values)
    except KeyError as exc:
        missing.append(f"{method} {template}: no known value of path parameter {exc}")
        return []
    editor = {"Authorization": f"Bearer {reader_token(template, world)}"}
    good = GOOD_BODY.get((method, template))
    if method != "DELETE" and good is None:
        missing.append(f"{method} {template}: no body it accepts")
        return []
    cases = token_cases(method, url, world, good)
    for name in path_params(template):
        value, status = UNKNOWN.get(name, (None, None))
        if value is None:
            missing.append(f"{method} {template}: no unknown value of path parameter {name!r}")
        if status == 404:
            value = value + "/Locations" if (method, name) == ("POST", "path") else value  # SensorThings creates in collections
            cases.append(Case(method, fill(template, {**values, name: value}), 404, headers=editor, content=good))
        if name in int_params(route):
            cases.append(Case(method, fill(template, {**values, name: "x"}), 400, name, headers=editor, content=good))
    if good is not None:
        json_ = {**editor, "Content-Type": "application/json"}
        cases += [
            Case(method, url, 400, "body", headers=editor, content=b""),
            Case(method, url, 415, "Content-Type", headers={**editor, "Content-Type": "application/xml"}, content=b"<Feature/>"),
            Case(method, url, 400, "body", headers=json_, content=b'{"type": "Feature", '),
            Case(method, url, 413, headers=json_, content=b" " * (MAX_BODY + 1)),
        ]
    if template.startswith("/ogc/collections/{collectionId}/items"):
        versioned = method != "POST"
        if versioned:
            stale = {**editor, "If-Match": '"0123456789abcdef0123456789abcdef"'}
            cases += [Case(method, url, 428, headers=editor, content=good), Case(method, url, 412, headers=stale, content=good)]
        else:
            cases += [
                Case(method, url, 409, headers=editor, content=FEATURE.replace(b'{"type"', b'{"id": "p03", "type"')),
                Case(method, url, 400, "geometry", headers=editor, content=FEATURE.replace(b"105.8, 21.0", b"105.8")),
                Case(method, url, 400, "nosuch", headers=editor, content=FEATURE.replace(b'"name"', b'"nosuch"')),
                Case(method, url, 400, "id", headers=editor, content=FEATURE.replace(b'{"type"', b'{"id": [1], "type"')),
                Case(method, url, 400, "properties", headers=editor, content=FEATURE.replace(b'{"name": "x"}', b"[1]")),
            ]
    if template == "/api/alerts/subscriptions" and method == "POST":
        cases += [
            Case(method, url, 400, "url", headers=editor, content=b'{"url": "ftp://x", "condition": {"index": "us", "above": 100}}'),
            Case(method, url, 400, "condition.index", headers=editor, content=b'{"url": "https://93.184.215.14", "condition": {"index": "eu", "above": 100}}'),
            Case(method, url, 400, "body", headers=editor, content=b'{"url": "https://93.184.215.14", "when": 1}'),
        ]
    if template == "/sta/v1.1/CreateObservations":
        cases.append(Case(method, url, 400, "body", headers=editor, content=b'[{"components": ["result"], "dataArray": [[1]]}]'))
    if template == "/sta/v1.1/{path:path}" and method == "POST":
        cases.append(Case(method, fill(template, {"path": "Things(1)/Locations(1)"}), 400, "path", headers=editor, content=good))
    return cases


def not_allowed_cases(app) -> list[Case]:
    """A method each path does not serve (no route of any path serves it there): 405, with Allow."""
    cases = []
    for template in dict.fromkeys(r.path for r in routes(app)):
        url = fill(template, {name: "x1" for name in path_params(template)} | {"path": "Things"})
        methods = {m for r in routes(app) if r.path_regex.match(url) for m in r.methods}
        other = next((m for m in METHODS if m not in methods), None)  # OPTIONS is answered on every path (204 with Allow)
        if other is not None:
            cases.append(Case(other, url, 405))
    return cases


def check_problem(r, case: Case) -> None:
    where = f"{case.method} {case.url} {case.headers or ''}"
    assert r.headers.get("content-type") == PROBLEM, f"{where}: {r.status_code} {r.headers.get('content-type')} {r.text[:200]}"
    body = r.json()
    assert isinstance(body, dict), where
    for key in ("type", "title", "detail"):
        assert isinstance(body.get(key), str) and body[key], f"{where}: {key} in {body}"
    assert PROBLEM_TYPE.match(body["type"]), f"{where}: {body['type']}"
    assert body.get("status") == r.status_code, f"{where}: {body}"
    assert body.get("instance") == case.url.split("?")[0], f"{where}: {body}"
    assert set(body) <= {"type", "title", "status", "detail", "instance", "field", "invalid-params"}, f"{where}: {body}"
    if "field" in body or "invalid-params" in body:
        assert body["invalid-params"] == [{"name": body["field"], "reason": body["detail"]}], f"{where}: {body}"
    if case.field is not None:
        assert body.get("field") == case.field, f"{where}: expected the field {case.field!r} named: {body}"


def run(world: World, case: Case):
    return world.client.request(case.method, case.url, headers=case.headers, content=case.content)


def test_every_route_answers_errors_as_problem_json(world: World) -> None:
    app, client = world.app, world.client
    missing: list[str] = []
    cases: list[Case] = []
    for route in routes(app):
        if route.path in PAGES:
            continue
        for method in sorted(route.methods - {"HEAD"}):
            made = read_cases(route, world, missing) if method == "GET" else write_cases(method, route, world, missing)
            cases += made
    cases += not_allowed_cases(app)
    cases += [Case("GET", "/no/such/path", 404), Case("GET", "/ogc/collections/places/items/p03/nothing", 404)]
    assert not missing, "\n".join(missing)

    failures = []
    for case in cases:
        r = run(world, case)
        if r.status_code != case.status:
            failures.append(f"{case.method} {case.url} {case.headers or ''}: expected {case.status}, got {r.status_code} {r.text[:200]}")
            continue
        if r.status_code < 400:
            continue
        try:
            check_problem(r, case)
        except AssertionError as exc:
            failures.append(str(exc))
        if case.status == 405:
            assert "HEAD" in r.headers["allow"] or "GET" not in r.headers["allow"], r.headers
        if case.method == "GET":  # the same error to a HEAD: same status and headers, no body
            h = client.head(case.url, headers=case.headers)
            if (h.status_code, h.headers.get("content-type"), h.headers.get("content-length"), h.content) != (
                r.status_code, r.headers.get("content-type"), r.headers.get("content-length"), b""
            ):
                failures.append(f"HEAD {case.url}: {h.status_code} {dict(h.headers)} {h.content[:80]!r} differs from GET {r.status_code}")
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures)

    unvisited = sorted(
        f"{method} {r.path}" for r in routes(app) for method in r.methods - {"HEAD"} if (method, r.endpoint) not in world.served and r.path not in PAGES
    )
    assert not unvisited, f"routes no case reached: {unvisited}"
    assert len(cases) > 150  # the walk really walked
