#!/usr/bin/env bash
# bench/run-near-cache-bench.sh [DURATION=5s] [RUNS=1] [STALE_ROUNDS=1000]
#
# The near cache (NEAR_CACHE_MAX_BYTES) measured side by side in one run, on one
# local Redis Cluster (scripts/redis-cluster: 3 masters, REPLICAS replicas each,
# default 1; AOF and RDB off), every service build/release/yooni-cache with
# WORKER_THREADS=2, an HS256 JWT (`yooni-cache token`) on every request:
#   memory  the memory backend
#   off     the cluster backend, near cache off
#   near    the cluster backend, NEAR_CACHE_MAX_BYTES=64MiB ("A" in part 3)
#   nearB   a second instance like near, on the same cluster (part 3 only)
# 1. wrk -t2 -c50 GET of a hot key: a 100 B document, the 4 KB sample
#    (bench/data/sample-product-4k.json, PUT through the service, so stored
#    gzip-compressed in the Python format) without and with
#    Accept-Encoding: gzip; req/s, near/memory (target >= 0.95), off/memory,
#    and Redis commands per request (INFO total_commands_processed of the masters).
# 2. Zipf mix (bench/near/zipf.lua): ZIPF_WRITE_PCT (5) % PUT, the rest GET, over
#    ZIPF_KEYS (100000) keys preloaded through batch/set, s = ZIPF_S (1.0);
#    wrk --latency: req/s, p50, p99, and the near cache's hit rate as the delta
#    of its /metrics counters over the measured run (after a 1 s warm-up).
# 3. Staleness (bench/near/near.py stale): STALE_ROUNDS writes through near (A)
#    of keys nearB (B) holds; time from A's acknowledgement until B answers the
#    new value, next to when Redis's invalidation push reached a plain RESP3
#    tracking client (the probe); and reads on A right after its own
#    acknowledged writes (stale answers must be 0).
# 4. tracking_total_keys of every master (INFO) and the near caches' bytes
#    against their bound.
# Rows are measured in rounds (each round measures every row once; medians of
# RUNS rounds). PARTS="1 3" runs only those parts (default: all four).
# BUSY_WAIT=S: wait up to S seconds in all for other CPU work (a compiler,
# another wrk) to end before measurements; figures taken while it runs are
# marked *. Prints Markdown tables. Every service gets a free 127.0.0.1 port,
# the cluster the first free base port from 7700; everything started here is
# stopped at exit. Needs the release build (cmake --preset release && cmake
# --build --preset release --target yooni-cache), wrk, redis-server, redis-cli,
# curl and Debian's python3-redis (scripts/bootstrap.sh --bench). Raw results
# (JSON lines): $RESULTS (default: a temp file, removed at exit).
set -euo pipefail

DURATION=${1:-5s}
RUNS=${2:-1}
STALE_ROUNDS=${3:-1000}
REPLICAS=${REPLICAS:-1}
ZIPF_KEYS=${ZIPF_KEYS:-100000}
ZIPF_S=${ZIPF_S:-1.0}
ZIPF_WRITE_PCT=${ZIPF_WRITE_PCT:-5}
STALE_KEYS=${STALE_KEYS:-50}
PARTS=${PARTS:-1 2 3 4}
NEAR_BYTES=$((64 * 1024 * 1024))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench/near
PY=/usr/bin/python3
BIN=${YOONI_BIN:-$ROOT/build/release/yooni-cache}
BIG=$ROOT/bench/data/sample-product-4k.json

