"""Issue 13, proof 2: schemathesis over every operation of the application's OpenAPI document, stateless and stateful.

The document is the application's own ``/openapi.json``, loaded from a live
server (uvicorn on loopback) over a fresh GeoPackage: the seeded places and
zones (tests/support/seeded_store.py) and one SensorThings station. Every
operation runs three ways: without credentials, with a machine admin token,
and with the token of a user whose one grant is ``editor`` on
``collection:zones``.

Stateless (``test_stateless``, one test per operation and set of credentials):
``EXAMPLES`` positive cases, drawn half from the document's schemas alone and
half with path parameters naming what the store holds (``KNOWN``: else nearly
every read and write is a 404), then ``EXAMPLES`` negative cases. Hypothesis
is derandomised.

Stateful (``test_stateful``): schemathesis' state machine (``as_state_machine``)
over the operations the document's OpenAPI links connect, and the listings
that show what exists. The links (declared on the routes) lead from a feature
create to read/replace/update/delete at the ETag answered, from a SensorThings
create to read/update/replace/delete, from a subscription to read/events/cancel,
from a new user to read/change/grant/make a token, and from a token to its
revocation. Beside each generated create, a ``flatmap_case`` hook offers the same
case with a body the server accepts (``FEATURES``, ``STA_BODIES``, a loopback
webhook), so that sequences get past their first step. With the admin token the
test asserts that every create succeeded and so did at least one of the
operations its links lead to (which of them varies from run to run: what the
server answers steers the machine). The server keeps what
scenarios make, so a replayed choice sequence can meet other answers
(Hypothesis' FlakyStrategyDefinition); the run then goes on with the next fixed
seed, as schemathesis' own runner starts a new suite.

Checks on every response: ``not_a_server_error``, ``status_code_conformance``,
``content_type_conformance``, ``response_headers_conformance``,
``response_schema_conformance``; in the stateful run also ``use_after_free``. Hypothesis does not shrink and keeps no
example database: a failure reports the first failing case and its curl line.

Left out, and why:

- ``use_after_free`` on alert subscriptions: cancelling one keeps it readable
  (``active: false``, with its events) by design; the check reports that as a
  deleted resource still available.
- ``ensure_resource_availability`` (a resource just created answers 404): in one
  of five full runs it reported ``POST /api/users/{name}/tokens`` answering
  404 for a user the scenario had just added; 400 direct add-then-read probes
  against the same server after the same stateless run missed none, and the
  run did not repeat. Until the cause is known (the check's bookkeeping of
  which parameters a link set, or the server) it would make this test flaky.
- ``negative_data_rejection`` and ``positive_data_acceptance``: they judge how
  exactly the parameter schemas describe what the server accepts. Several
  parameters are deliberately loose strings (``bbox``, ``datetime``,
  ``filter``, ``sortby``, SensorThings' OData ``{path}`` and ``$filter``) whose
  grammar JSON Schema cannot say, and others are strings the document could
  still narrow to enums or ranges (``f``, ``fn``, ``interval``, ``tz``,
  ``tileMatrix``): a probe with positive data found only such 400s (and one
  real refusal, ``expires_days: 30.0``, fixed). Their findings would be about
  the document's precision, not about the server's behaviour.
- ``missing_required_header``: the one required request header is If-Match;
  its absence is a declared 428, which ``status_code_conformance`` checks.
- ``unsupported_method`` and ``allow_header_conformance``: methods the document
  does not list meet Starlette's routing (405), not the platform's code.
- ``ignored_auth``: it needs security schemes in the document; the platform's
  routes read the Authorization header themselves and the document declares
  none. The three sets of credentials are this file's check of authentication.
- ``max_response_time``: speed is measured in bench/, never in tests.
- schemathesis' coverage phase (boundary values per parameter): it does not
  follow ``max_examples``, so the run time would grow with the document.
- Operations: none.
"""

from __future__ import annotations

import collections
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from vkc import auth
from vkc.auth import users
from vkc.config import Settings
from vkc.store import open_store
from vkc.web import create_app

