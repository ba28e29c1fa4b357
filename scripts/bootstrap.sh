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
  redis-server redis-tools
  python3 python3-jose python3-redis python3-yaml
  prometheus systemd
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
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian redis-server package starts a system instance on 6379; tests use
# their own servers on free ports and never touch it.
