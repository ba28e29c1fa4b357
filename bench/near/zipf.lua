-- wrk script of bench/run-near-cache-bench.sh: a Zipf-distributed read/write
-- mix over ZIPF_KEYS keys ZIPF_PREFIX0 .. ZIPF_PREFIX(N-1) (preloaded).
-- Key k-1 has rank k and is picked with probability proportional to 1/k^s
-- (s = ZIPF_S), by binary search of a uniform draw in the cumulative table
-- computed once per wrk thread. ZIPF_WRITE_PCT percent of the requests are a
-- PUT of a new ~100 B document (ttl 0), the others a GET. The Authorization
-- header comes from wrk -H.
local n = tonumber(os.getenv("ZIPF_KEYS") or "100000")
local s = tonumber(os.getenv("ZIPF_S") or "1.0")
local write_pct = tonumber(os.getenv("ZIPF_WRITE_PCT") or "5")
local base = "/api/v1/cache/" .. (os.getenv("ZIPF_PREFIX") or "zipf:")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

local cdf = {}
local seq = 0
function init(args)
  local sum = 0
  for k = 1, n do
    sum = sum + k ^ (-s)
    cdf[k] = sum
  end
  for k = 1, n do cdf[k] = cdf[k] / sum end
  math.randomseed(os.time() * 100 + (thread_no or 0))
  wrk.headers["Content-Type"] = "application/json"
end

local function pick()
  local u = math.random()
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo - 1
end

function request()
  local key = pick()
  if math.random() * 100 < write_pct then
    seq = seq + 1
    local body = string.format('{"id":%d,"name":"Zipf product %d","price_krw":%d,"stock":%d,"rev":"t%d-%d"}',
      key, key, 1000 + key % 50000, key % 100, thread_no or 0, seq)
    return wrk.format("PUT", base .. key .. "?ttl=0", nil, body)
  end
  return wrk.format("GET", base .. key)
end
