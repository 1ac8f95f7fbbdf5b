-- Open draft purchase orders, each one once: thread t takes ids first+t, first+t+threads, ...
-- Arguments: key first_draft_id last_draft_id threads
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local next_id, last, step = 0, 0, 1
function init(args)
  common.init(args)
  step = tonumber(args[4])
  next_id = tonumber(args[2]) + (thread_id or 0)
  last = tonumber(args[3])
end
request = function()
  local id = next_id
  next_id = next_id + step
  if id > last then
    -- Out of drafts: asking for the current status again is a valid no-op.
    id = last - ((id - last) % 1000)
  end
  return wrk.format("POST", "/v2/purchase_orders/se-" .. id .. "/status", nil, '{"status":"open"}')
end