from live_server import live_server
from seeded_store import seed

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
#: checks of the stateful run besides CHECKS: a resource deleted is gone (404)
STATEFUL_CHECKS = [use_after_free]
#: resources whose DELETE keeps them readable by design: a cancelled subscription is kept with active false, with its events
KEPT_AFTER_DELETE = "/api/alerts/subscriptions"
#: cases per operation, per generation mode and per set of credentials
EXAMPLES = 8
#: stateful scenarios per set of credentials, and the steps each takes at most
SCENARIOS = 80
STEPS = 10
#: at most this many suites of scenarios (see test_stateful)
SUITES = 10
NARROW_USER = "narrow"
CREDENTIALS = ["anonymous", "admin", "narrow"]
STA = "/sta/v1.1"
HOOK_URL = "http://127.0.0.1:9/vkc-hook"  # the discard port: a subscription is made, nothing is ever sent
_BASE_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
    "phases": [Phase.explicit, Phase.generate],  # no shrinking against a live server
    "print_blob": False,
}
#: path parameter values the seeded store holds, so that generated reads and writes also reach existing things
KNOWN: dict[str, list[str]] = {
    "collectionId": ["places", "zones"],
    "featureId": ["p01", "west"],
    "tileMatrixSetId": ["WebMercatorQuad"],
    "name": [NARROW_USER],
    "path": ["Things", "Things(1)", "Things(1)/Locations", "Datastreams(1)", "Datastreams(1)/Observations", "Locations(1)/name/$value", "Sensors"],
    "subscription_id": ["1"],
    "datastream_id": ["1"],
    "station": ["1"],
    "gso_code": ["01", "48"],
}
#: valid bodies for the operations that create the resources the links start from (drawn beside the generated ones)
FEATURES = {
    "places": {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]}, "properties": {"name": "mới", "rank": 7, "score": 1.5, "kind": "park"}},
    "zones": {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[105.7, 20.9], [105.8, 20.9], [105.8, 21.0], [105.7, 20.9]]]}, "properties": {"label": "mới"}},
}
PATCHES = {"places": {"properties": {"rank": 3, "kind": None}}, "zones": {"properties": {"label": "đổi"}}}
UGM3 = {"name": "microgram per cubic metre", "symbol": "µg/m³", "definition": "http://unitsofmeasure.org/ucum.html#ug/m3"}
PM25 = {"name": "PM2.5", "definition": "http://vocabs.lter-europe.net/EnvThes/22090", "description": "particulate matter below 2.5 µm"}
LOCATION = {"name": "site", "description": "mast", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [105.85, 21.03]}}
STA_BODIES: dict[str, dict[str, Any]] = {
    "Things": {"name": "Trạm", "description": "station", "properties": {"owner": "test"}, "Locations": [LOCATION]},
    "Things(1)/Locations": LOCATION,
    "Sensors": {"name": "BAM-1020", "description": "beta attenuation monitor", "encodingType": "application/pdf", "metadata": "https://example.org/bam.pdf"},
    "ObservedProperties": PM25,
    "Datastreams(1)/Observations": {"phenomenonTime": "2024-12-01T00:00:00Z", "result": 12.5},
}


METHODS = {"get", "put", "post", "delete", "patch"}
#: the document, read at collection time from the application itself (no store is opened)
DOCUMENT = create_app(Settings(database="unused.gpkg")).openapi()
OPERATIONS = [f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items() for method in item if method in METHODS]


def _linked_operations(doc: dict[str, Any]) -> list[str]:
    """The operations the document's links connect: each operation with a link, and each operation a link leads to."""
    found = set()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for response in operation.get("responses", {}).values() if method in METHODS else ():
                for link in response.get("links", {}).values():
                    found.add(f"{method.upper()} {path}")
                    target_path, _, target_method = link["operationRef"].removeprefix("#/paths/").rpartition("/")
                    found.add(f"{target_method.upper()} {target_path.replace('~1', '/').replace('~0', '~')}")
    return sorted(found)


#: the stateful run's operations: those the links connect, and the listings that show what exists (schemathesis starts
#: scenarios only from operations whose inputs something produces: without GET /ogc/collections no feature is created)
STATEFUL = [*_linked_operations(DOCUMENT), "GET /ogc/collections", "GET /api/users", "GET /api/alerts/subscriptions", f"GET {STA}"]


