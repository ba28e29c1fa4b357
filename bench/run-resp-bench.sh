#!/bin/sh
# Builds the RESP parser benchmark (release preset, resp_bench only, two jobs:
# the machine is shared), runs ours and hiredis's reader on the same streams
# and prints the ratio the parser is held to: hiredis time / our time >= 1.
# Needs libhiredis-dev (the benchmark's anchor only).
# Usage: bench/run-resp-bench.sh   (YOONI_BENCH_BUILD_DIR overrides build/release)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${YOONI_BENCH_BUILD_DIR:-$root/build/release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$root"
cmake --preset release -B "$build" >/dev/null
ninja -C "$build" -j2 resp_bench

echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "== hiredis $(pkg-config --modversion hiredis 2>/dev/null || echo '?')"
# Repetitions are interleaved at random so that load from other users of the
# machine falls on both parsers alike.
"$build/bench/resp_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_enable_random_interleaving=true --benchmark_min_time=0.2 \
    --benchmark_out="$work/resp.json" --benchmark_out_format=json >/dev/null 2>"$work/context.txt" ||
    { cat "$work/context.txt" >&2; exit 1; }

python3 - "$work/resp.json" <<'PY'
import json, sys

runs = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    side, stream = b["run_name"].split("/")
    # CPU time: single-threaded work, less disturbed than wall time by other
    # users of the machine (Google Benchmark's counters use it too).
    runs[(side, stream)] = (b["cpu_time"] * scale, b["bytes_per_second"], b["items_per_second"])

print()
print("Medians of 5 interleaved repetitions, CPU time per pass over the stream; 16 KB reads.")
print("ratio = hiredis time / our time (target >= 1.00; '!' marks a miss).")
print("%-12s %12s %12s %12s %12s %12s %12s %7s" % (
    "stream", "ours MB/s", "hiredis MB/s", "ours Mrep/s", "hired Mrep/s", "ours us", "hiredis us", "ratio"))
print("%-12s %12s %12s %12s %12s %12s %12s %7s" % ("target", "", "", "", "", "", "", ">=1.00"))
for stream in ("small_bulks", "large_bulks", "mget_array", "integers"):
    o, h = runs[("ours", stream)], runs[("hiredis", stream)]
    ratio = h[0] / o[0]
    print("%-12s %12.0f %12.0f %12.3f %12.3f %12.2f %12.2f %6.2fx%s" % (
        stream, o[1] / 1e6, h[1] / 1e6, o[2] / 1e6, h[2] / 1e6, o[0] / 1e3, h[0] / 1e3, ratio,
        "!" if ratio < 1 else ""))
PY
