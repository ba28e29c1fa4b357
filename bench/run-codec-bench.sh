#!/bin/sh
# Builds the codec benchmark (release preset, one job: the machine is shared),
# runs it and the Python system's codec on the same samples, and prints the
# ratios the codec is held to:
#   libdeflate vs zlib (stream reused): compress 1.2-1.5x, decompress 1.3-3.9x,
#   compressed size within 2%; Codec vs Python: encode >= 3x, decode >= 8x.
# Usage: bench/run-codec-bench.sh   (YOONI_BENCH_BUILD_DIR overrides build/release)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${YOONI_BENCH_BUILD_DIR:-$root/build/release}
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$root"
cmake --preset release -B "$build" >/dev/null
ninja -C "$build" -j1 codec_bench

echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
# Repetitions are interleaved at random so that load from other users of the
# machine falls on zlib and libdeflate alike rather than on one of them.
echo "== C++ (Google Benchmark, median of 5 interleaved repetitions)"
"$build/bench/codec_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_enable_random_interleaving=true --benchmark_min_time=0.2 --benchmark_out="$work/cpp.json" --benchmark_out_format=json
echo "== Python"
"$python" bench/python_codec.py --json-out "$work/python.json"

"$python" - "$work/cpp.json" "$work/python.json" <<'PY'
import json, sys

cpp = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") == "median":
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        cpp[b["run_name"]] = (b["real_time"] * scale, b.get("ratio"))
py = {r["sample"]: r for r in json.load(open(sys.argv[2]))}

def t(name): return cpp[name][0]
def ratio(name): return cpp[name][1]
def mark(x, lo, hi=float("inf")): return "!" if x < lo else ("^" if x > hi else " ")

print()
print("Speed-ups are time ratios (slower / faster) of medians, wall clock on a shared machine.")
print("zlib = z_stream reused (deflateReset); zlib-init = init/end per call, like Python's gzip.")
print("Codec vs Python: Codec takes/returns JSON text; Python's path includes json.dumps/loads.")
print("'!' marks a figure below its target, '^' one above its expected range.")
head = ("sample", "compress", "(vs init)", "decompress", "(vs init)", "ratio ld", "ratio zl", "diff",
        "encode", "decode", "enc gzip", "dec gzip", "dec max")
print("diff: libdeflate's compressed size relative to zlib's (negative = smaller).")
print("'dec max': Python decode / bare libdeflate decompress, the most any gzip decode here could reach.")
print("%-15s %9s %9s %10s %9s %8s %8s %7s %8s %8s %8s %8s %8s" % head)
print("%-15s %9s %9s %10s %9s %8s %8s %7s %8s %8s %8s %8s %8s" % (
    "target", "1.2-1.5x", "", "1.3-3.9x", "", "", "", "<=2%", ">=3x", ">=8x", "", "", ""))
for sample in ("product-1k", "product-4k", "catalogue-200k"):
    c = t(f"compress/zlib/{sample}") / t(f"compress/libdeflate/{sample}")
    ci = t(f"compress/zlib-init/{sample}") / t(f"compress/libdeflate/{sample}")
    d = t(f"decompress/zlib/{sample}") / t(f"decompress/libdeflate/{sample}")
    di = t(f"decompress/zlib-init/{sample}") / t(f"decompress/libdeflate/{sample}")
    rl, rz = ratio(f"compress/libdeflate/{sample}"), ratio(f"compress/zlib/{sample}")
    diff = (rl - rz) / rz * 100
    p = py[sample]
    e = p["encode_ns"] / t(f"encode/legacy/{sample}")
    dd = p["decode_ns"] / t(f"decode/legacy/{sample}")
    eg = p["encode_ns"] / t(f"encode/gzip/{sample}")
    dg = p["decode_ns"] / t(f"decode/gzip/{sample}")
    dmax = p["decode_ns"] / t(f"decompress/libdeflate/{sample}")
    print("%-15s %8.2fx%s %8.2fx %9.2fx%s %8.2fx %8.3f %8.3f %+6.1f%%%s %7.1fx%s %7.1fx%s %7.1fx %7.1fx %7.1fx" % (
        sample, c, mark(c, 1.2, 1.5), ci, d, mark(d, 1.3, 3.9), di, rl, rz, diff,
        mark(-diff, -2), e, mark(e, 3), dd, mark(dd, 8), eg, dg, dmax))
PY
