#!/usr/bin/env bash
# bench/run-http-bench.sh [DURATION=10s] [RUNS=3]
#
# HTTP throughput of the service side by side with its anchors, in one run,
# wrk -t2 -c50 (keep-alive), req/s as the median of RUNS rounds (each round
# measures every row once, so slow drifts of the machine hit all rows alike):
#   ours     build/release/yooni-cache, memory backend, WORKER_THREADS=2: GET and
#            PUT of a 100 B document and of the 4 KB sample (stored
#            gzip-compressed in the Python format, like the Python system), each
#            request with the bearer token of TOKEN_KIND (rows "... (jwt)"), and
#            GET 100 B once more with the other kind of token; GET 4 KB with
#            Accept-Encoding: gzip (the stored member sent as it is) and a 304
#            revalidation of it (If-None-Match with its ETag)
#   before   with BEFORE_BIN=<another build's yooni-cache>: that build, same
#            settings, GET 100 B with both kinds of token (ours/before ratios)
#   beast    bench/http/beast_anchor.cpp, 2 threads: fixed 100 B / 4096 B bodies,
#            the HTTP framework's ceiling (same compiler flags and Boost)
#   webdis   webdis (2 threads) over a standalone redis-server, raw documents
#   fastapi  bench/http/fastapi_app.py on uvicorn (1 worker, uvloop + httptools)
#            over the same redis-server, 4 KB value in the "gzip:"+base64 format
# TOKEN_KIND=jwt (default): an HS256 JWT as the Python system mints them
# (`yooni-cache token --sub bench --role admin --ttl 3600` under the bench's
# SECRET_KEY: python-jose's header, sub, jti, iat, exp, roles); TOKEN_KIND=static:
# a static token of API_TOKENS. Every server gets a free 127.0.0.1 port; every process started here is stopped
# by its pid at exit. Needs the release build (yooni-cache and beast_anchor):
#   cmake --preset release && cmake --build --preset release --target yooni-cache beast_anchor
# and the Debian packages of scripts/bootstrap.sh --bench.
# Raw results: $RESULTS (default: a temp file, removed at exit).
set -euo pipefail

DURATION=${1:-10s}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench/http
PY=/usr/bin/python3
BIN=${YOONI_BIN:-$ROOT/build/release/yooni-cache}
ANCHOR=${BEAST_ANCHOR_BIN:-$ROOT/build/release/bench/beast_anchor}
BEFORE=${BEFORE_BIN:-}
TOKEN_KIND=${TOKEN_KIND:-jwt}
BIG=$ROOT/bench/data/sample-product-4k.json

BUSY_NAMES='cc1plus|ninja|ld|collect2|make|wrk'
. "$ROOT/bench/lib.sh"
die() { echo "run-http-bench: $*" >&2; exit 1; }
for f in "$BIN" "$ANCHOR"; do
  [ -x "$f" ] || die "$f is missing: cmake --preset release && cmake --build --preset release --target yooni-cache beast_anchor"
done
[ -z "$BEFORE" ] || [ -x "$BEFORE" ] || die "BEFORE_BIN=$BEFORE is not an executable"
case $TOKEN_KIND in
  jwt) OTHER_KIND=static ;;
  static) OTHER_KIND=jwt ;;
  *) die "TOKEN_KIND=$TOKEN_KIND: expected jwt or static" ;;
esac
for cmd in wrk webdis redis-server curl; do command -v "$cmd" >/dev/null || die "$cmd is missing (scripts/bootstrap.sh --bench)"; done
$PY -c 'import fastapi, uvicorn, uvloop, httptools, redis' 2>/dev/null \
  || die "python3-fastapi, python3-uvicorn, python3-uvloop, python3-httptools, python3-redis are needed (scripts/bootstrap.sh --bench)"
