#!/usr/bin/env bash
# bench/run-cluster-bench.sh [SECONDS=10]
#
# The cluster client (redis::Cluster, bench/cluster_bench.cpp) side by side with
# its anchors, in one run, against one local cluster (issue #4):
#   rb-P1 / rb-P16  redis-benchmark --cluster -c 50 -P 1 / -P 16 (one thread)
#   ours-d1         cluster_bench, 50 callers on 1 io_context, each awaiting one
#                   command at a time (the client pipelines them: automatic pipelining)
#   ours-d1x2       the same on 2 io_contexts (2 worker threads, 25 callers each)
#   ours-d16        cluster_bench, 50 callers, 16 commands per run() call
#   redis-py        bench/redis_py_cluster_bench.py: redis.asyncio.cluster.RedisCluster,
#                   50 coroutines (Debian's python3-redis; the Python system's client)
#   old-d1 / old-d16  with BEFORE_BIN=<another build's cluster_bench>: ours-d1 and
#                   ours-d16 of that build, in the same run (a change's before and after)
# for GET and SET of 100 B and 4 KB values on random keys of a 100k keyspace
# (redis-benchmark -r 100000; its cluster mode puts one hash tag per node in the
# key, ours spread over all 16384 slots). GET keys are filled first, hits are shown.
#
# Cluster: scripts/redis-cluster, 3 masters and NO replicas, on the first free
# base port (ports and +10000 free), in a temp dir; AOF and RDB switched off
# (CONFIG SET), like the anchors' servers. Stopped at exit.
#
# Each of ROUNDS rounds (default 3) measures every row once, alternating the
# sides, so load drifts hit all sides alike; medians are printed. A measurement
# waits while another compiler or benchmark runs (BUSY_WAIT s at most, default
# 600) and is flagged when it overlaps one anyway. The client and
# the three servers share this machine's cores: CPU columns are CPU seconds per
# 100k operations of the client process (getrusage / os.times / time(1) for
# redis-benchmark) and of the three servers together (INFO cpu), and commands
# per socket read on the servers (INFO stats: total_commands_processed /
# total_reads_processed), which shows how much the client's writes carry.
#
# Builds cluster_bench in build/release (cmake --preset release) unless
# CLUSTER_BENCH_BIN is set, waiting while another compiler runs (2 jobs).
# Raw results: $RESULTS (default: a temp file, removed at exit).
set -euo pipefail

DUR=${1:-10}
ROUNDS=${ROUNDS:-3}
BUSY_WAIT=${BUSY_WAIT:-600}
CALLERS=50
KEYSPACE=100000
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
BUILD=${YOONI_BENCH_BUILD_DIR:-$ROOT/build/release}
BIN=${CLUSTER_BENCH_BIN:-$BUILD/bench/cluster_bench}

BUSY_NAMES='cc1plus|ninja|ld|collect2|make|cmake|wrk|webdis|yooni-cache|yooni_.*_tes.*|uvicorn'
. "$ROOT/bench/lib.sh"
die() { echo "run-cluster-bench: $*" >&2; exit 1; }
[[ $DUR =~ ^[0-9]+$ ]] && [ "$DUR" -ge 1 ] || die "SECONDS must be a whole number >= 1, got '$DUR'"
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || die "ROUNDS must be a number >= 1"
for cmd in redis-server redis-cli redis-benchmark; do
  command -v "$cmd" >/dev/null || die "$cmd is missing (Debian: redis-server, redis-tools)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian: time)"
