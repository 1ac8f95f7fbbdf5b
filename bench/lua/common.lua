-- Shared by every workload: the API key from the first script argument, and a summary line
-- that bench/run.py parses.
local common = {}

function common.init(args)
  wrk.headers["API-Key"] = args[1]
  wrk.headers["Content-Type"] = "application/json"
end

-- Each thread gets a number, so that generated values never collide between threads.
local next_thread = 0
function common.setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function common.done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    "BENCH {\"requests\": %d, \"duration_us\": %d, \"errors\": %d, \"non_2xx\": %d, " ..
    "\"p50_us\": %d, \"p99_us\": %d, \"p999_us\": %d}\n",
    summary.requests, summary.duration, errors, e.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end

return common
