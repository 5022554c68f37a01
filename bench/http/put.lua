-- PUT /set of keys <prefix><i> for i = 0, 1, 2, ..., each with a 32-byte
-- value and no ttl (the server's default TTL applies). Arguments: the prefix
-- ("p:" by default) and optionally a limit n: after i reaches n it sends
-- only GET /health. wrk calls request() once before the run and drops that
-- request, so a preload with limit n + 1 stores exactly k:1 ... k:<n>. With
-- wrk -t1 the counter is shared by all connections, so every key is new.
local prefix = "p:"
local limit = nil
local i = 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  prefix = args[1] or prefix
  limit = tonumber(args[2])
end

function request()
  if limit and i >= limit then
    return wrk.format("GET", "/health")
  end
  local body = '{"key":"' .. prefix .. i .. '","value":"value-of-32-bytes-0123456789abc"}'
  i = i + 1
  return wrk.format("PUT", "/set", headers, body)
end
