"""VN-2000 conversions checked against coordinates computed independently of PROJ, in each of the four cities."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from vkc.errors import CRSError
from vkc.geo import crs_label, from_crs84, resolve_crs, swap_xy, tm3_meridian_for_province, to_crs84

from independent_geodesy import tm_forward, wgs84_to_vn2000_tm

# (province as the TM-3 table names it, a landmark in WGS 84)
CITIES = [
    ("Hà Nội", (105.8524, 21.0287)),  # Hoàn Kiếm lake
    ("Đà Nẵng", (108.2208, 16.0678)),  # city centre, west bank of the Hàn
    ("Hồ Chí Minh", (106.6981, 10.7725)),  # Bến Thành market
    ("Cần Thơ", (105.7880, 10.0340)),  # Ninh Kiều wharf
]


def _to(crs_text: str, lon: float, lat: float) -> tuple[float, float]:
    p = from_crs84(np.array([shapely.Point(lon, lat)], dtype=object), resolve_crs(crs_text))[0]
    return p.x, p.y


@pytest.mark.parametrize("province,point", CITIES)
def test_tm3_against_independent_computation(province, point):
    meridian = tm3_meridian_for_province(province)
    expected = wgs84_to_vn2000_tm(*point, lon0=meridian)
    for crs_text in (f"vn2000-tm3:{meridian:g}", crs_label(resolve_crs(f"vn2000-tm3:{meridian:g}"))):
        easting, northing = _to(crs_text, *point)
        assert abs(easting - expected[0]) < 0.01 and abs(northing - expected[1]) < 0.01, (crs_text, easting, northing, expected)
    back = to_crs84(np.array([shapely.Point(*expected)], dtype=object), resolve_crs(f"vn2000-tm3:{meridian:g}"))[0]
    assert abs(back.x - point[0]) < 1e-7 and abs(back.y - point[1]) < 1e-7  # about 1 cm


def test_the_four_cities_meridians_come_from_the_table():
    assert [tm3_meridian_for_province(p) for p, _ in CITIES] == [105.0, 107.75, 105.75, 105.0]
    assert tm3_meridian_for_province("VN-HN") == tm3_meridian_for_province("ha noi") == 105.0


def test_utm_48n_against_independent_computation():
    expected = wgs84_to_vn2000_tm(105.8524, 21.0287, lon0=105.0, k0=0.9996)
    easting, northing = _to("EPSG:3405", 105.8524, 21.0287)
    assert abs(easting - expected[0]) < 0.01 and abs(northing - expected[1]) < 0.01


def test_datum_shift_is_epsg_6960_and_matters():
    """Treating VN-2000 as WGS 84 puts a point a couple of hundred metres off."""
    lon, lat = CITIES[0][1]
    with_shift = np.array(wgs84_to_vn2000_tm(lon, lat, lon0=105.0))
    without = np.array(tm_forward(lon, lat, lon0=105.0))
    assert 150 < np.hypot(*(with_shift - without)) < 300
    # and the shift we apply is exactly EPSG:6960 as PROJ itself defines it
    from pyproj.crs import CoordinateOperation

    op = CoordinateOperation.from_epsg(6960)
    explicit = pyproj.Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3 +step +proj=cart +ellps=WGS84 "
        "+step +inv +proj=helmert " + " ".join(f"+{k}={p.value}" for k, p in zip(("x", "y", "z", "rx", "ry", "rz", "s"), op.params))
        + " +convention=coordinate_frame +step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 "
        "+step +proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84"
    )
    ex, ny = explicit.transform(lon, lat)
    ours = _to("EPSG:5897", lon, lat)
    assert abs(ours[0] - ex) < 1e-3 and abs(ours[1] - ny) < 1e-3


def test_esri_prj_of_a_vn2000_zone_is_recognised():
    wkt = pyproj.CRS("EPSG:9210").to_wkt(version="WKT1_ESRI")
    crs = resolve_crs(wkt)
    assert crs_label(crs) == "EPSG:9210"
    assert _to(wkt, 105.8524, 21.0287) == pytest.approx(_to("EPSG:9210", 105.8524, 21.0287), abs=1e-6)


def test_labels_and_shorthands():
    assert crs_label(resolve_crs("vn2000-tm3:105.75")) == "EPSG:9210"
    assert crs_label(resolve_crs("vn2000-tm3:105.2")) == "vn2000-tm3:105.2"
    assert crs_label(resolve_crs("vn2000-utm:49")) == "EPSG:3406"
    assert crs_label(resolve_crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84")) == "OGC:CRS84"
    assert crs_label(resolve_crs("http://www.opengis.net/def/crs/EPSG/0/3857")) == "EPSG:3857"


@pytest.mark.parametrize(
    "text,words",
    [
        ("EPSG:6959", ["deprecated", "EPSG:5899"]), ("EPSG:999999", ["unknown CRS", "EPSG:999999"]), ("nonsense", ["unknown CRS", "nonsense", "vn2000-tm3:"]),
        ("vn2000-tm3:50", ["meridian"]), ("vn2000-tm3:105°75′", ["75 minutes"]),
    ],
)
def test_bad_crs_is_refused_with_a_reason(text, words):
    with pytest.raises(CRSError) as info:
        resolve_crs(text)
    for word in words:
        assert word in str(info.value)
    assert "Proj" not in str(info.value) and "proj_create" not in str(info.value)  # the user's terms; PROJ's text stays a detail


@pytest.mark.parametrize("text", ["vn2000-tm3:105°45'", "vn2000-tm3:105°45′", "vn2000-tm3:105° 45′", "vn2000-tm3:105-45", "vn2000-tm3:105d45"])
def test_a_tm3_meridian_in_degrees_and_minutes_as_documents_write_it(text):
    assert crs_label(resolve_crs(text)) == "EPSG:9210"  # 105°45′: TP Hồ Chí Minh's zone


def test_swap_xy_reads_survey_order():
    g = swap_xy(np.array([shapely.Point(2326134.27, 510447.72)], dtype=object))[0]
    assert (g.x, g.y) == (510447.72, 2326134.27)
