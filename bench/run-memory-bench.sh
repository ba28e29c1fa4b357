#!/usr/bin/env bash
# bench/run-memory-bench.sh [ENTRIES=1000000]
#
# Memory per entry of the service's memory backend: starts build/release/yooni-cache
# (CACHE_MEMORY_MAX_BYTES=1GiB, WORKER_THREADS=2, static bearer token) on a free
# 127.0.0.1 port, reads its idle VmRSS from /proc, stores ENTRIES entries with
# 20-byte keys and 100-byte JSON values through POST /api/v1/batch/set (1000 items
# a request, ttl 0), checks /api/v1/monitoring/health/detailed counts them all,
# reads VmRSS again and prints
#   overhead per entry = (loaded RSS - idle RSS) / ENTRIES - (key bytes + value bytes)
# (target <= 64 bytes). Stops the service by its pid at exit.
set -euo pipefail

ENTRIES=${1:-1000000}
BATCH=1000
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
BIN=${YOONI_BIN:-$ROOT/build/release/yooni-cache}

. "$ROOT/bench/lib.sh"
die() { echo "run-memory-bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN is missing: cmake --preset release && cmake --build --preset release --target yooni-cache"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/yooni-mem-bench.XXXXXX")
PID=""
cleanup() {
  [ -z "$PID" ] || stop_pids "$PID"
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$($PY "$ROOT/bench/http/helpers.py" free-ports 1)
port_open "$PORT" && die "port $PORT is in use"
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# From an empty directory, so no .env of the checkout is read.
(cd "$TMP" && exec env HOST=127.0.0.1 PORT="$PORT" WORKER_THREADS=2 SECRET_KEY="$SECRET" \
  API_TOKENS="bench:admin:$TOKEN" CACHE_MEMORY_MAX_BYTES=1GiB CACHE_TTL_SECONDS=0 LOG_LEVEL=warn \
  "$BIN" serve) >"$TMP/service.log" 2>&1 &
PID=$!
for i in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || die "the service exited at start: $(tail -3 "$TMP/service.log")"
  [ "$i" = 100 ] && die "the service did not open port $PORT"
  sleep 0.1
done

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/monitoring/health/detailed" \
  || die "health check failed"
sleep 0.5
IDLE=$(rss_kib)

OUT=$($PY "$ROOT/bench/http/memory_load.py" "$PORT" "$TOKEN" "$ENTRIES" "$BATCH")
sleep 0.5
LOADED=$(rss_kib)

$PY - "$OUT" "$IDLE" "$LOADED" "$ENTRIES" <<'PYEOF'
import json, sys
out, idle, loaded, n = json.loads(sys.argv[1]), int(sys.argv[2]) * 1024, int(sys.argv[3]) * 1024, int(sys.argv[4])
d = out["details"]
if out["entries"] != n or d.get("evictions", 0) or d.get("expirations", 0):
    sys.exit(f"run-memory-bench: health/detailed shows {out['entries']} entries (want {n}), details {d}")
payload = out["key_bytes"] + out["value_bytes"]
per_entry = (loaded - idle) / n
overhead = per_entry - payload
print(f"== memory backend, {n:,} entries of {out['key_bytes']} B keys + {out['value_bytes']} B JSON values "
      f"(POST /api/v1/batch/set x1000, {out['seconds']} s)")
print(f"health/detailed: entries {d['entries']:,}, accounted bytes {d['bytes']:,}, evictions {d['evictions']}")
print(f"idle VmRSS      {idle / 2**20:9.1f} MiB")
print(f"loaded VmRSS    {loaded / 2**20:9.1f} MiB")
print(f"per entry       {per_entry:9.1f} B  (key + value {payload} B)")
print(f"overhead/entry  {overhead:9.1f} B  target <= 64  {'ok' if overhead <= 64 else 'MISSED'}")
PYEOF
