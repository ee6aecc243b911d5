-- wrk script for safedesk's benchmarks: rotates request paths read from the file named by
-- SAFEDESK_BENCH_PATHS and, when done, prints one line "RESULT {json}" (latencies in µs).
local list = {}
for line in io.lines(os.getenv("SAFEDESK_BENCH_PATHS")) do
  if #line > 0 then table.insert(list, line) end
end
local i = 0

request = function()
  i = i % #list + 1
  return wrk.format("GET", list[i])
end

done = function(summary, latency, _)
  local errs = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, errs.status,
    errs.connect + errs.read + errs.write + errs.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
