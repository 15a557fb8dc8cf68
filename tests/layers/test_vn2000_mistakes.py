"""The two commonest VN-2000 mistakes, caught by the importer: a TM-3 zone that is not the province's (Circular
973/2001/TT-TCĐC gives each pre-2025 province its zone), and the survey order of X and Y (X is the northing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from vkc.errors import GeometryError
from vkc.geo import from_crs84, resolve_crs
from vkc.layers.importer import ImportOptions, import_layer

#: three points in Hà Nội (Hoàn Kiếm, Cầu Giấy, Long Biên), whose TM-3 zone is 105°00′ (EPSG:5897)
HANOI = [(105.852, 21.028), (105.800, 21.033), (105.890, 21.045)]


def hanoi_csv(tmp_path: Path, *, survey_order: bool = False) -> Path:
    """The points as VN-2000 TM-3 105°00′ metres, in a CSV with columns x, y (or X northing, Y easting as a survey table)."""
    metres = from_crs84(np.array([shapely.Point(*p) for p in HANOI], dtype=object), resolve_crs("EPSG:5897"))
    rows = [(round(p.y, 2), round(p.x, 2)) if survey_order else (round(p.x, 2), round(p.y, 2)) for p in metres]
    path = tmp_path / "hanoi.csv"
    path.write_text("name,x,y\n" + "".join(f"p{i},{a},{b}\n" for i, (a, b) in enumerate(rows)), encoding="utf-8")
    return path


def test_the_province_s_own_zone_gives_no_warning(tmp_path, gpkg_store):
    report = import_layer(gpkg_store, hanoi_csv(tmp_path), "points", ImportOptions(crs="vn2000-tm3:105"))
    assert report.inserted == 3 and report.warnings == []


@pytest.mark.parametrize("wrong", ["vn2000-tm3:104.5", "EPSG:9210"])
def test_another_zone_is_imported_with_a_warning_naming_the_province_s_zone(tmp_path, gpkg_store, wrong):
    report = import_layer(gpkg_store, hanoi_csv(tmp_path), "points", ImportOptions(crs=wrong))
    assert report.inserted == 3
    (warning,) = report.warnings
    given = "104°30′" if wrong.endswith("104.5") else "105°45′"
    assert f"read as TM-3 {given}" in warning and "VN-2000 TM-3 zone is" in warning and "--crs vn2000-tm3:" in warning, warning


def test_the_cli_prints_the_warning(tmp_path, vkc):
    r = vkc(["import", "layer", str(hanoi_csv(tmp_path)), "--collection", "points", "--crs", "vn2000-tm3:104.5", "--db", str(tmp_path / "s.gpkg")])
    assert r.returncode == 0 and "warning: " in r.stderr and "zone is" in r.stderr, r.stderr


def test_survey_order_without_the_flag_is_refused_with_a_hint(tmp_path, gpkg_store):
    with pytest.raises(GeometryError, match="with x and y swapped they would lie in Vietnam.*--survey-xy"):
        import_layer(gpkg_store, hanoi_csv(tmp_path, survey_order=True), "points", ImportOptions(crs="EPSG:5897"))
    report = import_layer(gpkg_store, hanoi_csv(tmp_path, survey_order=True), "points", ImportOptions(crs="EPSG:5897", axis_order="ne"))
    assert report.inserted == 3 and report.warnings == []


def test_latitude_before_longitude_is_refused_with_a_hint(tmp_path, gpkg_store):
    path = tmp_path / "latlon.csv"
    path.write_text("name,x,y\n" + "".join(f"p{i},{lat},{lon}\n" for i, (lon, lat) in enumerate(HANOI)), encoding="utf-8")
    with pytest.raises(GeometryError, match="row 2: .*swapped"):
        import_layer(gpkg_store, path, "points")
