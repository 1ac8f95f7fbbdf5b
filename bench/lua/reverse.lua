-- Reverse seeded receipts, each once: bench_seed lists them in a file, one "order receipt" pair
-- a line. Thread t takes the pairs t, t+threads, t+2*threads, ...; past the end it starts over,
-- and a receipt reversed already is refused (an error the benchmark counts), so the seeder makes
-- more than a run reverses.
-- Arguments: key receipts_file threads
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local pairs_, step, n = {}, 1, 0
function init(args)
  common.init(args)
  for line in io.lines(args[2]) do
    local order, receipt = line:match("^(%d+) (%d+)$")
    pairs_[#pairs_ + 1] = { order, receipt }
  end
  step = tonumber(args[3])
  n = thread_id or 0
end
request = function()
  local pair = pairs_[n % #pairs_ + 1]
  n = n + step
  return wrk.format("POST", "/v2/purchase_orders/se-" .. pair[1] .. "/receives/se-" .. pair[2] .. "/reversal",
    nil, "")
end
