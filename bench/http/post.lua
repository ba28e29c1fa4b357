-- wrk script of bench/request_cost.py: every request is a POST of the file
-- named by BENCH_BODY (read once), as application/json. The Authorization
-- header comes from wrk -H.
local path = os.getenv("BENCH_BODY")
local f = assert(io.open(path, "rb"), "BENCH_BODY: cannot open " .. tostring(path))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
