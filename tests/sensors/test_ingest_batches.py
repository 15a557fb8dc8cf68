"""The batch paths of ``vkc import observations``: new keys, stored keys, repeated keys, on both stores."""

from __future__ import annotations

from pathlib import Path

from tests.sensors.test_ingest import STATIONS, stored, write_csv

from vkc.cli import main


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
