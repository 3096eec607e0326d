-- wrk script for make bench's mixed cell: every request a chart no cache holds yet (SVG and PNG
-- of the cut-off chart at every width, then every min_crs), so each one is built and drawn.
-- Environment: FLOOD_FIRST (an offset, so two runs ask for different charts; default 0).
-- Prints wrk.lua's RESULT line (its errors: socket errors and statuses >= 400, the 503s of a
-- full chart queue); WRK_BODY_FILE and WRK_IF_NONE_MATCH must be empty.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk.lua")

local n = tonumber(os.getenv("FLOOD_FIRST") or "0") or 0

request = function()
  n = n + 1
  local suffix = (n % 2 == 1) and "png" or "svg"
  local path = string.format("/v1/charts/crs.%s?width=%d&min_crs=%d", suffix, 320 + n % 1281,
    math.floor(n / 1281) % 400 + 100)
  return wrk.format("GET", path)
end

-- A 503 (the chart queue full) says Retry-After: 2, and the flood's next request waits that
-- long: without it wrk would turn the cell into a flood of instant 503s (2,000 a second), which
-- measures refusals, and is what the rate limit (off in the bench) is for.
local wait_ms = 0

response = function(status, headers, body)
  wait_ms = (status == 503) and 2000 or 0
end

delay = function()
  return wait_ms
end
