#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing and running need,
# only when some are missing (quiet when all are there). Run as root or with sudo.
#   scripts/bootstrap.sh          build + test + run
#   scripts/bootstrap.sh --bench  also the benchmark tools (wrk, webdis, uvicorn, FastAPI)
#   scripts/bootstrap.sh --fuzz   also clang and libFuzzer (scripts/fuzz.sh)
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libssl-dev libdeflate-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev googletest
  redis-server redis-tools iproute2 util-linux
  python3 python3-jose python3-redis python3-yaml
  prometheus systemd
  chromium
)
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-14-dev)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(libbenchmark-dev zlib1g-dev libhiredis-dev wrk webdis python3-fastapi python3-uvicorn python3-uvloop python3-httptools)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done
# Node.js and npm drive the dashboard's browser test; any node will do (a
# NodeSource nodejs bundles npm, and conflicts with Debian's npm package).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian redis-server package starts a system instance on 6379; tests use
# their own servers on free ports and never touch it.

# The browser test's driver: playwright-core as tests/dashboard/package-lock.json
# pins it (it downloads no browser: the test runs Debian's chromium).
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ ! -d $root/tests/dashboard/node_modules/playwright-core ]]; then
  echo "bootstrap: npm ci --prefix tests/dashboard" >&2
  npm ci --prefix "$root/tests/dashboard" --no-audit --no-fund --loglevel=error >/dev/null
fi
