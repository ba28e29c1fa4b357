#!/usr/bin/env bash
# Builds and runs every test: the GoogleTest suites (units, and integration
# tests against real redis-server processes and the real HTTP server, all on
# 127.0.0.1, started and stopped by the tests themselves), promtool's check
# of /metrics, and the end-to-end suites: the dashboard in headless Chromium,
# the deployment files, the cluster guide's commands and the short chaos run.
#   scripts/test.sh            debug build
#   YOONI_PRESET=asan scripts/test.sh   the same under ASan+UBSan
#   YOONI_PRESET=tsan scripts/test.sh   the resp, redis, cache and http suites under ThreadSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
preset=${YOONI_PRESET:-debug}
jobs=${YOONI_JOBS:-2}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$jobs"
# The end-to-end suites (label e2e: browser, deployment files, documentation,
# chaos) drive the binary from outside; they run once, in the debug build.
exclude=()
[[ "$preset" == "debug" ]] || exclude=(-LE e2e)
ctest --preset "$preset" -j "$jobs" --timeout 300 "${exclude[@]}"
