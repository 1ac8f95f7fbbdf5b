-- A realistic mix: 50% get, 20% list, 15% create, 10% receive, 5% status change to receiving
-- (allowed from open, a no-op once receiving).
-- Arguments: key supplier_id warehouse_id first_id last_id first_open last_open location_id
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local a = {}
local n = 0
function init(args)
  common.init(args)
  a.supplier, a.warehouse = args[2], args[3]
  a.first, a.last = tonumber(args[4]), tonumber(args[5])
  a.open_first, a.open_last, a.location = tonumber(args[6]), tonumber(args[7]), args[8]
  math.randomseed(os.time() + 13 * (thread_id or 0))
end
request = function()
  local r = math.random(100)
  if r <= 50 then
    return wrk.format("GET", "/v2/purchase_orders/se-" .. math.random(a.first, a.last))
  elseif r <= 70 then
    return wrk.format("GET", "/v2/purchase_orders?status=draft&page_size=50")
  elseif r <= 85 then
    n = n + 1
    local tag = string.format("m%d-%d", thread_id or 0, n)
    local body = string.format(
      '{"supplier_id":"%s","warehouse_id":"%s","reference_number":"M-%s",' ..
      '"products":[{"sku":"A-%s","quantity":10,"cost":9.99},{"sku":"B-%s","quantity":5},{"sku":"C-%s","quantity":1}]}',
      a.supplier, a.warehouse, tag, tag, tag, tag)
    return wrk.format("POST", "/v2/purchase_orders", nil, body)
  elseif r <= 95 then
    local id = math.random(a.open_first, a.open_last)
    local sku = "R-" .. math.random(0, 2)
    local body = string.format(
      '{"product_receives":[{"sku":"%s","inventory_location_id":"%s","received_quantity":1}]}', sku, a.location)
    return wrk.format("POST", "/v2/purchase_orders/se-" .. id .. "/receives", nil, body)
  else
    local id = math.random(a.open_first, a.open_last)
    return wrk.format("POST", "/v2/purchase_orders/se-" .. id .. "/status", nil, '{"status":"receiving"}')
  end
end
