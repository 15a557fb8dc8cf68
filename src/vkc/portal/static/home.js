// The home map: the platform's own vector tiles of the provinces (34 since 2025-07-01, the 63 before one toggle away)
// and the air-quality stations coloured by their VN_AQI category. No external tiles, fonts or scripts.
import { BEFORE_REFORM, openMap } from "./basemap.js";

const element = document.getElementById("map");
const messages = JSON.parse(document.getElementById("messages").textContent);
const lang = element.dataset.lang;
// the stations' request goes out at once, beside the map library's loading, not after it
const stationsAnswer = fetch(element.dataset.stations, { headers: { Accept: "application/geo+json" } });
const { map, maplibregl } = await openMap(element, {
  attributionControl: { compact: true, customAttribution: messages.attribution },
  maxBounds: [[95, 4], [118, 27]],
  fill: ["case", ["boolean", ["feature-state", "selected"], false], "#f2d479", "#f4f1e8"],
  sources: { stations: { type: "geojson", data: { type: "FeatureCollection", features: [] } } },
  layers: [
    { id: "old-units-line", type: "line", source: "units", "source-layer": element.dataset.layer, filter: BEFORE_REFORM,
      layout: { visibility: "none" }, paint: { "line-color": "#b4412f", "line-width": 1.2, "line-dasharray": [2, 2] } },
    { id: "stations", type: "circle", source: "stations",
      paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 5, 5, 12, 9],
               "circle-color": ["coalesce", ["get", "color"], "#9ca3af"],
               "circle-stroke-color": "#1f2937", "circle-stroke-width": 1 } },
  ],
});
map.addControl(new maplibregl.ScaleControl(), "bottom-left");

// The provinces' names: page text over the map (the map draws no text of its own: it has no glyphs, and fetches none),
// in the visitor's language, the core cities first and then the largest provinces; a name that would cover one already
// placed waits for a closer zoom.
const LABELS_FROM_ZOOM = 4.5;
const labels = messages.labels.map((label) => {
  const node = document.createElement("span");
  node.className = "map-label";
  node.textContent = label.name;
  node.setAttribute("aria-hidden", "true"); // the same names are in the page's text for assistive technology
  node.dataset.code = label.code;
  new maplibregl.Marker({ element: node }).setLngLat(label.at).addTo(map);
  return node;
});
function placeLabels() {
  const placed = [];
  const show = map.getZoom() >= LABELS_FROM_ZOOM;
  for (const node of labels) {
    const box = node.getBoundingClientRect();
    const free = show && !placed.some((b) => box.left < b.right && box.right > b.left && box.top < b.bottom && box.bottom > b.top);
    node.classList.toggle("hidden", !free);
    if (free) placed.push(box);
  }
}
map.on("load", placeLabels);
map.on("moveend", placeLabels);
// The stations' latest AQI: nested objects in the API's GeoJSON, kept by id here; the map's source gets flat properties.
const stationDetails = new Map();
async function loadStations() {
  const response = await stationsAnswer;
  if (!response.ok) throw new Error(`${element.dataset.stations}: HTTP ${response.status}`);
  const body = await response.json();
  for (const f of body.features) stationDetails.set(f.id, f.properties);
  map.getSource("stations").setData({
    type: "FeatureCollection",
    features: body.features.map((f) => ({ type: "Feature", id: f.id, geometry: f.geometry,
      properties: { station: f.id, color: f.properties.vn?.category?.color ?? null, aqi: f.properties.vn?.aqi ?? null } })),
  });
}
// data-loaded marks the map whose data has all come (the browser tests and the benchmark wait for it, then for the tiles)
map.on("load", () => loadStations().then(() => { element.dataset.loaded = "true"; }, (error) => console.error(`stations: ${error.message}`)));

const selected = document.getElementById("selected");
let selectedUnit = null;
let holdingsRequest = null; // the province holdings' request in flight (an AbortController)

function show(template, fill) {
  const node = document.getElementById(template).content.cloneNode(true);
  fill(node);
  selected.replaceChildren(node);
}

function unitName(p) {
  return p[`name_${lang}`] || p.name_vi || p.name_en;
}