. "$ROOT/bench/lib.sh"
die() { echo "run-near-cache-bench: $*" >&2; exit 1; }
want() { [[ " $PARTS " == *" $1 "* ]]; }
[ -x "$BIN" ] || die "$BIN is missing: cmake --preset release && cmake --build --preset release --target yooni-cache"
[[ $RUNS =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] || die "RUNS must be a number >= 1, got '$RUNS'"
[[ $STALE_ROUNDS =~ ^[0-9]+$ ]] && [ "$STALE_ROUNDS" -ge 1 ] || die "STALE_ROUNDS must be a number >= 1"
for cmd in wrk redis-server redis-cli curl; do
  command -v "$cmd" >/dev/null || die "$cmd is missing (scripts/bootstrap.sh --bench)"
done
$PY -c 'import redis' 2>/dev/null || die "python3-redis is missing (Debian: python3-redis)"
[ -f "$BIG" ] || die "$BIG is missing"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/yooni-near-bench.XXXXXX")
RESULTS=${RESULTS:-$TMP/results.jsonl}
PIDS=()
BASE=""
cleanup() {
  stop_pids "${PIDS[@]}"
  if [ -n "$BASE" ]; then "$ROOT/scripts/redis-cluster" stop --port "$BASE" --dir "$TMP/cluster" --clean >/dev/null 2>&1 || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_ready() {  # PORT PID NAME: until /readyz answers 200, while PID lives (30 s at most)
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz" 2>/dev/null)" = 200 ] && return 0
    kill -0 "$2" 2>/dev/null || die "$3 exited at start (log: $(tail -3 "$TMP/$3.log" 2>/dev/null))"
    sleep 0.1
  done
  die "$3 is not ready on port $1 (log: $(tail -3 "$TMP/$3.log" 2>/dev/null))"
}

# --- cluster -------------------------------------------------------------------------------
NODES=$((3 * (1 + REPLICAS)))
for base in $(seq 7700 100 20000); do
  free=1
  for i in $(seq 0 $((NODES - 1))); do
    if port_open $((base + i)) || port_open $((base + i + 10000)); then free=0; break; fi
  done
  [ "$free" = 1 ] && { BASE=$base; break; }
done
[ -n "$BASE" ] || die "no free base port between 7700 and 20000"
"$ROOT/scripts/redis-cluster" start --port "$BASE" --masters 3 --replicas "$REPLICAS" --dir "$TMP/cluster" \
  >"$TMP/cluster.log" 2>&1 || { cat "$TMP/cluster.log" >&2; die "cluster start on port $BASE failed"; }
MASTERS=("$BASE" $((BASE + 1)) $((BASE + 2)))
for i in $(seq 0 $((NODES - 1))); do
  redis-cli -p $((BASE + i)) config set appendonly no >/dev/null
  redis-cli -p $((BASE + i)) config set save "" >/dev/null
done
master_cmds() {  # commands the three masters processed so far
  local p
  for p in "${MASTERS[@]}"; do redis-cli -p "$p" info stats; done | tr -d '\r' \
    | awk -F: '$1 == "total_commands_processed" { c += $2 } END { print c + 0 }'
}

# --- services ------------------------------------------------------------------------------
mapfile -t PORTS < <($PY "$ROOT/bench/http/helpers.py" free-ports 4)
declare -A PORT_OF=([memory]=${PORTS[0]} [off]=${PORTS[1]} [near]=${PORTS[2]} [nearB]=${PORTS[3]})
for p in "${PORTS[@]}"; do port_open "$p" && die "port $p is in use"; done
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir "$TMP/mint"
JWT=$(cd "$TMP/mint" && env SECRET_KEY="$SECRET" "$BIN" token --sub bench --role admin --ttl 3600) \
  || die "minting the bench's JWT failed: $JWT"
AUTH="Authorization: Bearer $JWT"
declare -A PID_OF=()
start_service() {  # NAME KEY=VALUE...: from an empty directory (no .env of the checkout)
  local name=$1; shift
  mkdir "$TMP/$name"
  (cd "$TMP/$name" && exec env HOST=127.0.0.1 PORT="${PORT_OF[$name]}" WORKER_THREADS=2 SECRET_KEY="$SECRET" \
    CACHE_TTL_SECONDS=0 LOG_LEVEL=warn "$@" "$BIN" serve) >"$TMP/$name.log" 2>&1 &
  PIDS+=($!); PID_OF[$name]=$!
}
CLUSTER_ENV=(REDIS_CLUSTER_ENABLED=true "REDIS_CLUSTER_NODES=127.0.0.1:$BASE")
start_service memory
start_service off "${CLUSTER_ENV[@]}"
start_service near "${CLUSTER_ENV[@]}" NEAR_CACHE_MAX_BYTES=$NEAR_BYTES
start_service nearB "${CLUSTER_ENV[@]}" NEAR_CACHE_MAX_BYTES=$NEAR_BYTES
for s in memory off near nearB; do wait_ready "${PORT_OF[$s]}" "${PID_OF[$s]}" "$s"; done
url() { echo "http://127.0.0.1:${PORT_OF[$1]}"; }
# (read whole first: grep -q stops early, and pipefail would count curl's SIGPIPE)
metrics=$(curl -s "$(url near)/metrics")
grep -q '^yooni_cache_near_cache_hits_total' <<<"$metrics" \
  || die "the near instance shows no near cache in /metrics (log: $(grep -v config.warning "$TMP/near.log" | tail -5))"

# --- data ----------------------------------------------------------------------------------
SMALL=$TMP/small.json
$PY "$ROOT/bench/http/helpers.py" small-doc "$SMALL"
for s in memory near; do   # near and off share the cluster
  for kv in "small:$SMALL" "4k:$BIG"; do
    code=$(curl -s -o "$TMP/put.out" -w '%{http_code}' -X PUT -H "$AUTH" -H 'Content-Type: application/json' \
      --data-binary "@${kv#*:}" "$(url "$s")/api/v1/cache/near-bench:${kv%%:*}?ttl=0")
    [ "$code" = 200 ] || die "PUT near-bench:${kv%%:*} on $s answered $code: $(cat "$TMP/put.out")"
  done
done
# Stored as the service stores it: the 4 KB document as "gzip:" + base64.
stored=$(redis-cli -c -p "$BASE" --no-raw get near-bench:4k)
[ "${stored:0:6}" = '"gzip:' ] || die "near-bench:4k is not stored in the gzip: format on the cluster (starts with ${stored:0:6})"
for s in memory off near; do
  curl -s -H "$AUTH" "$(url "$s")/api/v1/cache/near-bench:small" | cmp -s - "$SMALL" || die "$s: GET 100B is not the document PUT"
  curl -s -H "$AUTH" "$(url "$s")/api/v1/cache/near-bench:4k" | cmp -s - "$BIG" || die "$s: GET 4KB is not the document PUT"
  curl -s -H "$AUTH" -H 'Accept-Encoding: gzip' "$(url "$s")/api/v1/cache/near-bench:4k" | gunzip | cmp -s - "$BIG" \
    || die "$s: GET 4KB gzip does not inflate to the document PUT"
done
for s in memory near; do
  want 2 || break
  $PY "$HERE/near.py" preload "$(url "$s")" "$JWT" "$ZIPF_KEYS" zipf:
done

# --- measurements --------------------------------------------------------------------------
# BUSY_WAIT seconds (default 0) in all may be spent waiting, before a
# measurement, for other CPU work (a compiler, another wrk) to end.
BUSY_LEFT=${BUSY_WAIT:-0}
wait_quiet() {
  while [ "$BUSY_LEFT" -gt 0 ] && busy_now; do sleep 1; BUSY_LEFT=$((BUSY_LEFT - 1)); done
}
: >"$RESULTS"
printf '{"part": 0, "date": "%s", "duration": "%s", "runs": %s, "cores": %s, "redis_nodes": %s, "zipf_keys": %s, "zipf_s": %s, "zipf_write_pct": %s}\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$DURATION" "$RUNS" "$(nproc)" "$NODES" "$ZIPF_KEYS" "$ZIPF_S" "$ZIPF_WRITE_PCT" >>"$RESULTS"

measure() {  # PART ROW BACKEND WARMUP(0|1) wrk args...
  local part=$1 row=$2 backend=$3 warm=$4; shift 4
  wait_quiet
  if [ "$warm" = 1 ]; then timeout 60 wrk -t2 -c50 -d1s "$@" >/dev/null 2>&1 || true; fi
  local busy=0 c0 c1 out
  busy_now && busy=1
  c0=$(master_cmds)
  $PY "$HERE/near.py" near-stats "$(url "$backend")" >"$TMP/near_before.json"
  out=$(timeout 120 wrk -t2 -c50 -d"$DURATION" --latency "$@" 2>&1) || { echo "$out" >&2; die "wrk failed: $row / $backend"; }
  $PY "$HERE/near.py" near-stats "$(url "$backend")" >"$TMP/near_after.json"
  c1=$(master_cmds)
  busy_now && busy=1
  local cmds=$((c1 - c0))
  [ "$backend" = memory ] && cmds=""   # (the cluster is idle then; Redis's own PINGs are not the memory backend's)
  $PY "$HERE/near.py" record "$RESULTS" part="$part" "row=$row" backend="$backend" busy=$busy ${cmds:+cmds=$cmds} \
    near_before=@"$TMP/near_before.json" near_after=@"$TMP/near_after.json" <<<"$out"
  printf '  %-22s %-7s %10s req/s%s%s\n' "$row" "$backend" "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" \
    "$([ "$busy" = 1 ] && echo '  (machine busy)')" \
    "$(awk '/Non-2xx/ {printf "  WARNING non-2xx: %s", $NF} /Socket errors/ {printf "  WARNING %s", $0}' <<<"$out")"
}

echo "wrk -t2 -c50 -d$DURATION, $RUNS run(s); cluster on 127.0.0.1:$BASE ($NODES nodes); services: memory :${PORT_OF[memory]}, off :${PORT_OF[off]}, near :${PORT_OF[near]}, nearB :${PORT_OF[nearB]}"
want 1 && echo "1. hot-key GET"
want 1 && for run in $(seq "$RUNS"); do
  warm=$([ "$run" = 1 ] && echo 1 || echo 0)
  for row in "GET 100B" "GET 4KB" "GET 4KB gzip"; do
    case $row in
      "GET 100B") path=/api/v1/cache/near-bench:small; hdr=() ;;
      "GET 4KB") path=/api/v1/cache/near-bench:4k; hdr=() ;;
      "GET 4KB gzip") path=/api/v1/cache/near-bench:4k; hdr=(-H 'Accept-Encoding: gzip') ;;
    esac
    for backend in memory off near; do
      measure 1 "$row" "$backend" "$warm" -H "$AUTH" "${hdr[@]}" "$(url "$backend")$path"
    done
  done
