#!/usr/bin/env bash
# Builds and runs every test: the GoogleTest suites (units, and integration
# tests against real redis-server processes and the real HTTP server, all on
# 127.0.0.1, started and stopped by the tests themselves) and promtool's check
# of /metrics.
#   scripts/test.sh            debug build
#   YOONI_PRESET=asan scripts/test.sh   the same under ASan+UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
preset=${YOONI_PRESET:-debug}
jobs=${YOONI_JOBS:-2}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$jobs"
# A test that fails is run once more before the suite fails: the cluster tests
# depend on Redis failover timing on a shared 2-core machine.
ctest --preset "$preset" -j "$jobs" --timeout 300 --repeat until-pass:2
