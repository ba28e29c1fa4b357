#include "http/json_text.hpp"

#include <boost/json/parse.hpp>

namespace yooni::http::detail {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Reads a JSON text from left to right, a value at a time, without building
// anything: it only finds where each value begins and ends.
class Cursor {
public:
    explicit Cursor(std::string_view text) : s_(text) {}

    // Skips whitespace; consumes `c` if it comes next.
    bool eat(char c) {
        skip_space();
        if (i_ >= s_.size() || s_[i_] != c) return false;
        ++i_;
        return true;
    }

    // The next value's text (after whitespace), and moves past it.
    std::optional<std::string_view> value() {
        skip_space();
        const std::size_t begin = i_;
        if (i_ >= s_.size()) return std::nullopt;
        const char c = s_[i_];
        if (c == '"') {
            if (!skip_string()) return std::nullopt;
        } else if (c == '{' || c == '[') {
            std::size_t depth = 0;
            while (i_ < s_.size()) {
                const char d = s_[i_];
                if (d == '"') {
                    if (!skip_string()) return std::nullopt;
                    continue;
                }
                ++i_;
                if (d == '{' || d == '[') ++depth;
                else if ((d == '}' || d == ']') && --depth == 0) break;
            }
            if (depth != 0) return std::nullopt;
        } else {
            // A number or a literal ends where the next delimiter begins.
            while (i_ < s_.size() && !is_space(s_[i_]) && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' &&
                   s_[i_] != ':')
                ++i_;
            if (i_ == begin) return std::nullopt;
        }
        return s_.substr(begin, i_ - begin);
    }

    // The next string's text, quotes included.
    std::optional<std::string_view> string() {
        skip_space();
        if (i_ >= s_.size() || s_[i_] != '"') return std::nullopt;
        return value();
    }

private:
    void skip_space() {
        while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    }

    // From an opening quote to past its closing one.
    bool skip_string() {
        for (++i_; i_ < s_.size(); ++i_) {
            if (s_[i_] == '\\') ++i_;  // the escaped character is never the closing quote
            else if (s_[i_] == '"') {
                ++i_;
                return true;
            }
        }
        return false;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

// Whether a member name as written (quotes and escapes included) is `name`.
bool names(std::string_view written, std::string_view name) {
    const std::string_view inner = written.substr(1, written.size() - 2);
    if (inner.find('\\') == std::string_view::npos) return inner == name;
    boost::system::error_code ec;
    const auto decoded = boost::json::parse(written, ec);
    return !ec && decoded.is_string() && std::string_view{decoded.get_string()} == name;
}

}  // namespace

std::optional<std::string_view> member_text(std::string_view object, std::string_view name) {
    Cursor c{object};
    if (!c.eat('{')) return std::nullopt;
    std::optional<std::string_view> found;
    if (c.eat('}')) return found;
    for (;;) {
        const auto written = c.string();
        if (!written || !c.eat(':')) return std::nullopt;
        const auto v = c.value();
        if (!v) return std::nullopt;
        if (names(*written, name)) found = v;
        if (c.eat(',')) continue;
        if (c.eat('}')) return found;
        return std::nullopt;
    }
}

std::optional<std::vector<std::string_view>> element_texts(std::string_view array) {
    Cursor c{array};
    if (!c.eat('[')) return std::nullopt;
    std::vector<std::string_view> out;
    if (c.eat(']')) return out;
    for (;;) {
        const auto v = c.value();
        if (!v) return std::nullopt;
        out.push_back(*v);
        if (c.eat(',')) continue;
        if (c.eat(']')) return out;
        return std::nullopt;
    }
}

}  // namespace yooni::http::detail
