-- GET /get/k:<i> for i uniformly random in [1, n], n being the first script
-- argument (the number of preloaded keys k:1 ... k:<n>): every request is a
-- hit.
local n = 1

function init(args)
  n = tonumber(args[1]) or 1
  math.randomseed(42)
end

function request()
  return wrk.format("GET", "/get/k:" .. math.random(1, n))
end
