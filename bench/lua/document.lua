-- The order summary PDF of a random open purchase order (three lines).
-- Arguments: key first_open_id last_open_id
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local first, last = 1, 1
function init(args)
  common.init(args)
  first, last = tonumber(args[2]), tonumber(args[3])
  math.randomseed(os.time() + 11 * (thread_id or 0))
end
request = function()
  return wrk.format("GET", "/v2/purchase_orders/se-" .. math.random(first, last) .. "/documents/order_summary")
end
