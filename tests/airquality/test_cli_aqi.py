"""``vkc aqi calc`` in-process: JSON on standard input, JSON out, ``error: ...`` and exit 1 for bad input."""

from __future__ import annotations

import io
import json

from vkc.cli import main


def _run(monkeypatch, capsys, args, stdin):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["aqi", "calc", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_daily_vn(monkeypatch, capsys):
    stdin = json.dumps({"o3_8h_max": 89.3, "o3_1h_max": 114.6, "no2_1h_max": 130.8, "pm25": 55.7})
    code, out, err = _run(monkeypatch, capsys, ["--method", "vn", "--period", "day"], stdin)
    assert code == 0, err
    assert '"Kém"' in out  # ensure_ascii=False
    result = json.loads(out)
    assert (result["aqi"], result["dominant"], result["category"]["color"]) == (110, "pm25", "#FF7E00")


def test_hourly_us(monkeypatch, capsys):
    code, out, err = _run(monkeypatch, capsys, ["--method", "us", "--period", "hour"], '{"pm25": [13, 16, 10], "no2": 120}')
    assert code == 0, err
    # w = 10/16; NowCast (13 + 0.625*16 + 0.625**2*10) / (1 + 0.625 + 0.625**2) = 13.35 -> 13.3: 51 + 49/26.3 * 4.2 = 58.8.
    assert json.loads(out)["sub"] == {"pm25": 59, "no2": 105}


def test_bad_json_is_an_error(monkeypatch, capsys):
    code, out, err = _run(monkeypatch, capsys, ["--method", "vn", "--period", "day"], "{pm25: 3")
    assert code == 1
    assert err.startswith("error: standard input: not valid JSON")
    assert out == ""


def test_bad_value_is_an_error(monkeypatch, capsys):
    code, _, err = _run(monkeypatch, capsys, ["--method", "us", "--period", "day"], '{"o3_8h_max": -0.1}')
    assert code == 1
    assert "error: o3_8h_max: must not be negative" in err


def test_bad_method_is_an_error(monkeypatch, capsys):
    code, _, err = _run(monkeypatch, capsys, ["--method", "eu", "--period", "day"], "{}")
    assert code == 1
    assert "error: method: must be one of vn, us" in err


def test_help_lists_keys_and_units(monkeypatch, capsys):
    code, out, _ = _run(monkeypatch, capsys, ["--help"], "")
    assert code == 0
    text = " ".join(out.split())
    for expected in ("o3_8h_max (µg/m³)", "o3_8h_max (ppm)", "so2_1h_max (ppb)", "co_1h_max (ppm)", "pm25 (µg/m³)", "newest first"):
        assert expected in text, expected
