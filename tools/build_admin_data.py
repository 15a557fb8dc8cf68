"""Build src/vkc/data/admin/vn_admin_units.geojson from the project's shared reference data.

Run from the repository root: ``python tools/build_admin_data.py [--shared ../shared/data]``.
Joins the 63 pre-2025 and the 34 post-reform provincial units with the crosswalk, adds
validity periods, English names (Vietnamese without diacritics, the form GSO's English
lists use) and Korean names where sourced, and reduces coordinates to 1e-6 degrees
(about 0.1 m) with GEOS's precision reducer, which keeps the polygons valid.
"""

from __future__ import annotations

import argparse
import csv
import json
import unicodedata
from pathlib import Path

import shapely

OUT = Path(__file__).resolve().parents[1] / "src" / "vkc" / "data" / "admin"
# Korean names in standard Korean transcription, as Korean government and Korean Wikipedia write
# them; only the centrally-run cities, where the usage is settled. Others stay null.
KOREAN = {"Hà Nội": "하노이", "Hồ Chí Minh": "호찌민", "Đà Nẵng": "다낭", "Hải Phòng": "하이퐁", "Cần Thơ": "껀터", "Huế": "후에"}
TYPE_EN = {"tỉnh": "province", "thành phố trực thuộc trung ương": "centrally-run city"}


def english(name_vi: str) -> str:
    text = name_vi.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = ap.parse_args()
    src = args.shared / "vn-admin"
    crosswalk = list(csv.DictReader((src / "vn_province_crosswalk_63_to_34.csv").open(encoding="utf-8")))
    new_rows = {r["gso_code"]: r for r in csv.DictReader((src / "vn_provinces_34_2025.csv").open(encoding="utf-8"))}
    by_old = {r["old_gso_code"]: r for r in crosswalk}
    features = []
    for feat in json.loads((src / "vn_provinces_63_pre2025.geojson").read_text(encoding="utf-8"))["features"]:
        p = feat["properties"]
        row = by_old[p["gso_code"]]
        features.append(_unit(
            feat["geometry"], code=p["gso_code"], iso=row["old_iso_3166_2"], name=row["old_name_vi"],
            full=row["old_full_name_vi"], kind=row["old_type"], valid_from=None, valid_to="2025-06-30",
            successor=row["new_gso_code"], predecessors=None,
        ))
    for feat in json.loads((src / "vn_provinces_34_2025.geojson").read_text(encoding="utf-8"))["features"]:
        code = feat["properties"]["gso_code"]
        row = new_rows[code]
        features.append(_unit(
            feat["geometry"], code=code, iso=None, name=row["name_vi"], full=row["full_name_vi"], kind=row["type"],
            valid_from="2025-07-01", valid_to=None, successor=None,
            predecessors=row["merged_from_old_gso_codes"].split(";"),
        ))
    OUT.mkdir(parents=True, exist_ok=True)
    out = {"type": "FeatureCollection", "name": "vn_admin_units", "features": features}
    (OUT / "vn_admin_units.geojson").write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(features)} units written to {OUT / 'vn_admin_units.geojson'}")


def _unit(geometry: dict, *, code: str, iso: str | None, name: str, full: str, kind: str, valid_from: str | None,
          valid_to: str | None, successor: str | None, predecessors: list[str] | None) -> dict:
    geom = shapely.set_precision(shapely.geometry.shape(geometry), 1e-6)
    if not geom.is_valid:
        raise SystemExit(f"{name}: geometry invalid after precision reduction")
    return {
        "type": "Feature",
        "id": f"{code}@{valid_from or 'pre-2025'}",
        "properties": {
            "gso_code": code, "iso_3166_2": iso or None, "name_vi": name, "full_name_vi": full,
            "name_en": english(name), "name_ko": KOREAN.get(name), "type": kind, "type_en": TYPE_EN[kind],
            "valid_from": valid_from, "valid_to": valid_to, "successor_gso_code": successor,
            "predecessor_gso_codes": predecessors,
        },
        "geometry": json.loads(shapely.to_geojson(geom)),
    }


if __name__ == "__main__":
    main()
