#include "support/service.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace yooni::test {

namespace {

std::vector<std::string> default_env() {
    return {"SECRET_KEY=" + kSecretKey,
            "API_TOKENS=ops:admin:" + kAdminToken + ",app:write:" + kWriterToken + ",dash:read:" + kReaderToken,
            "WORKER_THREADS=2", "LOG_LEVEL=info"};
}

// Settings a developer's shell may hold must not leak into tests.
std::vector<std::string> cleared_env() {
    return {"REDIS_URL", "REDIS_CLUSTER_ENABLED", "REDIS_CLUSTER_NODES", "REDIS_HOST", "REDIS_PORT", "HOST", "PORT",
            "SECRET_KEY", "API_TOKENS", "AUTH_DEFAULT_ROLE", "AUTH_AUDIENCE", "AUTH_ISSUER", "API_KEY_PREFIXES",
            "METRICS_TOKEN"};
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f{path};
    f << text;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

Service::Service(ServiceOptions options) {
    port_ = free_port();
    std::vector<std::string> env = cleared_env();
    if (options.default_env) {
        auto d = default_env();
        env.insert(env.end(), d.begin(), d.end());
    }
    env.push_back("PORT=" + std::to_string(port_));
    env.insert(env.end(), options.env.begin(), options.env.end());
    if (!options.dotenv.empty()) write_file(dir_.path() + "/.env", options.dotenv);
    std::vector<std::string> argv{YOONI_BINARY};
    argv.insert(argv.end(), options.args.begin(), options.args.end());
    process_ = ChildProcess(argv, env, dir_.path() + "/service.log", dir_.path());
    if (options.wait_ready && !wait_for_port(port_, std::chrono::seconds(20)))
        throw std::runtime_error("service did not open its port; log:\n" + log());
}

std::string Service::log() const {
    std::ifstream f{dir_.path() + "/service.log"};
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::size_t Service::log_count(const std::string& text) const {
    const auto all = log();
    std::size_t n = 0;
    for (auto at = all.find(text); !text.empty() && at != std::string::npos; at = all.find(text, at + text.size())) ++n;
    return n;
}

bool Service::wait_for_log(const std::string& text, std::size_t times, std::chrono::milliseconds cap) const {
    const auto deadline = std::chrono::steady_clock::now() + cap;
    for (;;) {
        if (log_count(text) >= times) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

HttpResponse Service::get(const std::string& target, const std::string& token) const {
    return http_request(port_, "GET", target, token.empty() ? decltype(bearer(token)){} : bearer(token));
}
HttpResponse Service::put(const std::string& target, const std::string& body, const std::string& token) const {
    auto h = token.empty() ? decltype(bearer(token)){} : bearer(token);
    h.emplace_back("Content-Type", "application/json");
    return http_request(port_, "PUT", target, h, body);
}
HttpResponse Service::del(const std::string& target, const std::string& token) const {
    return http_request(port_, "DELETE", target, token.empty() ? decltype(bearer(token)){} : bearer(token));
}
HttpResponse Service::post(const std::string& target, const std::string& body, const std::string& token) const {
    auto h = token.empty() ? decltype(bearer(token)){} : bearer(token);
    h.emplace_back("Content-Type", "application/json");
    return http_request(port_, "POST", target, h, body);
}

CommandResult run_binary(const std::vector<std::string>& args, const std::vector<std::string>& env,
                         const std::string& dotenv) {
    TempDir dir;
    if (!dotenv.empty()) write_file(dir.path() + "/.env", dotenv);
    // env(1) sets the variables and the working directory for the child.
    std::vector<std::string> argv{"env", "-C", dir.path()};
    for (const auto& e : cleared_env()) {
        argv.push_back("-u");
        argv.push_back(e);
    }
    for (const auto& e : env) argv.push_back(e);
    argv.push_back(YOONI_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {}, std::chrono::seconds(30));
}

}  // namespace yooni::test
