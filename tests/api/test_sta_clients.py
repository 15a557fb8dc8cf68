"""A third-party SensorThings client, FROST's ``frost-sta-client``, against a live server on both stores."""

from __future__ import annotations

import frost_sta_client as fsc
import geojson
import pytest
import requests

from vkc import auth
from vkc.config import Settings
from vkc.store import open_store
from vkc.web import create_app

from live_server import live_server

# the client uses furl API that furl itself deprecates
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:furl.*")
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


@pytest.fixture
def frost(store_url: str):
    with open_store(store_url) as store:
        token = auth.create_token(store, "editor", name="frost client")[1]
    with live_server(create_app(Settings(database=store_url))) as url:
        # FROST's client knows HTTP Basic only: the token goes as the password
        yield fsc.SensorThingsService(f"{url}/sta/v1.1", auth_handler=fsc.AuthHandler("frost", token)), url


def test_frost_client_creates_queries_patches_and_deletes(frost) -> None:
    service, url = frost
    site = fsc.Location(name="Hoàn Kiếm site", description="mast", encoding_type="application/geo+json", location=geojson.Point((105.8523, 21.0285)))
    thing = fsc.Thing(name="Hoàn Kiếm", description="reference station", properties={"owner": "CEM"}, locations=[site])
    service.create(thing)
    assert isinstance(thing.id, int)

    sensor = fsc.Sensor(name="BAM-1020", description="beta attenuation", encoding_type="application/pdf", metadata="https://example.org/bam.pdf")
    pm25 = fsc.ObservedProperty(name="PM2.5", definition="http://vocabs.lter-europe.net/EnvThes/22069", description="fine particles")
    unit = fsc.UnitOfMeasurement(name="microgram per cubic metre", symbol="µg/m³", definition="http://unitsofmeasure.org/ucum.html#ug/m3")
    datastream = fsc.Datastream(
        name="Hoàn Kiếm PM2.5", description="hourly", observation_type=MEASUREMENT, unit_of_measurement=unit, thing=thing, sensor=sensor, observed_property=pm25
    )
    service.create(datastream)
    observations = []
    for hour in range(6):
        obs = fsc.Observation(result=20.0 + hour, phenomenon_time=f"2024-12-01T{hour:02d}:00:00Z", datastream=datastream)
        service.create(obs)
        observations.append(obs)

    found = service.things().find(thing.id)
    assert found.name == "Hoàn Kiếm" and found.properties == {"owner": "CEM"}
    high = service.observations().query().filter("result gt 22").orderby("phenomenonTime", "ASC").list()
    assert [o.result for o in high] == [23.0, 24.0, 25.0]
    paged = list(service.observations().query().top(4).list())  # the client follows @iot.nextLink
    assert sorted(o.result for o in paged) == [20.0, 21.0, 22.0, 23.0, 24.0, 25.0]
    listed = service.things().query().filter("properties/owner eq 'CEM'").expand("Datastreams").list()
    assert [t.name for t in listed] == ["Hoàn Kiếm"]

    service.things().patch(thing, [{"op": "replace", "path": "/description", "value": "moved to the lake"}])
    assert service.things().find(thing.id).description == "moved to the lake"

    service.delete(observations[0])
    assert len(list(service.observations().query().list())) == 5
    assert requests.get(f"{url}/sta/v1.1/Observations({observations[0].id})", timeout=10).status_code == 404


def test_frost_client_without_the_token_is_refused(frost) -> None:
    service, _ = frost
    service.auth_handler = fsc.AuthHandler("frost", "vkc_00000000_not-a-token")
    with pytest.raises(requests.exceptions.HTTPError) as caught:
        service.create(fsc.Sensor(name="x", description="y", encoding_type="text/plain", metadata="z"))
    assert caught.value.response.status_code == 401
