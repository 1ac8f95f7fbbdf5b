-- Receive one unit of a random line of a random open purchase order (lines are huge).
-- Arguments: key first_open_id last_open_id location_id
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local first, last, location = 1, 1, ""
function init(args)
  common.init(args)
  first, last, location = tonumber(args[2]), tonumber(args[3]), args[4]
  math.randomseed(os.time() + 7 * (thread_id or 0))
end
request = function()
  local id = math.random(first, last)
  local sku = "R-" .. math.random(0, 2)  -- every open seeded order has lines R-0, R-1, R-2
  local body = string.format(
    '{"product_receives":[{"sku":"%s","inventory_location_id":"%s","received_quantity":1}]}', sku, location)
  return wrk.format("POST", "/v2/purchase_orders/se-" .. id .. "/receives", nil, body)
end
