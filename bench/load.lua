-- One request kind of bench/run_load.py, for wrk: paths rotated from $PATHS_FILE, POST bodies
-- made per request, the bearer token in $TOKEN; counts responses by status and prints one JSON
-- line of figures when the run ends.
--
-- $PATHS_FILE: one request a line, "PATH" or "PATH<TAB>ARG" (ARG: the Datastream of an observation).
-- $BODY: empty (GET), "feature" (a GeoJSON point feature) or "observation" (a SensorThings Observation).

local entries = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  local path, arg = line:match("^([^\t]+)\t?(.*)$")
  entries[#entries + 1] = {path, arg}
end
local body_kind = os.getenv("BODY") or ""
local token = os.getenv("TOKEN") or ""
local headers = {}
if token ~= "" then headers["Authorization"] = "Bearer " .. token end
if body_kind == "feature" then headers["Content-Type"] = "application/geo+json" end
if body_kind == "observation" then headers["Content-Type"] = "application/json" end

-- per thread: which one it is (set by setup), what it has sent and what came back
thread_no, thread_count = 0, 1
statuses, samples = {}, {}
local i, sent = 0, 0
local threads = {}
-- observations go to 2024, before the demo's year, one second apart: (Datastream, time) stays unique
local first_second = tonumber(os.getenv("FIRST_SECOND") or "1704067200")

setup = function(thread)
  thread:set("thread_no", #threads)
  threads[#threads + 1] = thread
  for _, t in ipairs(threads) do t:set("thread_count", #threads) end
end

init = function(args)
  math.randomseed(os.time() + thread_no * 7919)
  i = thread_no
end

request = function()
  i = i % #entries + 1
  local path, arg = entries[i][1], entries[i][2]
  if body_kind == "" then
    return wrk.format("GET", path, headers)
  end
  sent = sent + 1
  local body
  if body_kind == "feature" then
    body = string.format(
      '{"type":"Feature","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},"properties":{"city":"Hà Nội","name":"load %d-%d","mode":"bus","routes":%d}}',
      105.78 + math.random() * 0.12, 20.98 + math.random() * 0.1, thread_no, sent, math.random(1, 12))
  else
    local second = first_second + sent * thread_count + thread_no
    body = string.format('{"Datastream":{"@iot.id":%s},"phenomenonTime":"%s","result":%.2f}',
      arg, os.date("!%Y-%m-%dT%H:%M:%SZ", second), math.random() * 80)
  end
  return wrk.format("POST", path, headers, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 400 and not samples[status] then
    samples[status] = string.sub(body or "", 1, 300)
  end
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

done = function(summary, latency, requests)
  local counts, first = {}, {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do counts[k] = (counts[k] or 0) + v end
    for k, v in pairs(t:get("samples")) do first[k] = first[k] or v end
  end
  local parts = {}
  for k, v in pairs(counts) do parts[#parts + 1] = string.format('"%d":%d', k, v) end
  local texts = {}
  for k, v in pairs(first) do texts[#texts + 1] = string.format('"%d":%s', k, json_string(v)) end
  local e = summary.errors
  io.write(string.format(
    '\nLOAD_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"non_2xx_3xx":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"statuses":{%s},"samples":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(parts, ","), table.concat(texts, ",")))
end