[ -f "$BIG" ] || die "$BIG is missing"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/yooni-http-bench.XXXXXX")
RESULTS=${RESULTS:-$TMP/results.tsv}
PIDS=()
cleanup() {
  stop_pids "${PIDS[@]}"
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {  # PORT PID NAME: until PORT accepts, while PID lives (10 s at most)
  for _ in $(seq 100); do
    port_open "$1" && return 0
    kill -0 "$2" 2>/dev/null || die "$3 exited at start (log: $(tail -3 "$TMP/$3.log" 2>/dev/null))"
    sleep 0.1
  done
  die "$3 did not open port $1"
}

# --- ports ---------------------------------------------------------------------------------
mapfile -t PORTS < <($PY "$HERE/helpers.py" free-ports 6)
P_OURS=${PORTS[0]} P_BEAST=${PORTS[1]} P_REDIS=${PORTS[2]} P_WEBDIS=${PORTS[3]} P_FASTAPI=${PORTS[4]} P_BEFORE=${PORTS[5]}
for p in "${PORTS[@]}"; do port_open "$p" && die "port $p is in use: refusing to measure someone else's server"; done

# --- data ----------------------------------------------------------------------------------
SMALL=$TMP/small.json
$PY "$HERE/helpers.py" small-doc "$SMALL"
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
STATIC_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')   # 48 hex chars
# Minted from an empty directory (no .env of the checkout), valid for the whole run.
mkdir "$TMP/mint"
JWT=$(cd "$TMP/mint" && env SECRET_KEY="$SECRET" "$BIN" token --sub bench --role admin --ttl 3600) \
  || die "minting the bench's JWT failed: $JWT"
[ "$(tr -cd . <<<"$JWT" | wc -c)" = 2 ] || die "the minted token is not a compact JWT: $JWT"
declare -A AUTH_OF=([static]="Authorization: Bearer $STATIC_TOKEN" [jwt]="Authorization: Bearer $JWT")
AUTH=${AUTH_OF[$TOKEN_KIND]}

# --- servers -------------------------------------------------------------------------------
# ours (and before): from an empty directory, so no .env of the checkout is read.
start_service() {  # NAME BINARY PORT
  mkdir "$TMP/$1"
  (cd "$TMP/$1" && exec env HOST=127.0.0.1 PORT="$3" WORKER_THREADS=2 SECRET_KEY="$SECRET" \
    API_TOKENS="bench:admin:$STATIC_TOKEN" CACHE_TTL_SECONDS=0 LOG_LEVEL=warn "$2" serve) >"$TMP/$1.log" 2>&1 &
}
start_service ours "$BIN" "$P_OURS"
PIDS+=($!); PID_OURS=$!
if [ -n "$BEFORE" ]; then
  start_service before "$BEFORE" "$P_BEFORE"
  PIDS+=($!); PID_BEFORE=$!
fi
"$ANCHOR" "$P_BEAST" 2 >"$TMP/beast.log" 2>&1 &
PIDS+=($!); PID_BEAST=$!
redis-server --port "$P_REDIS" --bind 127.0.0.1 --dir "$TMP" --save "" --appendonly no \
  --logfile "$TMP/redis.log" >/dev/null 2>&1 &
PIDS+=($!); PID_REDIS=$!
wait_port "$P_REDIS" "$PID_REDIS" redis
$PY "$HERE/helpers.py" seed-redis "$P_REDIS" "$SMALL" "$BIG"
cat >"$TMP/webdis.json" <<JSON
{"redis_host": "127.0.0.1", "redis_port": $P_REDIS, "redis_auth": null, "http_host": "127.0.0.1",
 "http_port": $P_WEBDIS, "threads": 2, "pool_size": 20, "daemonize": false, "database": 0,
 "verbosity": 0, "logfile": "$TMP/webdis.log"}
JSON
webdis "$TMP/webdis.json" >/dev/null 2>&1 &
PIDS+=($!); PID_WEBDIS=$!
BENCH_REDIS_PORT=$P_REDIS $PY -m uvicorn fastapi_app:app --app-dir "$HERE" --host 127.0.0.1 --port "$P_FASTAPI" \
  --workers 1 --loop uvloop --http httptools --log-level warning --no-access-log >"$TMP/fastapi.log" 2>&1 &
PIDS+=($!); PID_FASTAPI=$!
wait_port "$P_OURS" "$PID_OURS" ours
wait_port "$P_BEAST" "$PID_BEAST" beast
wait_port "$P_WEBDIS" "$PID_WEBDIS" webdis
wait_port "$P_FASTAPI" "$PID_FASTAPI" fastapi
[ -z "$BEFORE" ] || wait_port "$P_BEFORE" "$PID_BEFORE" before

# Seed ours (and before) with PUT (ttl 0: no expiry during the run).
OURS=http://127.0.0.1:$P_OURS/api/v1/cache
BEFORE_URL=http://127.0.0.1:$P_BEFORE/api/v1/cache
for base in "$OURS" ${BEFORE:+"$BEFORE_URL"}; do
  for kv in "small:$SMALL" "4k:$BIG"; do
    code=$(curl -s -o "$TMP/put.out" -w '%{http_code}' -X PUT -H "$AUTH" -H 'Content-Type: application/json' \
      --data-binary "@${kv#*:}" "$base/bench:${kv%%:*}?ttl=0")
    [ "$code" = 200 ] || die "seeding $base: PUT bench:${kv%%:*} answered $code: $(cat "$TMP/put.out")"
  done
done

# --- rows ----------------------------------------------------------------------------------
# name | url | kind (get: plain GET, auth-KIND: GET with the bearer header of that
# token kind, put-FILE: PUT of FILE with TOKEN_KIND's token)
# BEFORE_BIN's rows sit next to ours, so that a drift of the machine hits both alike.
K=$TOKEN_KIND O=$OTHER_KIND
ROWS=("ours GET 100B ($K)|$OURS/bench:small|auth-$K")
[ -z "$BEFORE" ] || ROWS+=("before GET 100B ($K)|$BEFORE_URL/bench:small|auth-$K")
ROWS+=("ours GET 100B ($O)|$OURS/bench:small|auth-$O")
[ -z "$BEFORE" ] || ROWS+=("before GET 100B ($O)|$BEFORE_URL/bench:small|auth-$O")
ETAG_4K=$(curl -s -D - -o /dev/null -H "$AUTH" "$OURS/bench:4k" | sed -n 's/^etag: //Ip' | tr -d '\r')
[ -n "$ETAG_4K" ] || die "ours GET 4KB answered no ETag"
ROWS+=(
  "ours GET 4KB ($K)|$OURS/bench:4k|auth-$K"
  "ours GET 4KB gzip ($K)|$OURS/bench:4k|gzip-$K"
  "ours GET 4KB 304 ($K)|$OURS/bench:4k|inm-$K"
  "ours PUT 100B ($K)|$OURS/bench:put:small?ttl=0|put-$SMALL"
  "ours PUT 4KB ($K)|$OURS/bench:put:4k?ttl=0|put-$BIG"
  "beast GET 100B|http://127.0.0.1:$P_BEAST/|get"
  "beast GET 4KB|http://127.0.0.1:$P_BEAST/4k|get"
  "webdis GET 100B|http://127.0.0.1:$P_WEBDIS/GET/bench:raw:small.txt?type=application/json|get"
  "webdis GET 4KB|http://127.0.0.1:$P_WEBDIS/GET/bench:raw:4k.txt?type=application/json|get"
  "fastapi GET 100B|http://127.0.0.1:$P_FASTAPI/cache/bench:py:small|get"
  "fastapi GET 4KB|http://127.0.0.1:$P_FASTAPI/cache/bench:py:4k|get"
)

# Every row answers 200 with a body of the expected size before any load.
echo "checks (status, body bytes):"
for row in "${ROWS[@]}"; do
  IFS='|' read -r name url kind <<<"$row"
  args=()
  want=200
  case $kind in
    auth-*) args=(-H "${AUTH_OF[${kind#auth-}]}") ;;
    gzip-*) args=(-H "${AUTH_OF[${kind#gzip-}]}" -H 'Accept-Encoding: gzip') ;;
    inm-*) args=(-H "${AUTH_OF[${kind#inm-}]}" -H "If-None-Match: $ETAG_4K"); want=304 ;;
    put-*) args=(-X PUT -H "$AUTH" -H 'Content-Type: application/json' --data-binary "@${kind#put-}") ;;
  esac
  # Bytes on the wire per answer: the status line and headers plus the body.
  sizes=$(curl -s -o "$TMP/body" -w '%{http_code} %{size_header} %{size_download}' "${args[@]}" "$url")
  read -r code hbytes bbytes <<<"$sizes"
  printf '  %-28s HTTP %s  body %5d B, on the wire %5d B\n' "$name" "$code" "$bbytes" "$((hbytes + bbytes))"
  [ "$code" = "$want" ] || die "$name answered $code: $(head -c 300 "$TMP/body")"
