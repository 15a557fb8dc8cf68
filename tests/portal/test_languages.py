"""The portal's languages without a browser: the choice of language, complete catalogues, error pages, static files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from vkc.portal import i18n

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_messages() -> set[str | tuple[str, ...]]:
    """Every message the portal's templates and code mark, extracted as pybabel does with babel.cfg."""
    with (REPO / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(REPO), method_map, options_map):
        found.add(message)
    return found


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_is_translated_in_every_language(language):
    messages = _source_messages()
    assert len(messages) > 40, messages  # the extraction itself works
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale=language)
    for message in messages:
        entry = catalogue.get(message if isinstance(message, str) else message[0])
        assert entry is not None, f"{language}: {message!r} is not in the catalogue (pybabel extract, then update the .po files)"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(strings) and not entry.fuzzy, f"{language}: {message!r} is untranslated or fuzzy"
        ids = message if isinstance(message, tuple) else (message,)
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ids[0])), f"{language}: {message!r} -> {text!r} changes its placeholders"
    used = {m if isinstance(m, str) else m[0] for m in messages}
    stale = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id} - used
    assert not stale, f"{language}: messages no longer used: {stale}"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_build_compiled_every_catalogue(language):
    compiled = i18n.catalogue_ids(language)
    assert compiled["Map"] == {"vi": "Bản đồ", "ko": "지도", "en": "Map"}[language]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
        ("en-US,en;q=0.9,vi;q=0.8", "en"),
        ("fr-FR,fr;q=0.9", None),
        ("fr;q=1, vi;q=0.2, ko;q=0.5", "ko"),
        ("ko;q=0, en;q=0.1", "en"),
        ("ko;q=abc, en", "en"),
        ("", None),
        ("*", None),
    ],
)
def test_accept_language(header, expected):
    assert i18n.from_accept_language(header) == expected


def test_language_from_query_then_cookie_then_accept_language_then_vietnamese(client):
    assert client.get("/").headers["content-language"] == "vi"
    assert client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).headers["content-language"] == "en"
    chosen = client.get("/?lang=ko", headers={"Accept-Language": "en"})
    assert chosen.headers["content-language"] == "ko" and '<html lang="ko">' in chosen.text
    cookie = chosen.headers["set-cookie"]
    assert "vkc_lang=ko" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    # the choice is kept across pages and wins over the browser's Accept-Language
    assert client.get("/about", headers={"Accept-Language": "en"}).headers["content-language"] == "ko"
    assert client.get("/about?lang=fr").headers["content-language"] == "ko"  # not a portal language: ignored
    assert "지도" in client.get("/about").text


def test_browsers_get_error_pages_and_clients_problems(client):
    page = client.get("/ogc/collections/nowhere", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy" in page.text and "nowhere" in page.text
    assert client.get("/ogc/collections/nowhere?f=html&lang=en").text.count("Not found") >= 1
    data = client.get("/ogc/collections/nowhere", headers={"Accept": "*/*"})
    assert data.status_code == 404 and data.headers["content-type"] == "application/problem+json"
    unknown = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")


def test_static_files_cache_and_policy(client):
    home = client.get("/").text
    vendor = re.search(r'href="(/static/vendor/maplibre-gl@[^"]+/dist/maplibre-gl.css)"', home)
    assert vendor, home[:2000]
    css = client.get(vendor.group(1))
    assert css.status_code == 200 and css.headers["cache-control"] == "public, max-age=31536000, immutable"
    own = client.get("/static/home.js")
    assert own.headers["cache-control"] == "no-cache" and own.headers["etag"]
    assert client.get("/static/home.js", headers={"If-None-Match": own.headers["etag"]}).status_code == 304
    # a revalidated page keeps the policy it was stored with: a 304 carries none (it would replace the page's)
    home = client.get("/")
    again = client.get("/", headers={"If-None-Match": home.headers["etag"]})
    assert again.status_code == 304 and "content-security-policy" not in again.headers
    # a worker runs under its own script's policy: scripts get the pages' one, which lets them fetch the tiles
    assert "default-src 'self'" in own.headers["content-security-policy"]
    assert client.get("/static/../pages.py").status_code == 404
    assert client.get("/favicon.ico").headers["content-type"] == "image/svg+xml"


def test_the_api_documentation_loads_nothing_from_elsewhere(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.text and "https://" not in docs.text.split("<main")[1]
    assert re.search(r'src="/static/vendor/swagger-ui-dist@[\d.]+/swagger-ui-bundle.js"', docs.text)
    assert "'unsafe-inline'" not in docs.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert client.get("/redoc").status_code == 404
