-- GET /get/miss:<i> for i = 0, 1, 2, ...: keys that were never stored.
local i = 0

function request()
  i = i + 1
  return wrk.format("GET", "/get/miss:" .. i)
end