$PY -c 'from redis.asyncio.cluster import RedisCluster' 2>/dev/null || die "python3-redis with redis.asyncio.cluster is missing"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/yooni-cluster-bench.XXXXXX")
RESULTS=${RESULTS:-$TMP/results.tsv}
BASE=""
SAMPLER=""
stop_sampler() {
  if [ -n "$SAMPLER" ]; then kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""; fi
}
cleanup() {
  stop_sampler
  if [ -n "$BASE" ]; then "$ROOT/scripts/redis-cluster" stop --port "$BASE" --dir "$TMP/cluster" --clean >/dev/null 2>&1 || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

compiling() { pgrep -f cc1plus >/dev/null; }
# Other users' work on the same cores (our own processes are cluster_bench,
# redis-benchmark, python3 and redis-server: not matched).

# --- build ---------------------------------------------------------------------------------
if [ -z "${CLUSTER_BENCH_BIN:-}" ]; then
  for i in $(seq 120); do
    compiling || break
    [ "$i" = 1 ] && echo "run-cluster-bench: another compile is running; waiting (up to 10 min) before building"
    sleep 5
  done
  compiling && die "a compiler is still running after 10 min; build later or set CLUSTER_BENCH_BIN"
  (cd "$ROOT" && cmake --preset release -B "$BUILD" >/dev/null && cmake --build "$BUILD" --target cluster_bench -j2) \
    >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log" >&2; die "building cluster_bench failed"; }
fi
[ -x "$BIN" ] || die "$BIN is missing"

# --- cluster -------------------------------------------------------------------------------
for base in $(seq 7600 100 20000); do
  free=1
  for p in $base $((base + 1)) $((base + 2)) $((base + 10000)) $((base + 10001)) $((base + 10002)); do
    port_open "$p" && { free=0; break; }
  done
  [ "$free" = 1 ] && { BASE=$base; break; }
done
[ -n "$BASE" ] || die "no free base port between 7600 and 20000"
"$ROOT/scripts/redis-cluster" start --port "$BASE" --masters 3 --replicas 0 --dir "$TMP/cluster" >"$TMP/cluster.log" 2>&1 \
  || { cat "$TMP/cluster.log" >&2; die "cluster start on port $BASE failed"; }
MASTERS=("$BASE" $((BASE + 1)) $((BASE + 2)))
for p in "${MASTERS[@]}"; do
  redis-cli -p "$p" config set appendonly no >/dev/null
  redis-cli -p "$p" config set save "" >/dev/null
done
SEED=127.0.0.1:$BASE

# Sums over the masters: commands, socket reads, keyspace hits, misses, CPU seconds.
server_counters() {
  local p
  for p in "${MASTERS[@]}"; do redis-cli -p "$p" info stats cpu; done | tr -d '\r' | awk -F: '
    $1 == "total_commands_processed" { c += $2 } $1 == "total_reads_processed" { r += $2 }
    $1 == "keyspace_hits" { h += $2 } $1 == "keyspace_misses" { m += $2 }
    $1 == "used_cpu_sys" || $1 == "used_cpu_user" { cpu += $2 }
    END { printf "%d %d %d %d %.6f\n", c, r, h, m, cpu }'
}
flushall() { local p; for p in "${MASTERS[@]}"; do redis-cli -p "$p" flushall >/dev/null; done; }

# --- one measurement -----------------------------------------------------------------------
declare -A RB_RATE   # last redis-benchmark ops/s per row, to size -n for about DUR seconds
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# measure_once ROUND OP SIZE SIDE -> LINE, empty when the client failed (said on stderr):
# op size side round ops_s client_cpu_per_100k server_cpu_per_100k cmds_per_read hit_pct busy
measure_once() {
  local round=$1 op=$2 size=$3 side=$4 before after out rate cpu100 lop=${2,,}
  LINE=""
  rm -f "$TMP/busy"
  # Once a second: is someone else's compiler, test or benchmark running?
  ( while sleep 1; do busy_now && : >"$TMP/busy"; done ) &
  SAMPLER=$!
  before=$(server_counters)
  case $side in
    rb-P1|rb-P16)
      local P=${side#rb-P} key="$op $size $side" n
      local guess=60000
      [ "$P" = 16 ] && guess=$([ "$size" -le 1024 ] && echo 250000 || echo 100000)
      n=$(( ${RB_RATE[$key]:-$guess} * DUR ))
      out=$(/usr/bin/time -f "TIME %U %S %e" timeout $((DUR * 6 + 60)) redis-benchmark -h 127.0.0.1 -p "$BASE" --cluster \
              -t "$lop" -d "$size" -c "$CALLERS" -P "$P" -r "$KEYSPACE" -n "$n" --csv 2>&1) \
        || { echo "  $side $op $size: redis-benchmark FAILED: $(tail -3 <<<"$out")" >&2; stop_sampler; return 0; }
      rate=$(tr -d '"' <<<"$out" | awk -F, -v t="$op" '$1 == t { printf "%.0f", $2 }')
      [ -n "$rate" ] || { echo "  $side $op $size: no rate in: $(tail -3 <<<"$out")" >&2; stop_sampler; return 0; }
      RB_RATE[$key]=$rate
      cpu100=$(awk -v n="$n" '$1 == "TIME" { printf "%.4f", ($2 + $3) * 100000 / n }' <<<"$out")
      ;;
    ours-d1|ours-d1x2|ours-d16|old-d1|old-d16)
      local depth=1 threads=1 bin=$BIN
      [ "$side" = ours-d16 ] || [ "$side" = old-d16 ] && depth=16
      [ "$side" = ours-d1x2 ] && threads=2
      [[ $side == old-* ]] && bin=$BEFORE_BIN
      out=$(timeout $((DUR + 60)) "$bin" "$SEED" "$CALLERS" "$DUR" "$size" "$lop" "$depth" "$threads" "$KEYSPACE" 2>&1) \
        || { echo "  $side $op $size: cluster_bench FAILED: $(tail -4 <<<"$out")" >&2; stop_sampler; return 0; }
      out=$(grep '^RESULT' <<<"$out")
      rate=$(kv ops_s "$out"); cpu100=$(kv cpu_per_100k "$out")
      if [ "$(kv moved "$out")" != 0 ] || [ "$(kv ask "$out")" != 0 ]; then
        echo "  $side $op $size: redirections: $out" >&2
      fi
      ;;
    redis-py)
      out=$(timeout $((DUR + 120)) $PY "$ROOT/bench/redis_py_cluster_bench.py" "$SEED" "$CALLERS" "$DUR" "$size" "$lop" "$KEYSPACE" 2>&1) \
        || { echo "  $side $op $size: redis-py FAILED: $(tail -4 <<<"$out")" >&2; stop_sampler; return 0; }
      out=$(grep '^RESULT' <<<"$out")
      rate=$(kv ops_s "$out"); cpu100=$(kv cpu_per_100k "$out")
      ;;
  esac
  after=$(server_counters)
  stop_sampler
  local flag=0
  busy_now && : >"$TMP/busy"
  [ -f "$TMP/busy" ] && flag=1
  read -r c0 r0 h0 m0 u0 <<<"$before"; read -r c1 r1 h1 m1 u1 <<<"$after"
  LINE=$(awk -v op="$op" -v size="$size" -v side="$side" -v round="$round" -v rate="$rate" -v cpu="$cpu100" -v flag="$flag" \
    -v c="$((c1 - c0))" -v r="$((r1 - r0))" -v h="$((h1 - h0))" -v m="$((m1 - m0))" -v u0="$u0" -v u1="$u1" 'BEGIN {
      hit = (h + m) > 0 ? sprintf("%.1f", 100 * h / (h + m)) : "-"
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%.4f\t%.2f\t%s\t%s\n", op, size, side, round, rate, cpu,
             (c > 0 ? (u1 - u0) * 100000 / c : 0), (r > 0 ? c / r : 0), hit, flag }')
}

