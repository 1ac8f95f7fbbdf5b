-- List a page of 50 purchase orders with a filter.
-- Arguments: key path_and_query
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local path = "/v2/purchase_orders?status=draft&page_size=50"
function init(args)
  common.init(args)
  if args[2] then path = args[2] end
end
request = function() return wrk.format("GET", path) end
