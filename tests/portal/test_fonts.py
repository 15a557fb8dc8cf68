"""The machine's fonts that the set-up installs: Hangul and Vietnamese for what the portal's web fonts do not draw
(the browser's own controls, screenshots, reports rendered on the server)."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def families(pattern: str) -> str:
    assert shutil.which("fc-list"), "fc-list (fontconfig) is missing: make system-deps installs it with the fonts"
    return subprocess.run(["fc-list", pattern, "family"], capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.mark.parametrize(("pattern", "family"), [(":lang=ko", "Noto Sans CJK KR"), (":lang=vi", "Noto Sans"), (":charset=1ea1 1edf 1ef9", "Noto Sans")])
def test_the_fonts_cover_hangul_and_vietnamese(pattern, family):
    """``:charset=`` names ạ, ở and ỹ: letters of Vietnamese that a font with Latin-1 only lacks."""
    found = {name.strip() for line in families(pattern).splitlines() for name in line.split(",")}
    assert family in found, sorted(found)[:20]
