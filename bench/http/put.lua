-- wrk script of bench/run-http-bench.sh: every request is a PUT of the file
-- named by BENCH_BODY (read once), as application/json. The Authorization
-- header comes from wrk -H like the GET rows.
local path = os.getenv("BENCH_BODY")
local f = assert(io.open(path, "rb"), "BENCH_BODY: cannot open " .. tostring(path))
wrk.method = "PUT"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
