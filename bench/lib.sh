# Shared by the bench/run-*.sh scripts (sourced, not run).

# Stops these processes: SIGTERM to all, up to 5 s each to exit, then SIGKILL.
stop_pids() {
  local p
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
}

# Whether something accepts connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Whether another program that competes for the cores runs now: a process
# whose name matches the extended regex BUSY_NAMES exactly. grep reads all of
# ps's output (no -q): under pipefail an early exit would give ps a SIGPIPE
# and the pipeline a failure, which would read as "not busy".
BUSY_NAMES=${BUSY_NAMES:-cc1plus|ninja|ld|collect2|make|cmake|wrk|ctest|yooni_.*_tes.*}
busy_now() { ps -eo comm= | grep -xE "$BUSY_NAMES" >/dev/null; }
