#!/usr/bin/env bash
# The service on a local Redis Cluster, from one command.
# Run with --help for usage.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/local-cluster.sh [serve options, e.g. --port 9000]
       scripts/local-cluster.sh --stop

  Starts a local Redis Cluster with scripts/redis-cluster (3 masters and
  3 replicas on 127.0.0.1:7000-7005; left alone when it already runs and is
  healthy), then runs `yooni-cache serve` in the foreground on it, with
  REDIS_CLUSTER_ENABLED=true and REDIS_CLUSTER_NODES=127.0.0.1:7000 (other
  settings from the environment and .env, as always).
  Ctrl-C stops the service; the cluster keeps running, with its data.

  --stop      stop the cluster's nodes (scripts/redis-cluster stop)
  -h, --help  this text

  CLUSTER_BASE_PORT=P puts the cluster on 127.0.0.1:P..P+5 instead of
  7000-7005 (with --stop too); the service is given 127.0.0.1:P as its seed.

  The service is build/release/yooni-cache, built first as scripts/run.sh
  does (missing Debian packages installed, then an incremental build).
  YOONI_CACHE_BIN=/path/to/yooni-cache runs that binary instead (no build).
EOF
}

cd "$(dirname "$0")/.."
base_port=${CLUSTER_BASE_PORT:-7000}
[[ "$base_port" =~ ^[0-9]+$ ]] && [ "$base_port" -ge 1 ] && [ "$base_port" -le 55530 ] \
  || { echo "local-cluster: CLUSTER_BASE_PORT=$base_port is not a port 1..55530 (the bus needs port+10000)" >&2; exit 64; }

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --stop) [ $# = 1 ] || { usage >&2; exit 64; }; exec scripts/redis-cluster stop --port "$base_port" ;;
esac

bin=${YOONI_CACHE_BIN:-}
if [ -z "$bin" ]; then
  bin=build/release/yooni-cache
  # The first build takes minutes; later ones are incremental and quick.
  [ -x "$bin" ] || echo "local-cluster: building $bin (the first time takes a few minutes) ..." >&2
  scripts/bootstrap.sh
  mkdir -p build
  log=build/local-cluster-build.log
  { cmake --preset release -DYOONI_BUILD_BENCH=OFF && cmake --build --preset release --target yooni-cache; } >"$log" 2>&1 \
    || { tail -n 40 "$log" >&2; echo "local-cluster: the build failed (whole log: $log)" >&2; exit 1; }
fi
[ -x "$bin" ] || { echo "local-cluster: $bin is not an executable" >&2; exit 1; }

scripts/redis-cluster start --port "$base_port"
REDIS_CLUSTER_ENABLED=true REDIS_CLUSTER_NODES=127.0.0.1:$base_port exec "$bin" serve "$@"
