-- The web app's orders page of 50, with a signed-in user's session cookie.
-- Arguments: key session_token path_and_query
package.path = package.path .. ";bench/lua/?.lua"
local common = require("common")
setup = common.setup
done = common.done
local path = "/app/orders?status=draft"
function init(args)
  wrk.headers["Cookie"] = "procura_session=" .. args[2]
  if args[3] then path = args[3] end
end
request = function() return wrk.format("GET", path) end
