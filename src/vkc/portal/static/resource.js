// A page of features (or one) from the OGC API on the map, over the provinces drawn from the platform's own tiles.
import { openMap } from "./basemap.js";

const element = document.getElementById("map");
const features = JSON.parse(document.getElementById("features").textContent);
const { map } = await openMap(element, {
  sources: {
    features: { type: "geojson", data: features },
    markers: { type: "geojson", data: { type: "FeatureCollection", features: [] } },
  },
  layers: [
    { id: "areas", type: "fill", source: "features", filter: ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]], paint: { "fill-color": "#1a55a0", "fill-opacity": 0.35 } },
    { id: "lines", type: "line", source: "features", filter: ["!", ["in", ["geometry-type"], ["literal", ["Point", "MultiPoint"]]]], paint: { "line-color": "#123d6a", "line-width": 2 } },
    // a line or an area too small to see at this zoom still shows where it is
    { id: "markers", type: "circle", source: "markers", maxzoom: 15,
      paint: { "circle-radius": 4, "circle-color": "#1a55a0", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
    { id: "points", type: "circle", source: "features", filter: ["in", ["geometry-type"], ["literal", ["Point", "MultiPoint"]]],
      paint: { "circle-radius": 6, "circle-color": "#d9480f", "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } },
  ],
});

// the data's extent (every coordinate of every geometry), and a marker at the middle of each line or area
function bounds(c, box = [Infinity, Infinity, -Infinity, -Infinity]) {
  if (typeof c[0] === "number") {
    box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]); box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
  } else for (const inner of c) bounds(inner, box);
  return box;
}
const all = [Infinity, Infinity, -Infinity, -Infinity];
const markers = [];
for (const f of features.features) {
  if (!f.geometry) continue;
  const box = bounds(f.geometry.coordinates ?? f.geometry.geometries?.map((g) => g.coordinates) ?? []);
  bounds([[box[0], box[1]], [box[2], box[3]]], all);
  if (!f.geometry.type.endsWith("Point")) {
    markers.push({ type: "Feature", properties: { id: f.id }, geometry: { type: "Point", coordinates: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2] } });
  }
}
const [west, south, east, north] = all;
map.on("load", () => {
  map.getSource("markers").setData({ type: "FeatureCollection", features: markers });
  if (west <= east) map.fitBounds([[west, south], [east, north]], { padding: 40, maxZoom: 16, duration: 0 });
  map.once("idle", () => { element.dataset.loaded = "true"; });
});
