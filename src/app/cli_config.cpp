// The settings as the operator commands load them (environment, then .env in
// the working directory), and `config check --json`: every effective setting
// with its source, and the warnings (cli_internal.hpp). The text form of
// `config check` is app.cpp's.
#include "app/cli_internal.hpp"

#include <cstdio>

namespace yooni::app::cli {

namespace json = boost::json;

config::LoadedSettings load_settings() { return config::load(config::read_environment(".")); }

int config_check_json() {
    auto loaded = load_settings();
    json::object settings;
    for (const auto& line : config::describe(loaded)) {
        // NAME=value  (source)
        const auto eq = line.find('=');
        const auto open = line.rfind("  (");
        if (eq == std::string::npos || open == std::string::npos || open < eq) continue;
        settings[line.substr(0, eq)] = json::object{{"value", line.substr(eq + 1, open - eq - 1)},
                                                    {"source", line.substr(open + 3, line.size() - open - 4)}};
    }
    json::array warnings;
    for (const auto& w : config::warnings(loaded)) warnings.emplace_back(w);
    print_json(json::object{{"dotenv", loaded.dotenv_path.empty() ? json::value(nullptr) : json::value(loaded.dotenv_path)},
                            {"settings", std::move(settings)},
                            {"warnings", std::move(warnings)},
                            {"ok", true}});
    return kExitOk;
}

}  // namespace yooni::app::cli
