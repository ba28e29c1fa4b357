// Settings: arbitrary .env text (with `${NAME}` expansion against a small
// process environment) read and validated. Bad input must end in ConfigError
// (one line, naming the variable), never in another exception or a crash; a
// secret must never appear in the error or in `config check`'s description.
#include <yooni/config/settings.hpp>

#include "config/dotenv.hpp"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace yooni::config;

namespace {

bool leaks(const std::string& text, const std::string& secret) {
    return secret.size() >= 8 && text.find(secret) != std::string::npos;
}

Environment without_secrets(Environment env) {
    for (const char* name : {"SECRET_KEY", "REDIS_PASSWORD", "REDIS_CLUSTER_PASSWORD", "API_TOKENS"})
        if (auto it = env.dotenv.find(name); it != env.dotenv.end()) it->second.assign(it->second.size(), 'Z');
    return env;
}

// The error for the same settings with every secret replaced by 'Z's: a
// "secret" the fuzzer made out of the message's own words is still there,
// a leaked one is not.
std::string error_without_secrets(const Environment& env) {
    try {
        (void)load(without_secrets(env));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return {};
}

// The same for `config check`'s lines: a secret whose text is also another
// setting's value is still there when the secrets are replaced, a leaked one is
// not. Empty when the replaced settings do not load.
std::vector<std::string> description_without_secrets(const Environment& env) {
    try {
        return describe(load(without_secrets(env)));
    } catch (const ConfigError&) {
        return {};
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    const std::map<std::string, std::string> process_env{{"HOME", "/home/yooni"}, {"PORT", "8080"}};
    Environment env;
    try {
        env = detail::parse_dotenv(text, process_env);
    } catch (const ConfigError& e) {
        // A .env that cannot be read is refused in one line naming where.
        if (std::string_view{e.what()}.find('\n') != std::string_view::npos) std::abort();
        return 0;
    }
    for (const auto& [name, line] : env.dotenv_lines)
        if (line < 1 || !env.dotenv.contains(name)) std::abort();

    const auto secret_of = [&](const char* name) {
        auto it = env.dotenv.find(name);
        return it == env.dotenv.end() ? std::string{} : it->second;
    };
    const std::string secrets[] = {secret_of("SECRET_KEY"), secret_of("REDIS_PASSWORD"), secret_of("REDIS_CLUSTER_PASSWORD"),
                                   secret_of("API_TOKENS")};
    try {
        const LoadedSettings loaded = load(env);
        const auto lines = describe(loaded);
        std::vector<std::string> replaced;
        for (std::size_t i = 0; i < lines.size(); ++i)
            for (const auto& s : secrets)
                if (leaks(lines[i], s)) {
                    if (replaced.empty()) replaced = description_without_secrets(env);
                    if (replaced.size() == lines.size() && !leaks(replaced[i], s)) std::abort();
                }
        (void)warnings(loaded);
    } catch (const ConfigError& e) {
        const std::string what = e.what();
        if (what.find('\n') != std::string::npos) std::abort();
        for (const auto& s : secrets)
            if (leaks(what, s) && !leaks(error_without_secrets(env), s)) std::abort();
    }
    return 0;
}
