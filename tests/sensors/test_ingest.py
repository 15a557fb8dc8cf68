"""``vkc import stations`` and ``vkc import observations`` on both stores: units, QA/QC, zones, idempotence, the report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from vkc.cli import main
from vkc.sensors.db import SensorDb
from vkc.store import open_store

STATIONS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-points" / "aq_stations.geojson"
ROWS = [
    ("hn-mttd-14", "PM2.5", "2024-12-01T07:00:00+07:00", "55.2", "ug/m3"),  # 00:00 UTC
    ("hn-mttd-14", "CO", "2024-12-01T00:00:00Z", "1.2", "mg/m3"),  # → 1200 µg/m³
    ("hn-mttd-14", "NO2", "2024-12-01T00:00:00Z", "20", "ppb"),  # → 20 × 46.01 / 24.45
    ("hn-mttd-14", "pm10", "2024-12-01 08:00", "80", "µg/m³"),  # no zone
    ("hn-mttd-14", "PM10", "2024-12-01T00:00:00Z", "-5", "ug/m3"),  # impossible
    ("nowhere", "PM10", "2024-12-01T00:00:00Z", "5", "ug/m3"),  # unknown station
    ("hn-mttd-14", "PM10", "2024-12-01T01:00:00Z", "abc", "ug/m3"),  # not a number
    ("hn-mttd-14", "PM2.5", "2024-12-01T01:00:00Z", "700", "ug/m3"),  # suspicious: stored, flagged
    ("hn-mttd-14", "PM2.5", "2024-12-01T02:00:00Z", "12", "ppb"),  # a mixing ratio for PM
    ("hn-mttd-14", "lead", "2024-12-01T02:00:00Z", "12", "ug/m3"),  # unknown parameter
]


def write_csv(path: Path, rows, sep: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerow(["station", "parameter", "time", "value", "unit"])
        w.writerows(rows)
    return path


def stored(store_url: str) -> dict[tuple[str, str], tuple[float, object]]:
    with open_store(store_url) as store:
        db = SensorDb(store)
        with db.reading() as conn:
            rows = conn.execute(
                "SELECT d.external_id, o.phenomenon_time_start, o.result_number, o.result_quality FROM sta_observations o "
                "JOIN sta_datastreams d ON d.id = o.datastream_id"
            ).fetchall()
        return {(ext, db.time_out(t).isoformat()): (v, db.json_out(q)) for ext, t, v, q in rows}


@pytest.fixture
def loaded(store_url: str) -> str:
    assert main(["import", "stations", str(STATIONS), "--db", store_url, "--name-field", "name_en"]) == 0
    return store_url


def test_ingest_normalises_units_checks_values_and_reports_rejects(loaded: str, tmp_path: Path, capsys) -> None:
    src = write_csv(tmp_path / "obs.csv", ROWS)
    capsys.readouterr()
    assert main(["import", "observations", str(src), "--db", loaded, "--json", "--rejects", str(tmp_path / "rejects.csv")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["read"], report["stored"], report["flagged"], report["rejected"]) == (10, 4, 1, 6)
    got = stored(loaded)
    assert got[("hn-mttd-14/pm25", "2024-12-01T00:00:00+00:00")] == (55.2, None)
    assert got[("hn-mttd-14/co", "2024-12-01T00:00:00+00:00")][0] == pytest.approx(1200.0)
    assert got[("hn-mttd-14/no2", "2024-12-01T00:00:00+00:00")][0] == pytest.approx(20 * 46.01 / 24.45)
    assert got[("hn-mttd-14/pm25", "2024-12-01T01:00:00+00:00")] == (700.0, {"qc": "flagged", "reason": "suspicious value: 700 is above 500"})
    with open(tmp_path / "rejects.csv", encoding="utf-8") as fh:
        rejects = {int(r["line"]): r["reason"] for r in csv.DictReader(fh)}
    assert set(rejects) == {5, 6, 7, 8, 10, 11}
    assert "no time zone" in rejects[5]
    assert "below 0" in rejects[6]
    assert "nowhere" in rejects[7] and "vkc import stations" in rejects[7]
    assert "'abc' is not a number" in rejects[8]
    assert "does not fit" in rejects[10]
    assert "unknown parameter 'lead'" in rejects[11]


def test_ingest_is_idempotent_and_takes_a_zone_for_zoneless_times(loaded: str, tmp_path: Path, capsys) -> None:
    src = write_csv(tmp_path / "obs.csv", ROWS, sep=";")
    assert main(["import", "observations", str(src), "--db", loaded, "--tz", "Asia/Ho_Chi_Minh"]) == 0
    first = stored(loaded)
    assert main(["import", "observations", str(src), "--db", loaded, "--tz", "Asia/Ho_Chi_Minh"]) == 0
    assert stored(loaded) == first
    assert first[("hn-mttd-14/pm10", "2024-12-01T01:00:00+00:00")] == (80.0, None)  # 08:00 in Hà Nội
    assert len(first) == 5


def test_a_repeated_key_keeps_the_last_value_and_a_partly_stored_batch_is_upserted(loaded: str, tmp_path: Path, capsys) -> None:
    pm = [("hn-mttd-14", "PM2.5", f"2024-12-01T{h:02d}:00:00Z", str(10 + h), "ug/m3") for h in range(4)]
    repeated = write_csv(tmp_path / "repeated.csv", [*pm, ("hn-mttd-14", "PM2.5", "2024-12-01T01:00:00Z", "99", "ug/m3")])
    assert main(["import", "observations", str(repeated), "--db", loaded]) == 0
    got = stored(loaded)
    assert got[("hn-mttd-14/pm25", "2024-12-01T01:00:00+00:00")] == (99.0, None) and len(got) == 4
    # one batch holding stored keys (changed values) and new ones: the stored are replaced, the new added
    mixed = write_csv(tmp_path / "mixed.csv", [(s, p, t, "1", u) for s, p, t, _, u in pm[2:]] + [("hn-mttd-14", "PM2.5", "2024-12-01T05:00:00Z", "7", "ug/m3")])
    assert main(["import", "observations", str(mixed), "--db", loaded]) == 0
    got = stored(loaded)
    assert len(got) == 5 and got[("hn-mttd-14/pm25", "2024-12-01T03:00:00+00:00")] == (1.0, None)
    assert got[("hn-mttd-14/pm25", "2024-12-01T05:00:00+00:00")] == (7.0, None) and got[("hn-mttd-14/pm25", "2024-12-01T00:00:00+00:00")] == (10.0, None)


def test_jsonl_and_reloading_stations_updates_them(loaded: str, tmp_path: Path, capsys) -> None:
    src = tmp_path / "obs.jsonl"
    src.write_text(
        '{"station": "hn-mttd-14", "pollutant": "O3", "timestamp": "2024-12-01T00:00:00Z", "value": 100, "unit": "ppb"}\n'
        "not json\n"
        '{"station": "hn-mttd-14", "parameter": "O3"}\n',
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["import", "observations", str(src), "--db", loaded, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["stored"], report["rejected"]) == (1, 2)
    assert stored(loaded)[("hn-mttd-14/o3", "2024-12-01T00:00:00+00:00")][0] == pytest.approx(100 * 48.0 / 24.45)
    assert main(["import", "stations", str(STATIONS), "--db", loaded]) == 0
    assert "0 stations created, 32 updated" in capsys.readouterr().out
    with open_store(loaded) as store, SensorDb(store).reading() as conn:
        assert conn.execute("SELECT count(*) FROM sta_things").fetchone()[0] == 32


@pytest.mark.parametrize(
    ("content", "name", "args", "message"),
    [
        ("station,parameter,value,unit\n", "a.csv", [], "no 'time' column"),
        ("x", "a.txt", [], "--format"),
        ("station,parameter,time,value,unit\n", "a.csv", ["--tz", "Mars/Olympus"], "unknown time zone"),
    ],
)
def test_bad_files_fail_before_anything_is_stored(loaded: str, tmp_path: Path, capsys, content: str, name: str, args: list, message: str) -> None:
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "observations", str(src), "--db", loaded, *args]) == 1
    assert message in capsys.readouterr().err
    assert stored(loaded) == {}


def test_times_outside_the_calendar_margin_are_rejected_rows_not_tracebacks(loaded: str, tmp_path: Path, capsys) -> None:
    rows = [
        ("hn-mttd-14", "PM2.5", "0001-01-01T00:00:00+07:00", "10", "ug/m3"),  # before year 1 in UTC
        ("hn-mttd-14", "PM2.5", "0001-01-01T08:00:00Z", "10", "ug/m3"),
        ("hn-mttd-14", "PM2.5", "9999-12-31T20:00:00Z", "10", "ug/m3"),
        ("hn-mttd-14", "PM2.5", "0001-01-01 03:00", "10", "ug/m3"),  # zoneless, --tz puts it before year 1
        ("hn-mttd-14", "PM2.5", "2024-12-01T00:00:00Z", "10", "ug/m3"),
    ]
    src = write_csv(tmp_path / "edges.csv", rows)
    assert main(["import", "observations", str(src), "--db", loaded, "--tz", "Asia/Ho_Chi_Minh", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["stored"], report["rejected"]) == (1, 4), report


def test_a_gzip_file_cut_short_is_a_clear_error(loaded: str, tmp_path: Path, capsys) -> None:
    import gzip

    text = "station,parameter,time,value,unit\n" + "".join(f"hn-mttd-14,PM2.5,2024-12-01T{h % 24:02d}:00:00Z,10,ug/m3\n" for h in range(5000))
    packed = gzip.compress(text.encode())
    (tmp_path / "cut.csv.gz").write_bytes(packed[: len(packed) // 2])
    (tmp_path / "fake.csv.gz").write_bytes(b"station,parameter")
    capsys.readouterr()
    assert main(["import", "observations", str(tmp_path / "cut.csv.gz"), "--db", loaded]) == 1
    assert "the compressed file is damaged near line" in capsys.readouterr().err
    assert main(["import", "observations", str(tmp_path / "fake.csv.gz"), "--db", loaded]) == 1
    assert "not a readable gzip file" in capsys.readouterr().err


def test_a_file_whose_every_row_is_rejected_fails_and_says_why(loaded: str, tmp_path: Path, capsys) -> None:
    """Exit 1 when nothing valid was found, naming --tz when the times lack a zone; the reasons are whole words."""
    zoneless = write_csv(tmp_path / "zoneless.csv", [("hn-mttd-14", "PM2.5", "2024-12-01 08:00", "40", "ug/m3")] * 3)
    assert main(["import", "observations", str(zoneless), "--db", loaded]) == 1
    err = capsys.readouterr().err
    assert "nothing was stored: every one of its 3 rows was rejected; rows without a time zone need --tz" in err
    unknown = write_csv(tmp_path / "lead.csv", [("hn-mttd-14", "lead", "2024-12-01T00:00:00Z", "12", "ug/m3")])
    assert main(["import", "observations", str(unknown), "--db", loaded]) == 1
    err = capsys.readouterr().err
    assert "rejected 1: parameter: unknown parameter …; known: pm25, pm10, o3, no2, so2, co," in err, err  # not "known: pm…, pm…, o…"
    empty = write_csv(tmp_path / "empty.csv", [])
    assert main(["import", "observations", str(empty), "--db", loaded]) == 1
    assert "holds no observations" in capsys.readouterr().err
