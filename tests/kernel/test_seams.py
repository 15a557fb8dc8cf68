"""The kernel imports no component: opening a store, building the app and the CLI load components only through their entry points."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vkc.component import Component, installed, ordered
from vkc.errors import StoreError

#: the packages of the components (the kernel is vkc.store, vkc.errors, vkc.config, vkc.permissions, vkc.component, vkc.web, vkc.cli)
COMPONENT_PACKAGES = ("vkc.layers", "vkc.admin", "vkc.sensors", "vkc.sta", "vkc.airquality", "vkc.alerts", "vkc.demo", "vkc.portal", "vkc.api", "vkc.ogc")


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


@pytest.mark.parametrize(
    "statement",
    ["import vkc.store", "import vkc.store.gpkg, vkc.store.postgis", "import vkc.component, vkc.permissions, vkc.config, vkc.errors", "import vkc.web.app, vkc.cli"],
)
def test_importing_the_kernel_loads_no_component(statement: str) -> None:
    loaded = _loaded_after(statement)
    assert "vkc.store" in loaded or "vkc.component" in loaded or "vkc.web.app" in loaded
    offending = [m for m in loaded if m.startswith(COMPONENT_PACKAGES)]
    assert offending == [], f"{statement} loaded {offending}"


def test_the_built_in_components_are_found_through_entry_points() -> None:
    names = [c.name for c in installed()]
    assert set(names) == {"features", "admin", "sensors", "airquality", "alerts", "demo", "portal"}
    assert names.index("sensors") < names.index("airquality") < names.index("alerts")  # requirements first


def test_requirements_are_checked() -> None:
    a = Component(name="a", summary="", requires=("b",))
    with pytest.raises(StoreError, match="component 'a' requires component 'b', which is not installed"):
        ordered([a])
    b = Component(name="b", summary="", requires=("a",))
    with pytest.raises(StoreError, match="in a circle"):
        ordered([a, b])


def test_a_store_opened_with_no_components_holds_only_the_kernel_s_tables(tmp_path) -> None:
    from vkc.store.gpkg import GeoPackageStore

    with GeoPackageStore(tmp_path / "bare.gpkg", components=()) as store:
        assert set(store.versions) == {"store", "audit"}
        with store.reading() as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not any(t.startswith(("sta_", "vkc_alert")) for t in tables)
