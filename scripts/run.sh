#!/usr/bin/env bash
# Builds (release) and starts the service on the in-memory default at
# http://127.0.0.1:8000. Settings come from the environment and .env.
# Extra arguments go to `yooni-cache serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cmake --preset release -DYOONI_BUILD_BENCH=OFF >/dev/null
cmake --build --preset release --target yooni-cache
exec build/release/yooni-cache serve "$@"
