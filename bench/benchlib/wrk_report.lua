-- wrk script: count responses by status and print the figures as one JSON line at the end,
-- with the full latency histogram (microseconds -> count) so that runs can be merged.
-- Used by bench/benchlib/load.py.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  not_ok = 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local ok_total, not_ok_total = 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + (thread:get("ok") or 0)
    not_ok_total = not_ok_total + (thread:get("not_ok") or 0)
  end
  local hist = {}
  for i = 1, #latency do
    local value, count = latency(i)
    if count and count > 0 then
      table.insert(hist, string.format("[%d,%d]", value, count))
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us": %d, "requests": %d, "bytes": %d, "status_200": %d, ' ..
    '"status_other": %d, "err_connect": %d, "err_read": %d, "err_write": %d, ' ..
    '"err_status": %d, "err_timeout": %d, "histogram": [%s]}\n',
    summary.duration, summary.requests, summary.bytes, ok_total, not_ok_total,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(hist, ",")))
end
