-- wrk script for make bench. Environment:
--   WRK_BODY_FILE      POST this file as application/json (GraphQL)
--   WRK_IF_NONE_MATCH  send this If-None-Match (the 304 revalidation cells)
--   WRK_HEADERS        more headers, "Name: value" separated by "|" (the MCP cell's Accept)
--   WRK_QUIET=1        print nothing (warm-up runs)
-- Prints one line: RESULT req_per_s p50_ms p99_ms errors resp_bytes requests
--   errors = connect + read + write + timeout errors + responses with HTTP status >= 400
--   resp_bytes = bytes read / responses completed (headers included; the reads of responses
--                still in flight at the end are counted too, so it can exceed one response)
-- No response() callback on purpose: with one, wrk copies every header and body into Lua, and
-- the ceiling measured here fell by ~30% on the 81 KB CSV (~5% on small bodies), since wrk shares
-- the 2 cores with the server. bench.sh checks statuses with a probe and response sizes instead.
local body_file = os.getenv("WRK_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
for header in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^|]+") do
  local name, value = string.match(header, "^%s*([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end
local etag = os.getenv("WRK_IF_NONE_MATCH")
if etag and etag ~= "" then
  wrk.headers["If-None-Match"] = etag
end

done = function(summary, latency, requests)
  if os.getenv("WRK_QUIET") == "1" then return end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local rps = summary.requests / (summary.duration / 1e6)
  local per_response = summary.requests > 0 and summary.bytes / summary.requests or 0
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n", rps, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors, per_response, summary.requests))
end
