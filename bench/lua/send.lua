-- Send a random open purchase order to its supplier: its order summary PDF rendered and queued
-- as a mail in the outbox, sent by the server's mailer to the benchmark's SMTP sink.
-- Arguments: key first_open_id last_open_id
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local first, last = 1, 1
function init(args)
  common.init(args)
  first, last = tonumber(args[2]), tonumber(args[3])
  math.randomseed(os.time() + 13 * (thread_id or 0))
end
request = function()
  return wrk.format("POST", "/v2/purchase_orders/se-" .. math.random(first, last) .. "/send", nil,
    '{"to":["orders@supplier.example"]}')
end