done
# The gzip row gets the stored member, which inflates to the document.
curl -s -H "$AUTH" -H 'Accept-Encoding: gzip' -D "$TMP/gz.h" "$OURS/bench:4k" | gunzip | cmp -s - "$BIG" \
  || die "ours GET 4KB gzip does not inflate to the document PUT"
grep -qi '^content-encoding: gzip' "$TMP/gz.h" || die "ours GET 4KB gzip answered without Content-Encoding: gzip"
# ours and the Python app return the stored documents; ours byte for byte.
curl -s -H "$AUTH" "$OURS/bench:small" | cmp -s - "$SMALL" || die "ours GET 100B is not the document PUT"
curl -s -H "$AUTH" "$OURS/bench:4k" | cmp -s - "$BIG" || die "ours GET 4KB is not the document PUT"

run_wrk() {  # NAME URL KIND SECONDS -> wrk output
  local name=$1 url=$2 kind=$3 dur=$4
  case $kind in
    get) timeout 120 wrk -t2 -c50 -d"$dur" "$url" ;;
    auth-*) timeout 120 wrk -t2 -c50 -d"$dur" -H "${AUTH_OF[${kind#auth-}]}" "$url" ;;
    gzip-*) timeout 120 wrk -t2 -c50 -d"$dur" -H "${AUTH_OF[${kind#gzip-}]}" -H 'Accept-Encoding: gzip' "$url" ;;
    inm-*) timeout 120 wrk -t2 -c50 -d"$dur" -H "${AUTH_OF[${kind#inm-}]}" -H "If-None-Match: $ETAG_4K" "$url" ;;
    put-*) BENCH_BODY=${kind#put-} timeout 120 wrk -t2 -c50 -d"$dur" -H "$AUTH" -s "$HERE/put.lua" "$url" ;;
  esac
}

