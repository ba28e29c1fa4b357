#!/usr/bin/env bash
# bench/run-memory-store-bench.sh [ROUNDS=3] [ENTRIES=100000] [FLOOD_KEYS=4096]
#
# The memory store alone (bench/memory_store_bench.cpp): the hot path (get hit
# and miss, set of an existing and of a new key, ns per call) and a hash flood
# (FLOOD_KEYS keys sharing one shard and bucket under std::hash placement, a
# batch of 1000 gets of them, ms). With BEFORE_BIN=<another build's
# memory_store_bench> both builds run in turns, ROUNDS times, the order
# alternating from round to round so drifts of the machine hit both alike;
# medians are printed with the ratio ours/before (above 1: ours is slower).
#
# Needs the release build of the bench (cmake --preset release &&
# cmake --build --preset release --target memory_store_bench), or
# MEMORY_STORE_BENCH_BIN. Single-threaded: the other core stays free, but a
# compiler running beside it moves the figures (the script says when one ran).
set -euo pipefail

ROUNDS=${1:-3}
ENTRIES=${2:-100000}
FLOOD_KEYS=${3:-4096}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${MEMORY_STORE_BENCH_BIN:-$ROOT/build/release/bench/memory_store_bench}

die() { echo "run-memory-store-bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN is missing: cmake --preset release && cmake --build --preset release --target memory_store_bench"
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || die "ROUNDS must be a number >= 1"
SIDES=(ours)
if [ -n "${BEFORE_BIN:-}" ]; then
  [ -x "$BEFORE_BIN" ] || die "BEFORE_BIN=$BEFORE_BIN is not an executable"
  SIDES+=(before)
fi

RESULTS=$(mktemp "${TMPDIR:-/tmp}/yooni-memory-store-bench.XXXXXX")
trap 'rm -f "$RESULTS"' EXIT

busy() { pgrep -x cc1plus >/dev/null 2>&1; }
echo "== $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $ENTRIES entries (hot), $FLOOD_KEYS flood keys, $ROUNDS rounds; sides: ${SIDES[*]}"
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order=("${SIDES[@]}"); else order=(); for ((i = ${#SIDES[@]} - 1; i >= 0; i--)); do order+=("${SIDES[$i]}"); done; fi
  for side in "${order[@]}"; do
    bin=$BIN
    [ "$side" = before ] && bin=$BEFORE_BIN
    flag=""
    busy && flag=" (a compiler was running)"
    line=$("$bin" all "$ENTRIES" "$FLOOD_KEYS" | grep '^RESULT') || die "$side: memory_store_bench failed"
    busy && flag=" (a compiler was running)"
    echo "  round $round $side: ${line#RESULT }$flag"
    echo "$side ${line#RESULT }" >>"$RESULTS"
  done
done

/usr/bin/python3 - "$RESULTS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    side, *pairs = line.split()
    for k, v in (p.split("=") for p in pairs):
        runs.setdefault(side, {}).setdefault(k, []).append(float(v))
names = list(runs["ours"])
print(f"{'median':<18}" + "".join(f"{s:>12}" for s in runs) + ("   ours/before" if "before" in runs else ""))
for k in names:
    row = f"{k:<18}" + "".join(f"{statistics.median(runs[s][k]):>12.3f}" for s in runs)
    if "before" in runs:
        row += f"   {statistics.median(runs['ours'][k]) / statistics.median(runs['before'][k]):>10.3f}"
    print(row)
PY
