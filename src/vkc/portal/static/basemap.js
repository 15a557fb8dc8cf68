// The base map every portal map draws on: the sea, and Vietnam's provinces from the platform's own vector tiles
// (those valid today; the units that ended on 2025-06-30 are in the same tiles, with a valid_to). No external tiles.
export const VIETNAM = [[102.1, 8.2], [109.6, 23.5]];
export const CURRENT = ["!", ["has", "valid_to"]];
export const BEFORE_REFORM = ["has", "valid_to"];
const LAND = "#f4f1e8";

// a tile URL template as the page gives it (braces percent-encoded by the template engine), made absolute
function tilesUrl(template) {
  return new URL(template, location.origin).href.replaceAll("%7B", "{").replaceAll("%7D", "}");
}

// The map in `element` (its data-maplibre: the library's module; data-tiles and data-layer: the units' tiles), with the
// page's own sources and layers above the base; `fill` colours the provinces (a MapLibre expression or a colour).
export async function openMap(element, { sources = {}, layers = [], fill = LAND, ...options } = {}) {
  const maplibregl = await import(element.dataset.maplibre);
  const layer = element.dataset.layer;
  const map = new maplibregl.Map({
    container: element,
    bounds: VIETNAM,
    ...options,
    style: {
      version: 8,
      sources: {
        // promoteId: the unit key (a feature-state needs an id; the MVT feature id is not on every backend)
        units: { type: "vector", tiles: [tilesUrl(element.dataset.tiles)], minzoom: 0, maxzoom: 10, promoteId: "id" },
        ...sources,
      },
      layers: [
        { id: "sea", type: "background", paint: { "background-color": "#d6e6f2" } },
        { id: "units", type: "fill", source: "units", "source-layer": layer, filter: CURRENT, paint: { "fill-color": fill, "fill-outline-color": "#8a8f98" } },
        { id: "units-line", type: "line", source: "units", "source-layer": layer, filter: CURRENT, paint: { "line-color": "#6b7280", "line-width": 0.8 } },
        ...layers,
      ],
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.on("error", (event) => console.error(`map: ${event.error?.message || event.error}`));
  window.vkcMap = map; // for the portal's browser tests and for anyone's console
  return { map, maplibregl };
}
