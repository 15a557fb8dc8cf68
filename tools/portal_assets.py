"""Build the portal's static files that come from elsewhere: npm packages and compiled message catalogues.

Run by ``make`` (never by hand, never committed): copies the files the portal
serves from the pinned npm packages in ``node_modules`` into
``src/vkc/portal/static/vendor/<package>@<version>/`` (the version in the path,
so a browser may keep them for a year), writes ``vendor/manifest.json`` (package
→ its folder, for the templates), and compiles the gettext catalogues
``src/vkc/portal/locale/*/LC_MESSAGES/messages.po`` into ``.mo`` files.

A package or file missing from ``node_modules`` is an error naming it: the
portal without its map or fonts is not a portal.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from vkc.portal.i18n import compile_catalogue

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
PORTAL = ROOT / "src" / "vkc" / "portal"
VENDOR = PORTAL / "static" / "vendor"
#: the weights of the fonts the pages use
WEIGHTS = ("400", "700")

#: package -> the files the portal serves (globs relative to the package; a CSS file keeps its folder's layout)
FILES: dict[str, list[str]] = {
    "maplibre-gl": ["dist/maplibre-gl.mjs", "dist/maplibre-gl-worker.mjs", "dist/maplibre-gl-shared.mjs", "dist/maplibre-gl.css", "LICENSE.txt"],
    "swagger-ui-dist": ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"],
    "uplot": ["dist/uPlot.esm.js", "dist/uPlot.min.css", "LICENSE"],
    "@fontsource/noto-sans": [*(f"{w}.css" for w in WEIGHTS), *(f"files/*-{w}-normal.woff2" for w in WEIGHTS), "LICENSE"],
    "@fontsource/noto-sans-kr": [*(f"{w}.css" for w in WEIGHTS), *(f"files/*-{w}-normal.woff2" for w in WEIGHTS), "LICENSE"],
}


def copy_vendor() -> dict[str, str]:
    """Copy every package's files; the manifest: package -> folder under ``vendor``."""
    manifest: dict[str, str] = {}
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for package, patterns in FILES.items():
        source = NODE_MODULES / package
        meta = source / "package.json"
        if not meta.is_file():
            sys.exit(f"portal assets: npm package {package!r} is not in {NODE_MODULES} (run: npm ci)")
        version = json.loads(meta.read_text())["version"]
        folder = f"{package.replace('/', '+').lstrip('@')}@{version}"
        target = VENDOR / folder
        for pattern in patterns:
            found = sorted(source.glob(pattern))
            if not found:
                sys.exit(f"portal assets: {package}@{version} has no file {pattern!r}")
            for path in found:
                out = target / path.relative_to(source)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, out)
        manifest[package] = folder
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def compile_catalogues() -> list[Path]:
    """Compile each ``messages.po`` next to it (:func:`vkc.portal.i18n.compile_catalogue`)."""
    compiled = []
    for po in sorted((PORTAL / "locale").glob("*/LC_MESSAGES/messages.po")):
        po.with_suffix(".mo").write_bytes(compile_catalogue(po))
        compiled.append(po)
    if not compiled:
        sys.exit(f"portal assets: no message catalogue under {PORTAL / 'locale'}")
    return compiled


def main() -> None:
    manifest = copy_vendor()
    catalogues = compile_catalogues()
    print(f"portal assets: {', '.join(f'{p} -> vendor/{d}' for p, d in manifest.items())}; {len(catalogues)} catalogues compiled")


if __name__ == "__main__":
    main()
