"""The synthetic demo year of air-quality observations (vkc.demo.air_observations): determinism, coverage and shape."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources

import numpy as np
import orjson
import pytest

from vkc.demo.air_observations import SYNTHETIC_NOTE, station_parameters, synthetic_observations
from vkc.errors import InputError
from vkc.sensors.parameters import OBSERVED_PROPERTY as PARAMETERS
from vkc.sensors.qc import check

START = datetime(2019, 1, 1, tzinfo=UTC)
YEAR = 8760


def load_stations() -> list[dict]:
    data = orjson.loads(resources.files("vkc.data").joinpath("demo/aq_stations.geojson").read_bytes())
    return [f["properties"] for f in data["features"]]


STATIONS = load_stations()
BY_ID = {s["id"]: s for s in STATIONS}


@pytest.fixture(scope="module")
def year() -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(station, key) → (UTC hours since START, values) for the full demo year."""
    series: dict[tuple[str, str], tuple[list, list]] = defaultdict(lambda: ([], []))
    for sid, key, when, value in synthetic_observations(STATIONS, start=START, hours=YEAR):
        hours, values = series[(sid, key)]
        hours.append((when - START) // timedelta(hours=1))
        values.append(value)
    return {k: (np.array(h), np.array(v)) for k, (h, v) in series.items()}


def _digest(rows) -> str:
    h = hashlib.sha256()
    for sid, key, when, value in rows:
        h.update(f"{sid}|{key}|{when.isoformat()}|{value!r}\n".encode())
    return h.hexdigest()


def test_same_seed_same_output_other_seed_other_output():
    a = _digest(synthetic_observations(STATIONS, start=START, hours=24 * 20, seed=2019))
    b = _digest(synthetic_observations(STATIONS, start=START, hours=24 * 20, seed=2019))
    c = _digest(synthetic_observations(STATIONS, start=START, hours=24 * 20, seed=2020))
    assert a == b != c


def test_a_station_does_not_depend_on_the_others():
    alone = list(synthetic_observations([BY_ID["hn-mttd-15"]], start=START, hours=24 * 10))
    together = [r for r in synthetic_observations(STATIONS[::-1], start=START, hours=24 * 10) if r[0] == "hn-mttd-15"]
    assert alone and alone == together


def test_rows_are_well_formed(year):
    rows = list(synthetic_observations(STATIONS[:3], start=datetime(2019, 6, 1, 7, tzinfo=timezone(timedelta(hours=7))), hours=48))
    assert rows
    for sid, key, when, value in rows:
        assert isinstance(sid, str) and key in PARAMETERS and isinstance(value, float)
        assert when.tzinfo is UTC and when.minute == 0 and when.second == 0
        assert datetime(2019, 6, 1, tzinfo=UTC) <= when < datetime(2019, 6, 3, tzinfo=UTC)
    for hours, _ in year.values():
        assert hours.min() >= 0 and hours.max() < YEAR and np.all(np.diff(hours) > 0)  # time order, no duplicates


def test_every_station_and_its_pollutants_are_covered(year):
    produced: dict[str, set[str]] = defaultdict(set)
    for sid, key in year:
        produced[sid].add(key)
    assert set(produced) == set(BY_ID)
    assert produced["hn-mttd-14"] == {"pm25", "pm10", "no2", "co", "so2", "o3"}
    assert produced["hn-ag-oceanpark"] == {"pm25", "humidity", "temperature"}  # PM2.5, PM1 (not a platform parameter), RH, T
    assert produced["hcm-us-consulate"] == {"pm25"}
    assert produced["dn-cem-41-le-duan"] == {"pm25"}  # pollutants not published: the demo default
    names = {"PM2.5": "pm25", "PM10": "pm10", "NO2": "no2", "CO": "co", "SO2": "so2", "O3": "o3", "RH": "humidity", "T": "temperature"}
    for s in STATIONS:
        listed = s["pollutants"]
        expected = {"pm25"} if listed is None else {names[n] for n in listed if n != "PM1"}
        assert produced[s["id"]] == expected == set(station_parameters(s)), s["id"]
    assert len(year) == sum(len(station_parameters(s)) for s in STATIONS)


def test_unlisted_stations_can_be_skipped_or_given_more():
    none = {sid for sid, *_ in synthetic_observations(STATIONS, start=START, hours=3, unlisted=())}
    assert "dn-cem-41-le-duan" not in none and "hn-mttd-14" in none
    more = {(sid, key) for sid, key, *_ in synthetic_observations(STATIONS, start=START, hours=3, unlisted=("PM2.5", "NO2"))}
    assert ("dn-cem-41-le-duan", "no2") in more and ("hcm-us-consulate", "no2") not in more


def _months(hours: np.ndarray) -> np.ndarray:
    return (np.datetime64("2019-01-01T00", "h") + hours + np.timedelta64(7, "h")).astype("datetime64[M]").astype(int) % 12 + 1


def _local_hour(hours: np.ndarray) -> np.ndarray:
    return (hours + 7) % 24


def _season_means(year, sid, key):
    hours, values = year[(sid, key)]
    m = _months(hours)
    return values[np.isin(m, [12, 1, 2])].mean(), values[np.isin(m, [6, 7, 8])].mean()


def test_hanoi_winter_is_much_dirtier_than_summer(year):
    for sid in ("hn-mttd-14", "hn-us-embassy", "hn-cem-lcs-quan-ngua"):
        winter, summer = _season_means(year, sid, "pm25")
        assert winter > 2 * summer, (sid, winter, summer)
        assert 50 <= winter <= 150 and 15 <= summer <= 35, (sid, winter, summer)


def test_south_and_centre_are_cleaner_with_weaker_seasons(year):
    hn_w, hn_s = _season_means(year, "hn-mttd-14", "pm25")
    for sid in ("hcm-us-consulate", "dn-cem-41-le-duan"):
        w, s = _season_means(year, sid, "pm25")
        assert w < hn_w and w / s < hn_w / hn_s, sid
        assert w / s < 2.2


def test_hanoi_winter_daily_means_span_the_usual_range(year):
    hours, values = year[("hn-mttd-14", "pm25")]
    days = (hours + 7) // 24
    winter = np.isin(_months(hours), [12, 1, 2])
    daily = np.array([values[(days == d) & winter].mean() for d in np.unique(days[winter])])
    assert 40 <= np.percentile(daily, 10) and np.percentile(daily, 90) <= 160
    assert np.percentile(daily, 90) / np.percentile(daily, 10) > 1.6  # day-to-day variation, not a flat line


def test_traffic_rush_hours_above_3am(year):
    for key in ("no2", "co"):
        hours, values = year[("hn-mttd-14", key)]
        h = _local_hour(hours)
        rush = values[np.isin(h, [7, 8, 9, 17, 18, 19, 20])].mean()
        night = values[h == 3].mean()
        assert rush > 1.3 * night, (key, rush, night)


def test_ozone_peaks_in_the_afternoon(year):
    hours, values = year[("hn-mttd-14", "o3")]
    h = _local_hour(hours)
    by_hour = np.array([np.median(values[h == i]) for i in range(24)])
    assert 12 <= int(np.argmax(by_hour)) <= 16
    assert by_hour[13:16].mean() > 2 * by_hour[0:5].mean()


def test_pm10_is_at_least_pm25(year):
    assert sum((sid, "pm10") in year for sid in BY_ID) == 4
    for sid in BY_ID:
        if (sid, "pm10") in year:
            h25, v25 = year[(sid, "pm25")]
            h10, v10 = year[(sid, "pm10")]
            common, i25, i10 = np.intersect1d(h25, h10, return_indices=True)
            assert common.size > 8000
            a, b = v25[i25], v10[i10]
            clean = np.array([(check("pm25", x)[0] == "valid") and (check("pm10", y)[0] == "valid") for x, y in zip(a, b)])
            assert np.all(b[clean] >= a[clean]), sid
            ratio = np.median(a[clean] / b[clean])
            assert 0.45 < ratio < 0.75, (sid, ratio)


def test_missing_hours_about_two_percent(year):
    counts = np.array([h.size for h, _ in year.values()])
    missing = 1 - counts.sum() / (YEAR * len(year))
    assert 0.01 < missing < 0.035, missing
    assert np.all(counts < YEAR)  # every series has gaps


def test_glitches_are_rare_and_flagged_never_rejected(year):
    statuses: dict[str, int] = defaultdict(int)
    for (_, key), (_, values) in year.items():
        for v in values:
            statuses[check(key, float(v))[0]] += 1
    total = sum(statuses.values())
    assert statuses["rejected"] == 0
    assert 0 < statuses["flagged"] < 0.005 * total
    assert 0.0002 * total < statuses["flagged"]


def test_meteorology_is_plausible(year):
    _, t = year[("hn-ag-oceanpark", "temperature")]
    _, rh = year[("hn-ag-oceanpark", "humidity")]
    ok_t = np.array([(check("temperature", x)[0] == "valid") for x in t])
    ok_rh = np.array([(check("humidity", x)[0] == "valid") for x in rh])
    assert 20 < t[ok_t].mean() < 27 and 5 < t[ok_t].min() and t[ok_t].max() < 42
    assert 60 < rh[ok_rh].mean() < 95


def test_full_year_is_fast():
    began = time.perf_counter()
    n = sum(1 for _ in synthetic_observations(STATIONS, start=START, hours=YEAR, unlisted=("PM2.5", "PM10", "NO2", "CO", "SO2", "O3")))
    elapsed = time.perf_counter() - began
    assert n > 1_000_000 and elapsed < 10, (n, elapsed)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": datetime(2019, 1, 1), "hours": 3}, "timezone-aware"),
        ({"start": datetime(2019, 1, 1, 0, 30, tzinfo=UTC), "hours": 3}, "on the hour"),
        ({"start": START, "hours": -1}, "negative"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(InputError, match=message):
        list(synthetic_observations(STATIONS, **kwargs))


def test_unknown_city_is_an_error():
    with pytest.raises(InputError, match="Cần Thơ"):
        list(synthetic_observations([{"id": "ct-1", "city": "Cần Thơ", "pollutants": ["PM2.5"]}], start=START, hours=2))


def test_zero_hours_is_empty():
    assert list(synthetic_observations(STATIONS, start=START, hours=0)) == []


def test_note_says_stations_real_values_synthetic():
    note = SYNTHETIC_NOTE.lower()
    assert "stations are real" in note and "synthetic" in note and "not measurements" in note
