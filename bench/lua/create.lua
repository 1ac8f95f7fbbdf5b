-- Create a purchase order with 3 lines, distinct SKUs and a unique reference number.
-- Arguments: key supplier_id warehouse_id [keyed]
-- With "keyed", every request carries a fresh Idempotency-Key, as a client that retries safely
-- sends it.
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local supplier, warehouse, keyed, run, n = nil, nil, false, os.time(), 0
function init(args)
  common.init(args)
  supplier, warehouse, keyed = args[2], args[3], args[4] == "keyed"
end
request = function()
  n = n + 1
  local tag = string.format("%d-%d", thread_id or 0, n)
  local body = string.format(
    '{"supplier_id":"%s","warehouse_id":"%s","reference_number":"B-%s","payment_terms":"net_30",' ..
    '"products":[{"sku":"A-%s","quantity":10,"cost":9.99},{"sku":"B-%s","quantity":5,"cost":0.5},' ..
    '{"sku":"C-%s","supplier_sku":"S-%s","quantity":1}]}',
    supplier, warehouse, tag, tag, tag, tag, tag)
  local headers = nil
  if keyed then
    -- wrk.format sends only the headers it is given, so the common ones are copied in.
    headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    -- Unique across runs on one database too (a run starts at a later second).
    headers["Idempotency-Key"] = string.format("bench-create-%d-%s", run, tag)
  end
  return wrk.format("POST", "/v2/purchase_orders", headers, body)
end
