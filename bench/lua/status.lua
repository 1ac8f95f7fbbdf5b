-- Status changes, each a real change for as long as the seeded drafts last twice over: the first
-- pass opens every draft, the second cancels every order the first opened (open -> cancelled is
-- allowed), and any later request asks for `cancelled` again, a valid no-op.
-- Thread t takes the requests t, t+threads, t+2*threads, ... of that sequence.
-- Arguments: key first_draft_id last_draft_id threads
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local first, count, step, n = 0, 1, 1, 0
function init(args)
  common.init(args)
  first = tonumber(args[2])
  count = tonumber(args[3]) - first + 1
  step = tonumber(args[4])
  n = thread_id or 0
end
request = function()
  local pass = math.floor(n / count)
  local id = first + n % count
  n = n + step
  local target = pass == 0 and "open" or "cancelled"
  return wrk.format("POST", "/v2/purchase_orders/se-" .. id .. "/status", nil,
    '{"status":"' .. target .. '"}')
end