: >"$RESULTS"
# The machine is shared: note every measurement that overlapped a compiler or
# another wrk (they take the same cores and the figures mean little then).
BUSY=0
echo
echo "wrk -t2 -c50 -d$DURATION keep-alive, $RUNS rounds; wrk and the servers share this machine's $(nproc) cores"
echo "bearer token: $TOKEN_KIND (the rows marked ($OTHER_KIND) use the other kind)${BEFORE:+; before: $BEFORE}"
for run in $(seq "$RUNS"); do
  for row in "${ROWS[@]}"; do
    IFS='|' read -r name url kind <<<"$row"
    if [ "$run" = 1 ]; then run_wrk "$name" "$url" "$kind" 1s >/dev/null 2>&1 || true; fi   # warm-up
    flag=""
    busy_now && flag="  (machine busy: compiler or other wrk running)"
    if ! out=$(run_wrk "$name" "$url" "$kind" "$DURATION" 2>&1); then
      echo "  $name round $run: wrk FAILED: $(tail -2 <<<"$out")" >&2; continue
    fi
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    bad=$(awk '/Non-2xx/ {print "non-2xx=" $NF} /Socket errors/ {print $0}' <<<"$out" | tr '\n' ' ')
    if [ -n "$bad" ]; then echo "  $name round $run: WARNING $bad" >&2; fi
    printf '%s\t%s\n' "$name" "${rps:-0}" >>"$RESULTS"
    busy_now && flag="  (machine busy: compiler or other wrk running)"
    [ -n "$flag" ] && BUSY=$((BUSY + 1))
    printf '  round %s  %-24s %10s req/s%s\n' "$run" "$name" "${rps:-0}" "$flag"
  done
done

for name in ours beast webdis fastapi redis ${BEFORE:+before}; do
  eval "pid=\$PID_${name^^}"
  kill -0 "$pid" 2>/dev/null || die "$name died during the run (log: $(tail -3 "$TMP/$name.log" 2>/dev/null))"
done

echo
echo "== HTTP req/s, median of $RUNS x $DURATION (wrk -t2 -c50 on the same $(nproc) cores as the servers)"
$PY "$HERE/helpers.py" summary "$RESULTS"
if [ "$BUSY" -gt 0 ]; then
  echo "WARNING: $BUSY of $((RUNS * ${#ROWS[@]})) measurements overlapped other CPU work on this shared machine;"
  echo "         rerun when nothing else compiles or benchmarks."
fi
echo "note: wrk takes roughly one of the $(nproc) cores, so every server runs on what is left;"
echo "      ours, beast and webdis have 2 threads, FastAPI/uvicorn 1 worker (one core at most)."