map.on("click", (event) => {
  const station = map.queryRenderedFeatures(event.point, { layers: ["stations"] })[0];
  if (station) {
    holdingsRequest?.abort();
    const p = stationDetails.get(station.properties.station);
    const vn = p.vn?.aqi == null ? null : p.vn; // a station whose latest hour has no data has no index
    show("station-template", (node) => {
      node.querySelector(".name").textContent = p.name;
      node.querySelector(".aqi").textContent = vn ? `VN_AQI ${vn.aqi}` : messages.no_data;
      node.querySelector(".category").textContent = vn ? vn.category[lang] || vn.category.en : "";
      node.querySelector(".advice").textContent = vn ? vn.advice.general[lang] || vn.advice.general.en : "";
      node.querySelector(".time").textContent = p.time ? new Date(p.time).toLocaleString(lang) : "";
      node.querySelector(".more").href = `/air/stations/${encodeURIComponent(p.station)}`;
    });
    return;
  }
  const unit = map.queryRenderedFeatures(event.point, { layers: ["units"] })[0];
  if (!unit) return;
  if (selectedUnit !== null) map.setFeatureState(selectedUnit, { selected: false });
  selectedUnit = { source: "units", sourceLayer: element.dataset.layer, id: unit.id };
  map.setFeatureState(selectedUnit, { selected: true });
  const p = unit.properties;
  show("unit-template", (node) => {
    node.querySelector(".name").textContent = unitName(p);
    node.querySelector(".kind").textContent = lang === "vi" ? p.type : (messages.types[p.type] || p.type);
    node.querySelector(".code").textContent = p.gso_code;
    node.querySelector(".valid").textContent = `${p.valid_from || "…"} – ${p.valid_to || messages.today}`;
    node.querySelector(".more").href = `/ogc/collections/${element.dataset.layer}/items/${encodeURIComponent(p.id)}?f=html`;
  });
  showHoldings(p);
});

// What the platform holds for the selected province (/api/provinces/{code}/holdings): its layers with their
// features in it, its stations with their latest VN_AQI. A newer selection cancels the request of the one before.
async function showHoldings(p) {
  holdingsRequest?.abort();
  const request = holdingsRequest = new AbortController();
  const panel = selected.querySelector(".unit-holdings");
  const url = new URL(element.dataset.holdings.replace("{code}", encodeURIComponent(p.gso_code)), location.origin);
  if (p.valid_from) url.searchParams.set("date", p.valid_from); // the unit this polygon is: a GSO code is a key only with a date
  let body;
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" }, signal: request.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    if (request.signal.aborted) return;
    panel.replaceChildren(document.getElementById("holdings-failed-template").content.cloneNode(true));
    panel.dataset.state = "failed";
    panel.removeAttribute("aria-busy");
    return;
  }
  if (request.signal.aborted) return;
  const node = document.getElementById("holdings-template").content.cloneNode(true);
  for (const section of body.holdings) {
    if (section.kind === "collections") node.querySelector(".unit-layers").replaceChildren(...section.entries.map(layerItem));
    if (section.kind === "air_quality_stations") {
      node.querySelector(".unit-stations").replaceChildren(...section.entries.map(stationItem));
      node.querySelector(".no-stations").hidden = section.entries.length > 0;
    } // kinds this page does not know yet are left out
  }
  panel.replaceChildren(node);
  panel.dataset.state = "loaded";
  panel.removeAttribute("aria-busy");
}

function features(entry) {
  const count = (entry.count === 1 ? messages.features.one : messages.features.other).replace("{n}", entry.count.toLocaleString(lang));
  return entry.exact ? count : `≈ ${count}`; // the store's estimate
}

function layerItem(entry) {
  const item = document.createElement("li");
  const title = document.createElement(entry.count ? "a" : "span");
  title.textContent = entry.title;
  if (entry.count) title.href = entry.href;
  const count = document.createElement("span");
  count.className = "count";
  count.textContent = features(entry);
  item.append(title, " — ", count);
  item.dataset.collection = entry.id;
  return item;
}

function stationItem(entry) {
  const item = document.createElement("li");
  const badge = document.createElement("span");
  badge.className = "aqi";
  const category = document.createElement("span");
  category.className = "category";
  if (entry.vn) {
    badge.textContent = entry.vn.aqi;
    badge.style.background = entry.vn.category.color;
    badge.style.color = messages.ink[entry.vn.category.color] || "#000";
    category.textContent = entry.vn.category[lang] || entry.vn.category.en;
  } else {
    badge.textContent = "—";
    category.textContent = messages.no_data;
  }
  const link = document.createElement("a");
  link.href = entry.href;
  link.textContent = entry.title;
  item.append(badge, " ", link, " ", category);
  item.dataset.station = entry.id;
  return item;
}

for (const layer of ["stations", "units"]) {
  map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
}

document.getElementById("old-units").addEventListener("change", (event) => {
  map.setLayoutProperty("old-units-line", "visibility", event.target.checked ? "visible" : "none");
});

for (const button of document.querySelectorAll(".cities button")) {
  button.addEventListener("click", () => {
    const [lon, lat] = button.dataset.center.split(",").map(Number);
    map.flyTo({ center: [lon, lat], zoom: Number(button.dataset.zoom) });
  });
}