# measure ROUND OP SIZE SIDE: waits while other work runs (BUSY_WAIT s at most),
# measures, and measures again (twice at most) when other work overlapped.
measure() {
  local attempt waited
  for attempt in 1 2 3; do
    waited=0
    while busy_now && [ "$waited" -lt "$BUSY_WAIT" ]; do sleep 5; waited=$((waited + 5)); done
    measure_once "$@"
    [ -n "$LINE" ] || return 0
    [ "$(cut -f10 <<<"$LINE")" = 1 ] || break
  done
  echo "$LINE" >>"$RESULTS"
  awk -F'\t' '{ printf "  round %s  %-4s %5s B  %-10s %9s ops/s  client %6s  servers %6s CPU s/100k  %5s cmds/read  hits %s%%%s\n",
                $4, $1, $2, $3, $5, $6, $7, $8, $9, ($10 == 1 ? "  (machine busy)" : "") }' <<<"$LINE"
}

# --- the run -------------------------------------------------------------------------------
: >"$RESULTS"
SIDES=(rb-P1 ours-d1 redis-py ours-d1x2 rb-P16 ours-d16)
if [ -n "${BEFORE_BIN:-}" ]; then
  [ -x "$BEFORE_BIN" ] || die "BEFORE_BIN=$BEFORE_BIN is not an executable"
  SIDES+=(old-d1 old-d16)
fi
echo "== $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(redis-server --version | cut -d' ' -f1-3), redis-py $($PY -c 'import redis; print(redis.__version__)'),"\
     "cluster 3 masters / 0 replicas on 127.0.0.1:$BASE-$((BASE + 2)), AOF and RDB off"
