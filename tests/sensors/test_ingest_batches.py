"""The batch paths of ``vkc import observations``: new keys, stored keys, repeated keys, on both stores."""

from __future__ import annotations

import csv
from pathlib import Path

from vkc.cli import main
from vkc.sensors.db import SensorDb
from vkc.store import open_store

STATIONS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-points" / "aq_stations.geojson"


def write_csv(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
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


def test_new_stored_and_repeated_keys_in_batches(store_url: str, tmp_path: Path) -> None:
    assert main(["import", "stations", str(STATIONS), "--db", store_url]) == 0
    hours = [f"2024-12-01T{h:02d}:00:00Z" for h in range(6)]
    first = write_csv(tmp_path / "a.csv", [("hn-mttd-14", "PM2.5", t, "10", "ug/m3") for t in hours])
    assert main(["import", "observations", str(first), "--db", store_url, "--batch-size", "2"]) == 0
    # a later file, in batches of 3: the first has new keys only, one of them twice (the last row wins); the second
    # corrects two stored values (one now flagged) and adds a new hour
    rows = [
        ("hn-mttd-14", "PM2.5", "2024-12-01T09:00:00Z", "90", "ug/m3"),
        ("hn-mttd-14", "PM2.5", "2024-12-01T09:00:00Z", "91", "ug/m3"),
        ("hn-mttd-14", "PM2.5", "2024-12-01T10:00:00Z", "100", "ug/m3"),
        ("hn-mttd-14", "PM2.5", hours[4], "44", "ug/m3"),
        ("hn-mttd-14", "PM2.5", hours[5], "600", "ug/m3"),
        ("hn-mttd-14", "PM2.5", "2024-12-01T11:00:00Z", "110", "ug/m3"),
    ]
    second = write_csv(tmp_path / "b.csv", rows)
    assert main(["import", "observations", str(second), "--db", store_url, "--batch-size", "3"]) == 0
    got = stored(store_url)
    assert len(got) == 9
    assert got[("hn-mttd-14/pm25", "2024-12-01T09:00:00+00:00")] == (91.0, None)
    assert got[("hn-mttd-14/pm25", "2024-12-01T10:00:00+00:00")] == (100.0, None)
    assert got[("hn-mttd-14/pm25", "2024-12-01T04:00:00+00:00")] == (44.0, None)
    assert got[("hn-mttd-14/pm25", "2024-12-01T05:00:00+00:00")][1]["qc"] == "flagged"
    assert got[("hn-mttd-14/pm25", "2024-12-01T11:00:00+00:00")] == (110.0, None)
    assert got[("hn-mttd-14/pm25", "2024-12-01T00:00:00+00:00")] == (10.0, None)
    # rerunning the first file puts its values back; nothing else changes
    assert main(["import", "observations", str(first), "--db", store_url]) == 0
    again = stored(store_url)
    assert again[("hn-mttd-14/pm25", "2024-12-01T04:00:00+00:00")] == (10.0, None)
    assert again[("hn-mttd-14/pm25", "2024-12-01T05:00:00+00:00")] == (10.0, None)
    assert len(again) == 9
