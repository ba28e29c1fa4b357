// Response helpers and URL decoding shared by the handlers.
#include <yooni/http/api.hpp>

#include <boost/json.hpp>

#include <charconv>
#include <cmath>

namespace yooni::http {

namespace {

void append_json(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::double_: {
            const double d = v.get_double();
            if (!std::isfinite(d)) {
                out += "null";  // JSON has no NaN/Infinity (Starlette refuses them too)
                return;
            }
            char buf[64];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
            std::string_view text{buf, static_cast<std::size_t>(end - buf)};
            out += text;
            if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
            return;
        }
        case boost::json::kind::object: {
            out += '{';
            bool first = true;
            for (const auto& [k, val] : v.get_object()) {
                if (!first) out += ',';
                first = false;
                out += boost::json::serialize(boost::json::string_view{k});
                out += ':';
                append_json(out, val);
            }
            out += '}';
            return;
        }
        case boost::json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& val : v.get_array()) {
                if (!first) out += ',';
                first = false;
                append_json(out, val);
            }
            out += ']';
            return;
        }
        default:
            out += boost::json::serialize(v);
    }
}

}  // namespace

std::string to_json_text(const boost::json::value& v) {
    std::string out;
    append_json(out, v);
    return out;
}

Response json_response(unsigned status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Response detail_error(unsigned status, std::string_view detail) {
    boost::json::object o;
    o["detail"] = detail;
    return json_response(status, boost::json::serialize(o));
}

Response validation_error(std::vector<std::string> loc, std::string_view type, std::string_view msg,
                          std::string_view input_json) {
    boost::json::object e;
    e["type"] = type;
    boost::json::array l;
    for (auto& part : loc) l.emplace_back(part);
    e["loc"] = std::move(l);
    e["msg"] = msg;
    boost::system::error_code ec;
    auto input = boost::json::parse(input_json, ec);
    e["input"] = ec ? boost::json::value(nullptr) : std::move(input);
    boost::json::object body;
    body["detail"] = boost::json::array{std::move(e)};
    return json_response(422, to_json_text(body));
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name, bool* malformed) {
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        auto raw_name = pair.substr(0, eq);
        auto decoded_name = percent_decode(raw_name, true);
        if (!decoded_name || *decoded_name != name) continue;
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!value) {
            if (malformed) *malformed = true;
            return std::nullopt;
        }
        return value;
    }
    return std::nullopt;
}

void HttpStats::count(RouteId route, unsigned status, std::chrono::nanoseconds took) {
    std::size_t i = 0;
    while (i + 1 < kStatuses.size() && kStatuses[i] != status) ++i;  // last slot (0) = any other status
    responses[static_cast<std::size_t>(route)][i].fetch_add(1, std::memory_order_relaxed);
    latency[static_cast<std::size_t>(route)].observe(took);
}

}  // namespace yooni::http
