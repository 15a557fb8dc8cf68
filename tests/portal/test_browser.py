"""The portal in Debian's Chromium: every page in each language, the map drawing, Hangul as glyphs, the keyboard."""

from __future__ import annotations

import base64

import pytest

LANGUAGES = ("vi", "ko", "en")
PAGES = {
    "home": "/",
    "about": "/about",
    "docs": "/docs",
    "signin": "/signin",
    "collections": "/ogc/collections?f=html",
    "layer": "/ogc/collections/buildings?f=html",
    "items": "/ogc/collections/aq_stations/items?f=html&limit=50",
    "item": "/ogc/collections/aq_stations/items/hn-mttd-14?f=html",
    "ogc": "/ogc?f=html",
    "air": "/air",
    "air-station": "/air/stations/hn-mttd-14",
    "not-found": "/ogc/collections/nowhere?f=html",
}
#: a word of each language's home page
HOME_WORDS = {"vi": "Bản đồ", "ko": "지도", "en": "Map"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_loads_cleanly_in_every_language(visit, name, language):
    path = PAGES[name] + ("&" if "?" in PAGES[name] else "?") + f"lang={language}"
    if name == "not-found":
        response = visit.page.goto(visit.base + path)
        assert response.status == 404 and "text/html" in response.headers["content-type"]
        visit.problems[:] = [p for p in visit.problems if "404" not in p]  # the page's own status, as the response and the console report it
    else:
        visit.goto(path)
    visit.page.wait_for_load_state("networkidle")
    if visit.page.locator("#map").count():
        visit.map_ready()
    if name == "air-station":
        visit.until("document.getElementById('charts').dataset.loaded === 'true'")
    if name == "docs":
        visit.until("document.querySelectorAll('.opblock').length > 20")
    visit.screenshot(f"{name}-{language}")
    assert visit.problems == []


def test_the_home_map_draws_the_provinces_and_the_stations(visit):
    visit.goto("/?lang=en")
    visit.map_ready()
    units = visit.page.evaluate("[...new Set(vkcMap.queryRenderedFeatures({layers: ['units']}).map(f => f.properties.gso_code))]")
    assert 30 <= len(units) <= 34, units  # the 34 units of today, each once whatever the tiles cut it into
    assert "01" in units and "79" in units
    assert visit.page.evaluate("vkcMap.queryRenderedFeatures({layers: ['stations']}).length") >= 20
    # the screen shows the provinces' colour, not only an element: the map's screenshot, counted in the page
    shot = base64.b64encode(visit.page.locator("#map").screenshot()).decode()
    pixels = visit.page.evaluate(
        """async (png) => { const image = new Image(); image.src = 'data:image/png;base64,' + png; await image.decode();
        const g = document.createElement('canvas'); g.width = image.width; g.height = image.height; const x = g.getContext('2d');
        x.drawImage(image, 0, 0); const d = x.getImageData(0, 0, g.width, g.height).data; let land = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 0xf4 && d[i + 1] === 0xf1 && d[i + 2] === 0xe8) land++; return land / (d.length / 4); }""",
        shot,
    )
    assert pixels > 0.04, pixels  # a thin country in its bounds, less its borders: 7 % of the pixels on this screen
    # the 63 units before the reform are one toggle away
    visit.page.check("#old-units")
    visit.map_ready()
    old = visit.page.evaluate("new Set(vkcMap.queryRenderedFeatures({layers: ['old-units-line']}).map(f => f.properties.gso_code)).size")
    assert old >= 55, old
    # a click on Hà Nội shows its record; a city button flies there
    visit.page.locator(".cities button").nth(1).click()  # Đà Nẵng
    visit.until("Math.abs(vkcMap.getCenter().lat - 16.05) < 0.05 && !vkcMap.isMoving()")
    visit.map_ready()
    box = visit.page.locator("#map").bounding_box()
    visit.page.mouse.click(box["x"] + box["width"] / 2 - 40, box["y"] + box["height"] / 2)
    visit.until("document.querySelector('#selected .code') !== null")
    assert visit.page.locator("#selected .code").inner_text() == "48"
    assert visit.page.locator("#selected .name").inner_text() == "Da Nang"
    assert visit.problems == []


def test_the_api_pages_show_their_features_on_the_map_and_their_values_as_text(visit):
    visit.goto("/ogc/collections/aq_stations/items?f=html&limit=50&lang=en")
    visit.map_ready()
    drawn = visit.page.evaluate("new Set(vkcMap.queryRenderedFeatures({layers: ['points']}).map(f => f.properties.name_en)).size")
    assert drawn >= 20, drawn
    table = visit.page.locator("table").inner_text()
    assert "Point" in table  # the geometry's type, not "yes"
    assert "['" not in table and "None" not in table and "True" not in table  # lists as JSON, no Python reprs
    widths = visit.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths  # the wide table scrolls in its own box, not the page
    visit.goto("/ogc/collections/buildings/items?f=html&limit=5&lang=en")
    visit.map_ready()
    # five buildings across the city: too small to see at the zoom that shows them all, each has its marker
    assert visit.page.evaluate("vkcMap.queryRenderedFeatures({layers: ['markers']}).length") == 5
    visit.goto("/ogc/collections/buildings/items/hanoi-bldg-00001?f=html&lang=en")  # one building: the map comes close, the area shows
    visit.map_ready()
    assert visit.page.evaluate("vkcMap.queryRenderedFeatures({layers: ['areas']}).length") >= 1
    assert visit.problems == []


def test_a_page_loaded_again_from_the_cache_still_works(visit):
    """The browser revalidates the page (If-None-Match, 304): its scripts and styles must still be allowed."""
    visit.goto("/?lang=en")
    visit.map_ready()
    visit.page.reload()
    visit.map_ready()
    assert visit.page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor") == "rgb(18, 61, 106)"
    assert visit.problems == []


def test_hangul_renders_with_the_served_font(visit):
    visit.goto("/?lang=ko")
    visit.page.evaluate("document.fonts.ready.then(() => true)")
    visit.until("[...document.fonts].some(f => f.family.replaceAll('\"', '') === 'Noto Sans KR' && f.status === 'loaded')")
    # a Hangul string is drawn wider than the fallback box it would be in a font without Hangul, and
    # as wide as the served font makes it
    widths = visit.page.evaluate(
        """(() => { const c = document.createElement('canvas').getContext('2d');
        c.font = "32px 'Noto Sans KR'"; const served = c.measureText('스마트시티 플랫폼').width;
        c.font = "32px 'No Such Font For Hangul'"; const fallback = c.measureText('\\u{10FFFD}'.repeat(9)).width;
        return [served, fallback]; })()"""
    )
    assert widths[0] > 150 and widths[0] != widths[1], widths
    assert visit.page.evaluate("document.fonts.check(\"16px 'Noto Sans KR'\", '한국어')")
    assert visit.problems == []


def test_the_language_choice_covers_the_page_and_stays(visit):
    visit.goto("/?lang=vi")
    visit.page.get_by_role("link", name="한국어").click()
    visit.page.wait_for_load_state()
    assert visit.page.evaluate("document.documentElement.lang") == "ko"
    header = visit.page.locator("header.top").inner_text() + visit.page.locator("aside").inner_text()
    for word in ("지도", "소개", "로그인", "핵심 도시", "대기질"):
        assert word in header
    for english in ("Map", "About", "Sign in", "Core cities"):
        assert english not in header.replace("VN_AQI", "")
    visit.page.get_by_role("link", name="소개").click()
    visit.page.wait_for_load_state()
    assert visit.page.evaluate("document.documentElement.lang") == "ko" and "플랫폼 소개" in visit.page.content()
    assert visit.problems == []


def test_every_control_of_the_home_page_is_reached_by_keyboard(visit):
    visit.goto("/?lang=en")
    visit.map_ready()
    controls = visit.page.evaluate(
        "[...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex=\"-1\"])')]"
        ".filter(e => e.offsetParent !== null || e.classList.contains('skip')).length"
    )
    reached = []
    for _ in range(controls + 5):
        visit.page.keyboard.press("Tab")
        reached.append(visit.page.evaluate("(() => { const e = document.activeElement; return e.outerHTML.slice(0, 80); })()"))
    assert "Skip to content" in reached[0]
    for wanted in ("old-units", "lang=ko", "/about", "/signin", "maplibregl-canvas", "Zoom in"):
        assert any(wanted in r for r in reached), (wanted, reached)
    assert sum("data-center" in r for r in reached) == 4, reached  # the four core cities' buttons
    # the skip link leads to the content
    visit.goto("/?lang=en")
    visit.page.keyboard.press("Tab")
    visit.page.keyboard.press("Enter")
    assert visit.page.evaluate("location.hash") == "#main"


def test_the_home_map_fits_a_phone(open_tab):
    phone = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    phone.goto("/?lang=vi")
    phone.map_ready()
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    map_box = phone.page.locator("#map").bounding_box()
    assert width <= 360 and map_box["width"] >= 340 and map_box["height"] >= 300, (width, map_box)
    phone.screenshot("home-vi-360px")
    assert phone.problems == []


def test_a_layer_filtered_through_the_api_and_downloaded(visit, tmp_path):
    visit.goto("/ogc/collections/schools/items?f=html&lang=en")
    visit.map_ready()
    everything = visit.page.locator("table tbody tr").count()
    visit.page.get_by_label("Filter (CQL2, sent to the API)").fill("city = 'Đà Nẵng'")
    visit.page.get_by_label("Per page").select_option("50")
    visit.page.get_by_role("button", name="Apply").click()
    visit.page.wait_for_load_state()
    visit.map_ready()
    assert "filter=city" in visit.page.url  # the filter went to the API, not into a loop in the page
    cities = set(visit.page.locator("table tbody tr td:nth-child(3)").all_inner_texts())
    assert cities == {"Đà Nẵng"} and everything >= 1, cities
    assert visit.page.evaluate("vkcMap.queryRenderedFeatures({layers: ['points', 'markers']}).length") >= 1
    with visit.page.expect_download() as download:
        visit.page.get_by_role("link", name="CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "schools.csv" and saved.read_text(encoding="utf-8").count("\n") > 10
    assert visit.problems == []


def test_air_quality_pages_rank_the_stations_and_chart_a_station(visit):
    visit.goto("/air?lang=en")
    values = [int(v) for v in visit.page.locator("td.num .aqi").all_inner_texts()]
    assert len(values) >= 20 and values == sorted(values, reverse=True)  # worst first
    visit.page.get_by_role("link", name="US AQI").click()
    visit.page.wait_for_load_state()
    assert "index=us" in visit.page.url and visit.page.locator("th").nth(2).inner_text() == "US AQI"
    visit.page.locator("tbody a").first.click()
    visit.page.wait_for_load_state()
    visit.until("document.getElementById('charts').dataset.loaded === 'true'")
    assert visit.page.locator(".uplot").count() == 3  # hourly, each pollutant, daily
    legend = visit.page.locator("#pollutants .u-legend").inner_text()
    for pollutant in ("PM25", "PM10", "O3", "CO", "SO2", "NO2"):
        assert pollutant in legend
    # the category's colour carries readable text (WCAG AA: a contrast of 4.5 at least)
    contrast = visit.page.evaluate(
        """(() => { const e = document.querySelector('.aqi.big'); const s = getComputedStyle(e);
        const lum = (c) => { const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(Number).map((v) => v / 255)
          .map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x); return (a + 0.05) / (b + 0.05); })()"""
    )
    assert contrast >= 4.5, contrast
    assert visit.problems == []


def test_signing_in_and_out_in_the_browser(visit):
    from browser import PASSWORD, USER

    visit.goto("/air?lang=ko")
    visit.page.get_by_role("link", name="로그인").click()
    visit.page.wait_for_load_state()
    assert visit.page.evaluate("document.documentElement.lang") == "ko" and "/signin?next=/air" in visit.page.url
    visit.page.get_by_label("사용자 이름").fill(USER)
    visit.page.get_by_label("비밀번호").fill("not the password")
    visit.page.get_by_role("button", name="로그인").click()
    visit.page.wait_for_load_state()
    assert visit.page.locator("[role=alert]").count() == 1  # refused, said so on the page
    visit.problems[:] = [p for p in visit.problems if "401" not in p]  # the refusal's own status
    visit.page.get_by_label("사용자 이름").fill(USER)
    visit.page.get_by_label("비밀번호").fill(PASSWORD)
    visit.page.get_by_role("button", name="로그인").click()
    visit.page.wait_for_load_state()
    assert visit.page.url.endswith("/air") and visit.page.locator(".account a").first.inner_text() == USER
    cookie = next(c for c in visit.page.context.cookies() if c["name"] == "vkc_session")
    assert cookie["httpOnly"] and cookie["sameSite"] in ("Strict", "Lax")
    visit.page.get_by_role("button", name="로그아웃").click()
    visit.page.wait_for_load_state()
    assert visit.page.get_by_role("link", name="로그인").count() == 1
    assert visit.problems == []


def _click_hanoi(visit) -> None:
    """Fly to Hà Nội with its button, then click its centre (105.85, 21.03) on the map's canvas: no station is drawn there."""
    visit.page.locator(".cities button").first.click()
    visit.until("Math.abs(vkcMap.getCenter().lat - 21.03) < 0.05 && !vkcMap.isMoving()")
    visit.map_ready()
    x, y = visit.page.evaluate("(() => { const p = vkcMap.project([105.85, 21.03]); return [p.x, p.y]; })()")
    assert visit.page.evaluate(f"vkcMap.queryRenderedFeatures([{x}, {y}], {{layers: ['stations']}}).length") == 0
    visit.page.locator("#map canvas").click(position={"x": x, "y": y})


def test_clicking_a_province_shows_its_layers_and_stations(visit):
    visit.goto("/?lang=en")
    visit.map_ready()
    _click_hanoi(visit)
    visit.until("document.querySelector('#selected .unit-holdings')?.dataset.state === 'loaded'")
    panel = visit.page.locator("#selected")
    assert panel.locator(".name").inner_text() == "Ha Noi" and panel.locator(".code").inner_text() == "01"
    expected = visit.page.evaluate("fetch('/api/provinces/01/holdings?date=2025-07-01').then((r) => r.json())")
    counts = {e["id"]: e["count"] for s in expected["holdings"] if s["kind"] == "collections" for e in s["entries"]}
    assert "admin_units" not in counts and counts["buildings"] > 100 and counts["aq_stations"] >= 10, counts
    layers = panel.locator(".unit-layers li")
    assert layers.count() == len(counts)
    for name, count in counts.items():
        item = panel.locator(f".unit-layers li[data-collection='{name}']")
        assert item.locator(".count").inner_text() == f"{count:,} feature" + ("" if count == 1 else "s"), name
        if count:
            assert item.locator("a").get_attribute("href").startswith(f"/ogc/collections/{name}/items?f=html&bbox=")
    stations = panel.locator(".unit-stations li")
    (listed,) = [s["entries"] for s in expected["holdings"] if s["kind"] == "air_quality_stations"]
    assert stations.count() == len(listed) >= 10
    first = stations.first
    assert int(first.locator(".aqi").inner_text()) > 0
    assert first.locator(".aqi").evaluate("(e) => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"  # the category's colour
    assert first.locator(".category").inner_text() in ("Good", "Moderate", "Poor", "Bad", "Very bad", "Hazardous")
    assert first.locator("a").get_attribute("href").startswith("/air/stations/")
    visit.screenshot("home-province-en")
    # a layer's link leads to its features around the province, drawn on the map
    panel.locator(".unit-layers li[data-collection='schools'] a").click()
    visit.page.wait_for_load_state()
    visit.map_ready()
    assert "/ogc/collections/schools/items" in visit.page.url and "bbox=" in visit.page.url
    assert visit.page.locator("table tbody tr").count() >= 1
    assert visit.problems == []


def test_the_province_panel_says_it_is_loading_and_when_loading_failed(visit):
    held = []
    visit.page.route("**/api/provinces/**", lambda route: held.append(route))  # the answer is held back until the test gives one
    visit.goto("/?lang=vi")
    visit.map_ready()
    _click_hanoi(visit)
    visit.until("document.querySelector('#selected .unit-holdings')?.dataset.state === 'loading'")
    assert "Đang tra cứu" in visit.page.locator("#selected .unit-holdings").inner_text()
    while not held:
        visit.page.wait_for_timeout(50)
    held[0].fulfill(status=503, content_type="application/problem+json", body='{"status": 503, "title": "Busy"}')
    visit.until("document.querySelector('#selected .unit-holdings')?.dataset.state === 'failed'")
    alert = visit.page.locator("#selected [role=alert]")
    assert alert.inner_text() == "Không tải được dữ liệu của nền tảng cho tỉnh, thành phố này."
    # the refused request as the browser reports it, and nothing else: the page itself threw no error
    assert all("503" in p for p in visit.problems) and visit.problems, visit.problems


def test_the_home_map_names_the_provinces_in_the_visitor_s_language_without_overlaps(visit):
    visit.goto("/?lang=ko")
    visit.map_ready()
    boxes = visit.page.evaluate(
        """[...document.querySelectorAll('.map-label:not(.hidden)')].map((e) => { const b = e.getBoundingClientRect();
        return {code: e.dataset.code, text: e.textContent, box: [b.left, b.top, b.right, b.bottom]}; })"""
    )
    assert len(boxes) >= 10, boxes  # most of the 34 at the first view; the crowded north waits for a closer zoom
    assert {"01", "48", "79", "92"} <= {b["code"] for b in boxes}, boxes  # the four core cities always named
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            ax0, ay0, ax1, ay1 = a["box"]
            bx0, by0, bx1, by1 = b["box"]
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, (a, b)
    visit.page.evaluate("vkcMap.jumpTo({center: [105.85, 21.03], zoom: 8})")  # closer: Hà Nội's name has room, in Korean
    visit.until("document.querySelector('.map-label[data-code=\"01\"]:not(.hidden)')?.textContent === '하노이'")
    # a name over the map is never in the way of a click on it
    assert visit.page.evaluate("getComputedStyle(document.querySelector('.map-label')).pointerEvents") == "none"
    assert visit.problems == []
