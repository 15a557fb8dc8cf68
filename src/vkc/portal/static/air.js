// A station's charts: the hourly and daily index and each pollutant's sub-index, drawn by uPlot (npm).
// Hours and days without data are gaps (null), not lines across them.
const settings = document.getElementById("charts").dataset;
const series = JSON.parse(document.getElementById("series").textContent);
const { default: uPlot } = await import(settings.uplot);
const index = settings.index;
const POLLUTANTS = ["pm25", "pm10", "o3", "co", "so2", "no2"];
const COLOURS = ["#b4412f", "#d9480f", "#1a55a0", "#5c940d", "#862e9c", "#495057"];
const HOUR = 3600;

// a regular grid of hours from the first to the last, null where an hour is missing
function hourly(rows, pick) {
  if (!rows.length) return [[], []];
  const first = Date.parse(rows[0].time) / 1000, last = Date.parse(rows[rows.length - 1].time) / 1000;
  const byTime = new Map(rows.map((r) => [Date.parse(r.time) / 1000, r]));
  const xs = [];
  for (let t = first; t <= last; t += HOUR) xs.push(t);
  return [xs, ...pick.map((f) => xs.map((t) => (byTime.has(t) ? f(byTime.get(t)) ?? null : null)))];
}

function chart(id, data, lines, options = {}) {
  const element = document.getElementById(id);
  const width = Math.max(280, element.clientWidth);
  new uPlot({
    width, height: 220,
    series: [{}, ...lines.map(([label, stroke]) => ({ label, stroke, width: 2, spanGaps: false }))],
    axes: [{}, { label: "AQI" }],
    scales: { x: { time: true } },
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Asia/Ho_Chi_Minh"), // hours and days as Vietnam lives them
    ...options,
  }, data, element);
}

const idx = (r) => r[index]?.aqi;
chart("hourly", hourly(series.hours, [idx]), [[index === "vn" ? "VN_AQI" : "US AQI", "#123d6a"]]);
chart("pollutants", hourly(series.hours, POLLUTANTS.map((p) => (r) => r[index]?.sub?.[p])), POLLUTANTS.map((p, i) => [p.toUpperCase(), COLOURS[i]]));
const days = series.days.map((d) => Date.parse(`${d.date}T00:00:00+07:00`) / 1000);
chart("daily", [days, series.days.map((d) => idx(d) ?? null)], [[index === "vn" ? "VN_AQI" : "US AQI", "#b4412f"]]);
settings.loaded = "true";
