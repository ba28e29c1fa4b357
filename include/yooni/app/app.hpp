// The executable's entry point: sub-commands (serve, config check, token),
// wiring of settings into objects, signals and graceful shutdown.
#pragma once

namespace yooni::app {

// Exit codes: 0 ok, 1 runtime failure (e.g. the port is taken), 2 bad
// settings or bad command line.
int run(int argc, char** argv);

}  // namespace yooni::app
