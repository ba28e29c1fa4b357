// The executable's entry point: sub-commands (serve, config check, token),
// wiring of settings into objects, signals and graceful shutdown.
#pragma once

namespace yooni::app {

// Exit codes: 0 ok, 1 runtime failure (the port is taken, Redis unreachable),
// 3 a key not found (get), 4 not in cluster mode (cluster ...), 2 bad
// settings or bad command line.
int run(int argc, char** argv);

}  // namespace yooni::app
