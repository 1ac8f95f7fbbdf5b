-- Create a purchase order with 3 lines, distinct SKUs and a unique reference number.
-- Arguments: key supplier_id warehouse_id
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local supplier, warehouse, n = nil, nil, 0
function init(args)
  common.init(args)
  supplier, warehouse = args[2], args[3]
end
request = function()
  n = n + 1
  local tag = string.format("%d-%d", thread_id or 0, n)
  local body = string.format(
    '{"supplier_id":"%s","warehouse_id":"%s","reference_number":"B-%s","payment_terms":"net_30",' ..
    '"products":[{"sku":"A-%s","quantity":10,"cost":9.99},{"sku":"B-%s","quantity":5,"cost":0.5},' ..
    '{"sku":"C-%s","supplier_sku":"S-%s","quantity":1}]}',
    supplier, warehouse, tag, tag, tag, tag, tag)
  return wrk.format("POST", "/v2/purchase_orders", nil, body)
end
