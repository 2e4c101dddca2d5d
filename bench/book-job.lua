-- wrk script: every request books a fresh, non-overlapping slot, so the server does the full
-- check-and-insert path each time (no request is a cheap conflict). Thread i books on its own days.
local thread_index = 0
function setup(thread)
  thread:set("tid", thread_index)
  thread_index = thread_index + 1
end

local n = 0
local inspectors = { "martin", "ana", "li" }
function request()
  n = n + 1
  -- 4 slots a day per inspector (2 h each, from 08:00), 3 inspectors: 12 bookings a day.
  local k = n - 1
  local inspector = inspectors[(k % 3) + 1]
  local slot = math.floor(k / 3) % 4
  local day = math.floor(k / 12) + (tid or 0) * 100000
  local t = os.time({ year = 2030, month = 1, day = 1, hour = 8 + slot * 2 }) + day * 86400
  local body = string.format('{"serviceId":"full-inspection","inspectorId":"%s","datetime":"%s",' ..
    '"address":"1 Bench St","customer":{"name":"bench","email":"b@example.com"}}',
    inspector, os.date("!%Y-%m-%dT%H:%M:%SZ", t))
  return wrk.format("POST", "/inspection/book-job",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer acme-key" }, body)
end

local statuses = {}
function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end
