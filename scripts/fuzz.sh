#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan; preset `fuzz`) and runs
# each for a while from its seed corpus in fuzz/corpus/<target>. Fails on any
# crash, leak, sanitizer report, timeout or out-of-memory; the input that did
# it is kept in build/fuzz/artifacts/.
#   scripts/fuzz.sh                 every target, 30 s each (the CI smoke)
#   scripts/fuzz.sh 600 http glob   these targets, 10 minutes each
# Two targets run at a time (YOONI_FUZZ_JOBS). New inputs found go to
# build/fuzz/corpus/<target>, never into the committed seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --fuzz
seconds=${1:-30}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(resp_parser codec jwt settings redis_url cluster_topology glob http json_text)
jobs=${YOONI_FUZZ_JOBS:-2}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${YOONI_JOBS:-2}"

out=build/fuzz
mkdir -p "$out/artifacts" "$out/logs"
run_one() {
    local t=$1 timeout=10 max_len=65536
    case $t in
        glob) timeout=1 max_len=4096 ;;   # a slow pattern is a bug: 1 s per input at most
        http) max_len=16384 ;;
    esac
    mkdir -p "$out/corpus/$t"
    local dict=()
    [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="fuzz/dict/$t.dict")
    if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$out/fuzz/fuzz_$t" "$out/corpus/$t" "fuzz/corpus/$t" "${dict[@]}" \
            -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -max_len="$max_len" \
            -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 >"$out/logs/$t.log" 2>&1; then
        echo "fuzz $t: ok, $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$out/logs/$t.log" | grep -o '[0-9]*$') inputs in ${seconds} s"
    else
        echo "fuzz $t: FAILED (log: $out/logs/$t.log)"
        grep -E -A30 'ERROR: |SUMMARY|Test unit written|==[0-9]+==' "$out/logs/$t.log" | head -60
        return 1
    fi
}

failed=0
pids=()
for t in "${targets[@]}"; do
    [[ -x $out/fuzz/fuzz_$t ]] || { echo "fuzz: no target named $t" >&2; exit 2; }
    run_one "$t" &
    pids+=($!)
    if [[ ${#pids[@]} -ge $jobs ]]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed
