// Output of the operator commands (cli_internal.hpp): the error line (and its
// JSON document), JSON documents, aligned tables and "name  value" pairs.
#include "app/cli_internal.hpp"

#include <algorithm>
#include <cstdio>

namespace yooni::app::cli {

namespace json = boost::json;

void print_json(const json::value& v) {
    std::printf("%s\n", json::serialize(v).c_str());
    std::fflush(stdout);
}

// One error line on stderr; with --json also {"error", "exit_code"} on stdout.
int fail(const Context& ctx, int code, const std::string& message) {
    std::fprintf(stderr, "yooni-cache %s: %s\n", ctx.name.c_str(), message.c_str());
    if (ctx.json) print_json(json::object{{"error", message}, {"exit_code", code}});
    return code;
}

// Columns separated by two spaces; `right` columns (numbers) right-aligned.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& right) {
    std::vector<std::size_t> width(header.size(), 0);
    auto measure = [&width](const std::vector<std::string>& row) {
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
    };
    measure(header);
    for (const auto& r : rows) measure(r);
    auto print_row = [&](const std::vector<std::string>& row) {
        std::string line;
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
            const std::string pad(width[i] - row[i].size(), ' ');
            const bool last = i + 1 == row.size();
            if (i < right.size() && right[i]) line += pad + row[i];
            else line += last ? row[i] : row[i] + pad;
            if (!last) line += "  ";
        }
        std::printf("%s\n", line.c_str());
    };
    print_row(header);
    for (const auto& r : rows) print_row(r);
    std::fflush(stdout);
}

void print_pairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::size_t w = 0;
    for (const auto& [k, v] : pairs) w = std::max(w, k.size());
    for (const auto& [k, v] : pairs) std::printf("%s%s  %s\n", k.c_str(), std::string(w - k.size(), ' ').c_str(), v.c_str());
    std::fflush(stdout);
}

std::string text_of(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "-";
        case json::kind::string: return v.get_string().empty() ? "-" : std::string{v.get_string()};
        case json::kind::bool_: return v.get_bool() ? "true" : "false";
        case json::kind::array: {
            std::string out;
            for (const auto& e : v.get_array()) out += (out.empty() ? "" : ",") + text_of(e);
            return out.empty() ? "-" : out;
        }
        default: return json::serialize(v);
    }
}

void flatten(const json::object& o, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
    for (const auto& [k, v] : o) {
        const std::string name = prefix + std::string{k};
        if (v.is_object()) flatten(v.get_object(), name + ".", out);
        else out.emplace_back(name, text_of(v));
    }
}

std::string human_bytes(std::int64_t bytes) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    if (u == 0) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
    else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += sep;
        out += i;
    }
    return out;
}

}  // namespace yooni::app::cli