@dataclass
class Platform:
    base_url: str
    tokens: dict[str, str | None]

    def headers(self, who: str) -> dict[str, str]:
        token = self.tokens[who]
        return {} if token is None else {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Iterator[Platform]:
    """A fresh seeded GeoPackage with one SensorThings station, served by uvicorn; a machine admin token and a narrow user's token."""
    url = seed(str(tmp_path_factory.mktemp("schemathesis") / "store.gpkg"))
    with open_store(url) as store:
        admin = auth.create_token(store, "admin", name="schemathesis admin")[1]
        users.add_user(store, NARROW_USER, display_name="editor of zones only")
        users.grant(store, NARROW_USER, "editor", "collection:zones")
        narrow = auth.create_user_token(store, NARROW_USER, name="schemathesis narrow")[1]
    allowed = os.environ.get("VKC_OUTBOUND_ALLOW")
    os.environ["VKC_OUTBOUND_ALLOW"] = "127.0.0.0/8"  # the subscriptions' webhook is on loopback
    try:
        with live_server(create_app(Settings(database=url))) as base:
            station = {
                **STA_BODIES["Things"],
                "Datastreams": [
                    {
                        "name": "PM2.5",
                        "description": "hourly PM2.5",
                        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                        "unitOfMeasurement": UGM3,
                        "Sensor": STA_BODIES["Sensors"],
                        "ObservedProperty": PM25,
                    }
                ],
            }
            r = httpx.post(f"{base}{STA}/Things", json=station, headers={"Authorization": f"Bearer {admin}"})
            assert r.status_code == 201, r.text
            yield Platform(base, {"anonymous": None, "admin": admin, "narrow": narrow})
    finally:
        if allowed is None:
            os.environ.pop("VKC_OUTBOUND_ALLOW", None)
        else:
            os.environ["VKC_OUTBOUND_ALLOW"] = allowed


@pytest.fixture(scope="module")
def api(platform: Platform) -> Any:
    schema = schemathesis.openapi.from_url(f"{platform.base_url}/openapi.json")

    @schema.hook
    def flatmap_case(context: Any, case: Any) -> Any:
        """Beside each generated case of a creating operation, the same case with a body the server accepts."""
        valid = _valid_variants(case)
        return st.sampled_from([case, *valid]) if valid else st.just(case)

    return schema


def _valid_variants(case: Any) -> list[Any]:
    label = case.operation.label
    out = []
    if label == "POST /ogc/collections/{collectionId}/items":
        for collection, body in FEATURES.items():
            out.append(_with(case, path_parameters={"collectionId": collection}, body=body, media_type="application/geo+json"))
    elif label == f"POST {STA}/{{path}}":
        for path, body in STA_BODIES.items():
            out.append(_with(case, path_parameters={"path": path}, body=body, media_type="application/json"))
    elif label == "PATCH /ogc/collections/{collectionId}/items/{featureId}":
        patch = PATCHES.get((case.path_parameters or {}).get("collectionId", ""))
        if patch is not None:
            out.append(_with(case, body=patch, media_type="application/merge-patch+json"))
    elif label == f"PATCH {STA}/{{path}}":
        out.append(_with(case, body={"description": "changed"}, media_type="application/json"))
    elif label == "POST /api/users/{name}/tokens":
        out.append(_with(case, body={"name": "made in a scenario", "expires_days": 1}, media_type="application/json"))
    elif label == "POST /api/alerts/subscriptions":
        out.append(_with(case, body={"url": HOOK_URL, "condition": {"index": "vn", "above": 150}, "description": "test"}, media_type="application/json"))
    return out


def _with(case: Any, *, path_parameters: dict[str, str] | None = None, body: Any, media_type: str) -> Any:
    return case.operation.Case(
        path_parameters={**(case.path_parameters or {}), **(path_parameters or {})},
        headers=dict(case.headers or {}),
        query=dict(case.query or {}),
        body=body,
        media_type=media_type,
    )


def _known_strategies(operation: Any) -> list[Any]:
    """Positive strategies for ``operation`` with its path parameters set to things the store holds (none if it has no such parameter)."""
    names = [p.name for p in operation.path_parameters if p.name in KNOWN]
    if not names:
        return []
    return [operation.as_strategy(path_parameters=dict(zip(names, values, strict=True))) for values in itertools.product(*(KNOWN[n] for n in names))]


@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.parametrize("who", CREDENTIALS)
def test_stateless(api: Any, platform: Platform, who: str, label: str) -> None:
    operation = api.find_operation_by_label(label)
    assert operation is not None, label
    headers = platform.headers(who)
    known = _known_strategies(operation)
    positive = operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
    runs = [("positive", st.one_of(positive, *known) if known else positive), ("negative", operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE))]
    for mode, strategy in runs:

        @settings(max_examples=EXAMPLES, derandomize=True, **_BASE_SETTINGS)
        @given(case=strategy)
        def run(case: Any) -> None:
            case.call_and_validate(base_url=platform.base_url, headers=headers, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            if mode == "positive":
                raise
            # nothing of the operation can be made invalid (no parameters, or path parameters of any string): no negative cases


#: the sequences the stateful run must go through with the admin token: a create, and the operations its links lead to
SEQUENCES = {
    "POST /ogc/collections/{collectionId}/items": [
        "GET /ogc/collections/{collectionId}/items/{featureId}",
        "PUT /ogc/collections/{collectionId}/items/{featureId}",
        "PATCH /ogc/collections/{collectionId}/items/{featureId}",
        "DELETE /ogc/collections/{collectionId}/items/{featureId}",
    ],
    f"POST {STA}/{{path}}": [f"GET {STA}/{{path}}", f"PATCH {STA}/{{path}}", f"PUT {STA}/{{path}}", f"DELETE {STA}/{{path}}"],
    "POST /api/alerts/subscriptions": [
        "GET /api/alerts/subscriptions/{subscription_id}",
        "GET /api/alerts/subscriptions/{subscription_id}/events",
        "DELETE /api/alerts/subscriptions/{subscription_id}",
    ],
    "POST /api/users": [
        "GET /api/users/{name}",
        "PATCH /api/users/{name}",
        "POST /api/users/{name}/grants",
        "POST /api/users/{name}/tokens",
        "DELETE /api/users/{name}/tokens/{token_id}",  # through the token made: a chain of three, too rare to require its success
    ],
}


@pytest.mark.parametrize("who", CREDENTIALS)
def test_stateful(api: Any, platform: Platform, who: str) -> None:
    headers = platform.headers(who)
    answered: collections.Counter = collections.Counter()
    scenarios = 0

    class Scenarios(api.include(name=STATEFUL).as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": platform.base_url, "headers": headers}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            answered[(case.operation.label, response.status_code // 100)] += 1

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            kept = case.operation.path.startswith(KEPT_AFTER_DELETE)
            checks = CHECKS if kept else [*CHECKS, *STATEFUL_CHECKS]
            case.validate_response(response, checks=checks, transport_kwargs=kwargs or None, recorder=self.recorder)

        def teardown(self) -> None:
            nonlocal scenarios
            scenarios += 1
            super().teardown()

    # The server keeps what the scenarios make, so a replayed choice sequence can meet other answers and Hypothesis
    # stops with FlakyStrategyDefinition (schemathesis' own runner then starts a new suite too): each suite has its own
    # fixed seed, and suites run until SCENARIOS scenarios have run. A failing check is never swallowed: FlakyFailure
    # (a failure that did not recur on replay) is not a FlakyStrategyDefinition.
    for suite in range(SUITES):
        if scenarios >= SCENARIOS:
            break
        machine = hypothesis.seed(suite)(Scenarios)
        try:
            machine.run(settings=settings(max_examples=SCENARIOS - scenarios, stateful_step_count=STEPS, **_BASE_SETTINGS))
        except FlakyStrategyDefinition:
            continue
    assert scenarios >= SCENARIOS / 2, f"only {scenarios} scenarios ran"
    assert all(label in OPERATIONS for label in STATEFUL), STATEFUL
    if who == "admin":  # the sequences ran: each create succeeded, and so did at least one of the operations its links lead to
        for create, thens in SEQUENCES.items():
            assert answered[(create, 2)], f"{create} never succeeded: {sorted(answered.items())}"
            assert any(answered[(then, 2)] for then in thens), f"none of {thens} succeeded: {sorted(answered.items())}"
