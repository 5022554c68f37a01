-- DELETE /del/<prefix><i> for i = 0, 1, 2, ...: each deletes a key that the
-- PUT run stored (prefix "p:" by default), as long as the run does not
-- outlast what was stored (wrk then reports non-2xx responses).
local prefix = "p:"
local i = 0

function init(args)
  prefix = args[1] or prefix
end

function request()
  local r = wrk.format("DELETE", "/del/" .. prefix .. i)
  i = i + 1
  return r
end
