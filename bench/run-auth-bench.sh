#!/usr/bin/env bash
# bench/run-auth-bench.sh [REPETITIONS=5]
#
# The bearer check alone (bench/auth_bench.cpp): ns per Authenticator::authenticate
# call for a hot client's JWT answered from the verified-token cache, the same
# JWT with the cache off, 8192 distinct JWTs in turn (every call misses and
# evicts), verify_jwt alone and a static token, in CPU time per call; medians of REPETITIONS
# repetitions interleaved at random (load from other users of the machine
# falls on every row alike), then the ratios to the cached row.
#
# Needs the release build of the bench (cmake --preset release &&
# cmake --build --preset release --target auth_bench), or AUTH_BENCH_BIN.
set -euo pipefail

REPS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${AUTH_BENCH_BIN:-$ROOT/build/release/bench/auth_bench}
die() { echo "run-auth-bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN is missing: cmake --preset release && cmake --build --preset release --target auth_bench"
[[ $REPS =~ ^[0-9]+$ ]] && [ "$REPS" -ge 1 ] || die "REPETITIONS must be a number >= 1"

OUT=$(mktemp "${TMPDIR:-/tmp}/yooni-auth-bench.XXXXXX")
trap 'rm -f "$OUT"' EXIT

echo "== $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)); load $(cut -d' ' -f1-3 /proc/loadavg)"
busy_before=no
pgrep -x cc1plus >/dev/null 2>&1 && busy_before=yes
"$BIN" --benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true \
  --benchmark_enable_random_interleaving=true --benchmark_min_time=0.2 \
  --benchmark_out="$OUT" --benchmark_out_format=json >/dev/null
busy_after=no
pgrep -x cc1plus >/dev/null 2>&1 && busy_after=yes

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
rows = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    # Thread CPU time: on this shared machine other processes stretch the wall
    # clock of a call, not the CPU it takes (the threaded row: CPU of both threads
    # over all their calls, so lock contention shows as a higher figure).
    rows[b["run_name"]] = b["cpu_time"] * scale
cached = next(v for k, v in rows.items() if k == "jwt/cached")
print("%-34s %12s %14s %12s" % ("bearer check", "CPU ns/call", "calls/s/core", "/ cached"))
for name, ns in rows.items():
    print("%-34s %12.0f %14.0f %11.1fx" % (name, ns, 1e9 / ns, ns / cached))
PY
if [ "$busy_before" = yes ] || [ "$busy_after" = yes ]; then
  echo "WARNING: a compiler ran beside the benchmark on this shared machine; the figures move with it."
fi