done

want 2 && echo "2. Zipf mix ($ZIPF_WRITE_PCT% PUT) over $ZIPF_KEYS keys, s=$ZIPF_S"
export ZIPF_KEYS ZIPF_S ZIPF_WRITE_PCT ZIPF_PREFIX=zipf:
want 2 && for run in $(seq "$RUNS"); do
  for backend in memory off near; do
    measure 2 zipf "$backend" 1 -H "$AUTH" -s "$HERE/zipf.lua" "$(url "$backend")"
  done
done

if want 3; then
  wait_quiet
  echo "3. staleness: $STALE_ROUNDS writes through A (near), read through B (nearB)"
  $PY "$HERE/near.py" stale "$(url near)" "$(url nearB)" "$JWT" "$STALE_ROUNDS" "$STALE_KEYS" "$RESULTS" "$BASE"
fi

echo "4. tracking table and near cache sizes"
$PY "$HERE/near.py" tracking "$RESULTS" "${MASTERS[@]}"
for s in near nearB; do
  printf '{"part": 5, "name": "%s", "bound": %s, "stats": %s}\n' "$s" "$NEAR_BYTES" \
    "$($PY "$HERE/near.py" near-stats "$(url "$s")")" >>"$RESULTS"
done

for s in memory off near nearB; do
  kill -0 "${PID_OF[$s]}" 2>/dev/null || die "$s died during the run (log: $(tail -3 "$TMP/$s.log"))"
  # (log lines: time, level, message)
  if grep -qE '^[^ ]+ (error|critical) |near_cache_off|tracking_link' "$TMP/$s.log"; then
    echo "WARNING: $s logged errors or near cache trouble:" >&2; grep -m5 -E '^[^ ]+ (error|critical) |near_cache_off|tracking_link' "$TMP/$s.log" >&2
  fi
done

echo
$PY "$HERE/near.py" report "$RESULTS"
