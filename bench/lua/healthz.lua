-- Baseline: an endpoint of the same server that does no storage work.
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
function init(args) common.init(args) end
request = function() return wrk.format("GET", "/healthz") end
