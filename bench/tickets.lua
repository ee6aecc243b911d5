-- wrk script for the tickets benchmark: rotates request paths (SAFEDESK_BENCH_PATHS, one per
-- line) and, for POST, request bodies (SAFEDESK_BENCH_BODIES, one per line); the method is
-- SAFEDESK_BENCH_METHOD (GET by default). Headers (cookies, CSRF token, content type) come from
-- wrk's -H options. When done it prints one line "RESULT {json}" (latencies in µs) with the
-- count of responses by status class, so a run of redirects cannot pass for a run of pages, and
-- the count of expected answers: a 2xx, or where SAFEDESK_BENCH_LOCATION is set (a form that
-- answers with post/redirect/get) a 3xx to exactly that location.
local function lines(name)
  local t = {}
  local path = os.getenv(name)
  if path and path ~= "" then
    for line in io.lines(path) do
      if #line > 0 then table.insert(t, line) end
    end
  end
  return t
end

local paths = lines("SAFEDESK_BENCH_PATHS")
local bodies = lines("SAFEDESK_BENCH_BODIES")
local method = os.getenv("SAFEDESK_BENCH_METHOD") or "GET"
local location = os.getenv("SAFEDESK_BENCH_LOCATION") or ""
local n = 0
classes = { 0, 0, 0, 0, 0, 0 }  -- global: done() reads each thread's copy; [6] = expected
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

request = function()
  n = n + 1
  local body = nil
  if #bodies > 0 then body = bodies[(n - 1) % #bodies + 1] end
  return wrk.format(method, paths[(n - 1) % #paths + 1], nil, body)
end

response = function(status, headers, body)
  local c = math.floor(status / 100)
  if c >= 1 and c <= 5 then classes[c] = classes[c] + 1 end
  if location == "" then
    if c == 2 then classes[6] = classes[6] + 1 end
  elseif c == 3 and (headers["Location"] or headers["location"]) == location then
    classes[6] = classes[6] + 1
  end
end

done = function(summary, latency, _)
  local errs = summary.errors
  local s2, s3, s4, s5, ok = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    local c = t:get("classes")
    s2, s3, s4, s5, ok = s2 + c[2], s3 + c[3], s4 + c[4], s5 + c[5], ok + c[6]
  end
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"s2xx":%d,"s3xx":%d,"s4xx":%d,"s5xx":%d,"expected":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, errs.status,
    errs.connect + errs.read + errs.write + errs.timeout,
    s2, s3, s4, s5, ok,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
