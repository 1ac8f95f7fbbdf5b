-- One request on a purchase order taken at random among the seeded ones: by default a GET of the
-- order; with a path suffix, a GET of that (a document); with a body too, a POST of it (a send).
-- Arguments: key first_id last_id [suffix [body]]
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local first, last, suffix, body = 1, 1, "", nil
function init(args)
  common.init(args)
  first, last = tonumber(args[2]), tonumber(args[3])
  suffix, body = args[4] or "", args[5]
  math.randomseed(os.time() + (thread_id or 0))
end
request = function()
  local path = "/v2/purchase_orders/se-" .. math.random(first, last) .. suffix
  if body then
    return wrk.format("POST", path, nil, body)
  end
  return wrk.format("GET", path)
end