echo "== $CALLERS callers, keyspace $KEYSPACE, $DUR s per measurement, $ROUNDS rounds"
for size in 100 4096; do
  # GET reads what is there: fill both key shapes with values of this size.
  flushall
  "$BIN" "$SEED" "$CALLERS" 1 "$size" fill 100 1 "$KEYSPACE" >"$TMP/fill.log" 2>&1 || { cat "$TMP/fill.log" >&2; die "fill failed"; }
  redis-benchmark -h 127.0.0.1 -p "$BASE" --cluster -t set -d "$size" -c "$CALLERS" -P 16 -r "$KEYSPACE" \
    -n $((KEYSPACE * 3 * 5)) -q >/dev/null 2>&1 || die "redis-benchmark fill failed"
  for round in $(seq "$ROUNDS"); do
    for op in SET GET; do
      # Alternate the order of the sides from round to round.
      if [ $((round % 2)) = 1 ]; then order=("${SIDES[@]}"); else order=(); for ((i = ${#SIDES[@]} - 1; i >= 0; i--)); do order+=("${SIDES[$i]}"); done; fi
      for side in "${order[@]}"; do measure "$round" "$op" "$size" "$side"; done
    done
  done
done
echo "== load at the end $(cut -d' ' -f1-3 /proc/loadavg)"

# --- summary -------------------------------------------------------------------------------
$PY - "$RESULTS" "$ROUNDS" "$DUR" <<'PY'
import statistics, sys
rows, flagged = {}, {}
busy = 0
for line in open(sys.argv[1]):
    op, size, side, rnd, rate, cpu, scpu, cpr, hit, flag = line.rstrip("\n").split("\t")
    # Medians over the measurements no other work overlapped, when there are any.
    (flagged if flag == "1" else rows).setdefault((op, int(size), side), []).append(
        (float(rate), float(cpu), float(scpu), float(cpr), hit))
    busy += flag == "1"
for k, v in flagged.items():
    rows.setdefault(k, v)
med = lambda k, i: statistics.median(v[i] for v in rows[k]) if k in rows else float("nan")
sides = ["rb-P1", "ours-d1", "ours-d1x2", "redis-py", "rb-P16", "ours-d16"]
before = any(k[2].startswith("old-") for k in rows)
if before:
    sides += ["old-d1", "old-d16"]
print()
print("ops/s, median of %s rounds x %s s; ratios (target): d1/P1 >= 1 (aim 2), d1/py >= 10, d16/P16 >= 0.8" % (sys.argv[2], sys.argv[3]))
print("%-9s" % "" + "".join("%10s" % s for s in sides) + "%8s %8s %8s %8s" % ("d1/P1", "d1x2/P1", "d1/py", "d16/P16"))
for op in ("GET", "SET"):
    for size in (100, 4096):
        k = lambda s: (op, size, s)
        r = {s: med(k(s), 0) for s in sides}
        print("%-9s" % f"{op} {size if size < 1024 else '4K'}" + "".join("%10.0f" % r[s] for s in sides) +
              "%8.2f %8.2f %8.1f %8.2f" % (r["ours-d1"] / r["rb-P1"], r["ours-d1x2"] / r["rb-P1"],
                                           r["ours-d1"] / r["redis-py"], r["ours-d16"] / r["rb-P16"]) +
              ("   before: d1/P1 %.2f d16/P16 %.2f" % (r["old-d1"] / r["rb-P1"], r["old-d16"] / r["rb-P16"])
               if before else ""))
for title, i, fmt in (("client CPU s per 100k ops (the client process)", 1, "%10.3f"),
                      ("servers' CPU s per 100k commands (3 masters together)", 2, "%10.3f"),
                      ("commands per socket read on the servers (pipelining seen by Redis)", 3, "%10.1f")):
    print()
    print(title)
    print("%-9s" % "" + "".join("%10s" % s for s in sides))
    for op in ("GET", "SET"):
        for size in (100, 4096):
            print("%-9s" % f"{op} {size if size < 1024 else '4K'}" + "".join(fmt % med((op, size, s), i) for s in sides))
print()
print("CPU use, cores: client + servers (of %d; ops/s x CPU s per op, medians)" % __import__("os").cpu_count())
print("%-9s" % "" + "".join("%11s" % s for s in sides))
for op in ("GET", "SET"):
    for size in (100, 4096):
        k = lambda s: (op, size, s)
        print("%-9s" % f"{op} {size if size < 1024 else '4K'}" + "".join(
            "%11s" % ("%.2f+%.2f" % (med(k(s), 0) * med(k(s), 1) / 1e5, med(k(s), 0) * med(k(s), 2) / 1e5)) for s in sides))
print()
print("GET hit rate % (last round): " + "; ".join(
    "%s %s: " % (op_size[0], op_size[1]) + " ".join("%s %s" % (s, rows[(op_size[0], op_size[1], s)][-1][4])
                                                   for s in sides if (op_size[0], op_size[1], s) in rows)
    for op_size in (("GET", 100), ("GET", 4096))))
if busy:
    print(f"WARNING: {busy} measurements overlapped other work (compiler, tests, benchmark) even after 3 attempts;")
    print("         medians leave them out where a row has other measurements")
PY
