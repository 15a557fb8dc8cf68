"""The package as users install it: a wheel with no extras, in a fresh environment, gives a working ``vkc``.

This installs from the package registry exactly as ``pip install vkc-….whl`` would
(pinned by requirements.lock), so a runtime import declared only in a test extra fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], **kw) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VKC_DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(args, capture_output=True, text=True, timeout=900, env=env, **kw)


@pytest.fixture(scope="module")
def installed_vkc(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    # built from a copy: pip builds in the source tree, and two test processes building in one tree collide
    source = work / "source"
    for name in ("pyproject.toml", "README.md"):
        source.mkdir(exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    built = _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(source)])
    assert built.returncode == 0, built.stderr
    wheels = list((work / "dist").glob("vkc-*.whl"))
    assert len(wheels) == 1, wheels
    venv.create(work / "env", with_pip=True)
    python = work / "env" / "bin" / "python"
    pip = _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", str(REPO / "requirements.lock"), str(wheels[0])])
    assert pip.returncode == 0, pip.stderr
    return work / "env" / "bin" / "vkc"


def test_every_command_group_answers_help(installed_vkc: Path) -> None:
    top = _run([str(installed_vkc), "--help"], cwd=installed_vkc.parent)
    assert top.returncode == 0, top.stderr
    groups = ["admin", "aqi", "alerts", "db", "demo", "export", "features", "import", "layers", "serve", "store", "token", "components"]
    for group in groups:
        assert f" {group} " in top.stdout, group
        r = _run([str(installed_vkc), group, "--help"], cwd=installed_vkc.parent)
        assert r.returncode == 0 and "Usage" in r.stdout, (group, r.stderr)


def test_the_demo_builds_a_store(installed_vkc: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.gpkg"
    r = _run([str(installed_vkc), "demo", "--db", str(db), "--no-serve", "--air-hours", "48"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "aq_stations" in r.stdout and "synthetic hourly observations" in r.stdout
    listed = _run([str(installed_vkc), "layers", "--db", str(db)], cwd=tmp_path)
    assert listed.returncode == 0 and "wards" in listed.stdout
    components = _run([str(installed_vkc), "components", "--db", str(db)], cwd=tmp_path)
    assert components.returncode == 0 and "sensors" in components.stdout and "tables v1" in components.stdout


def test_the_wheel_carries_the_portal_built_files(installed_vkc: Path) -> None:
    """The map, the API documentation's Swagger UI, the fonts and the compiled catalogues are in the wheel (built by make)."""
    python = installed_vkc.parent / "python"
    script = (
        "import pathlib, vkc.portal.render as r, vkc.portal.i18n as i\n"
        "for package, path in [('maplibre-gl', 'dist/maplibre-gl-worker.mjs'), ('swagger-ui-dist', 'swagger-ui-bundle.js'), ('@fontsource/noto-sans-kr', '400.css')]:\n"
        "    assert (r.STATIC / r.vendor(package, path).removeprefix('/static/')).is_file(), path\n"
        "print(sorted(i.catalogue_ids('ko').items())[:1], r.STATIC)"
    )
    r = _run([str(python), "-c", script], cwd=installed_vkc.parent)
    assert r.returncode == 0, r.stderr
    assert "site-packages" in r.stdout and str(REPO) not in r.stdout, r.stdout
