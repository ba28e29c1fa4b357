// `.env` as python-dotenv reads it for pydantic-settings, except that a
// line it would skip with a logged warning (no '=', a bad name, an
// unterminated quote) stops the start instead: a silently dropped
// REDIS_URL would send the service to the wrong place.
#include "config/dotenv.hpp"

#include "config/text.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;  // POSIX; not declared by <unistd.h> without _GNU_SOURCE

namespace yooni::config {
namespace detail {
namespace {

bool is_horizontal_space(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }
bool is_space(char c) { return is_horizontal_space(c) || c == '\r' || c == '\n'; }
bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_valid_name(std::string_view name) {
    if (name.empty() || !is_name_start(name.front())) return false;
    for (char c : name) {
        if (!is_name_char(c)) return false;
    }
    return true;
}

// Decodes the escapes python-dotenv decodes: in double quotes
// \\ \' \" \a \b \f \n \r \t \v; in single quotes only \\ and \'.
// Any other backslash stays as written.
std::string decode_escapes(std::string_view raw, bool double_quoted) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\' || i + 1 == raw.size()) {
            out += raw[i];
            continue;
        }
        const char next = raw[i + 1];
        char decoded = 0;
        switch (next) {
            case '\\': decoded = '\\'; break;
            case '\'': decoded = '\''; break;
            default:
                if (double_quoted) {
                    switch (next) {
                        case '"': decoded = '"'; break;
                        case 'a': decoded = '\a'; break;
                        case 'b': decoded = '\b'; break;
                        case 'f': decoded = '\f'; break;
                        case 'n': decoded = '\n'; break;
                        case 'r': decoded = '\r'; break;
                        case 't': decoded = '\t'; break;
                        case 'v': decoded = '\v'; break;
                        default: break;
                    }
                }
        }
        if (decoded == 0) {
            out += raw[i];
            continue;
        }
        out += decoded;
        ++i;
    }
    return out;
}

// `${NAME}` / `${NAME:-default}`; text that does not match stays literal.
std::string expand(std::string_view value, const std::map<std::string, std::string>& dotenv,
                   const std::map<std::string, std::string>& process_env) {
    std::string out;
    std::size_t i = 0;
    while (i < value.size()) {
        if (value.compare(i, 2, "${") != 0) {
            out += value[i++];
            continue;
        }
        const auto name_end = value.find_first_of("}:", i + 2);
        if (name_end == std::string_view::npos) {
            out += value[i++];
            continue;
        }
        const auto name = std::string(value.substr(i + 2, name_end - i - 2));
        std::optional<std::string_view> fallback;
        std::size_t close = name_end;
        if (value[name_end] == ':') {
            if (value.compare(name_end, 2, ":-") != 0) {
                out += value[i++];
                continue;
            }
            close = value.find('}', name_end + 2);
            if (close == std::string_view::npos) {
                out += value[i++];
                continue;
            }
            fallback = value.substr(name_end + 2, close - name_end - 2);
        }
        if (auto it = dotenv.find(name); it != dotenv.end()) {
            out += it->second;
        } else if (auto env_it = process_env.find(name); env_it != process_env.end()) {
            out += env_it->second;
        } else if (fallback) {
            out += *fallback;
        }
        i = close + 1;
    }
    return out;
}

class DotenvParser {
public:
    DotenvParser(std::string_view text, const std::map<std::string, std::string>& process_env)
        : text_(text), process_env_(process_env) {
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // UTF-8 BOM
    }

    Environment run() {
        for (;;) {
            skip_blank();
            if (at_end()) return std::move(result_);
            statement();
        }
    }

private:
    [[noreturn]] void fail(int line, const std::string& what) const {
        throw ConfigError(".env", ".env line " + std::to_string(line) + ": " + what);
    }

    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }

    // Advances one character, counting \n, \r and \r\n as one line break each.
    void advance() {
        const char c = text_[pos_++];
        if (c == '\n' || (c == '\r' && peek() != '\n')) ++line_;
    }

    void skip_blank() {
        while (!at_end() && is_space(peek())) advance();
    }

    void skip_horizontal_space() {
        while (!at_end() && is_horizontal_space(peek())) advance();
    }

    void skip_rest_of_line() {
        while (!at_end() && peek() != '\n' && peek() != '\r') advance();
    }

    bool at_line_end() const { return at_end() || peek() == '\n' || peek() == '\r'; }

    void statement() {
        const int line = line_;
        if (peek() == '#') {
            skip_rest_of_line();
            return;
        }
        if (text_.compare(pos_, 6, "export") == 0 && pos_ + 6 < text_.size() &&
            is_horizontal_space(text_[pos_ + 6])) {
            pos_ += 6;
            skip_horizontal_space();
        }
        const auto name_start = pos_;
        while (!at_end() && peek() != '=' && peek() != '#' && !is_space(peek())) advance();
        const auto name = text_.substr(name_start, pos_ - name_start);
        skip_horizontal_space();
        // The name is not echoed when '=' is missing: such a line is as
        // likely a pasted secret as a variable name.
        if (peek() != '=') fail(line, "expected NAME=VALUE, found no '='");
        if (!is_valid_name(name)) {
            fail(line, quoted(name) + " is not a variable name (letters, digits and _, not starting with a digit)");
        }
        advance();  // '='
        const auto before_value = pos_;
        skip_horizontal_space();
        const bool spaced = pos_ != before_value;

        std::string value;
        if (peek() == '\'' || peek() == '"') {
            value = quoted_value(line, name);
        } else {
            value = unquoted_value(spaced);
        }
        std::string key(name);
        value = expand(value, result_.dotenv, process_env_);
        result_.dotenv[key] = std::move(value);
        result_.dotenv_lines[key] = line;  // a repeated name: the last line wins, as in python-dotenv
    }

    std::string quoted_value(int line, std::string_view name) {
        const char quote = peek();
        advance();
        const auto start = pos_;
        for (;;) {
            if (at_end()) {
                fail(line, std::string(name) + ": unterminated " + (quote == '"' ? "double" : "single") +
                               " quote (a quoted value may span lines but must be closed)");
            }
            if (peek() == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] == quote) {
                advance();
                advance();
                continue;
            }
            if (peek() == quote) break;
            advance();
        }
        const auto raw = text_.substr(start, pos_ - start);
        advance();  // closing quote
        skip_horizontal_space();
        if (peek() == '#') skip_rest_of_line();
        if (!at_line_end()) fail(line, std::string(name) + ": unexpected text after the closing quote");
        return decode_escapes(raw, quote == '"');
    }

    std::string unquoted_value(bool spaced) {
        const auto start = pos_;
        skip_rest_of_line();
        std::string_view raw = text_.substr(start, pos_ - start);
        // `KEY=  # note` is empty, but `KEY=#abc` is "#abc".
        if (spaced && !raw.empty() && raw.front() == '#') return {};
        // A comment starts at a '#' preceded by whitespace: `a#b` keeps it.
        for (std::size_t i = 1; i < raw.size(); ++i) {
            if (raw[i] == '#' && is_horizontal_space(raw[i - 1])) {
                raw = raw.substr(0, i);
                break;
            }
        }
        return std::string(trim(raw));
    }

    std::string_view text_;
    const std::map<std::string, std::string>& process_env_;
    std::size_t pos_ = 0;
    int line_ = 1;
    Environment result_;
};

}  // namespace

Environment parse_dotenv(std::string_view text, const std::map<std::string, std::string>& process_env) {
    return DotenvParser(text, process_env).run();
}

std::vector<std::pair<std::string, std::string>> process_environment_in_order() {
    std::vector<std::pair<std::string, std::string>> all;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto eq = text.find('=');
        if (eq == std::string_view::npos) continue;
        all.emplace_back(text.substr(0, eq), text.substr(eq + 1));
    }
    return all;
}

std::map<std::string, std::string> process_environment() {
    std::map<std::string, std::string> all;
    for (auto& [name, value] : process_environment_in_order()) all[name] = std::move(value);
    return all;
}

bool is_known(std::string_view name) {
    for (const auto& doc : variables()) {
        if (iequals(doc.name, name)) return true;
    }
    return false;
}

namespace {

// Levenshtein distance of the upper-cased names, given up above `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
    if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        std::size_t best = row[0];
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const bool same = std::toupper(static_cast<unsigned char>(a[i - 1])) ==
                              std::toupper(static_cast<unsigned char>(b[j - 1]));
            const std::size_t next = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = row[j];
            row[j] = next;
            best = std::min(best, next);
        }
        if (best > limit) return limit + 1;
    }
    return row[b.size()];
}

}  // namespace

std::optional<std::string> closest_variable(std::string_view name) {
    if (name.size() < 4 || is_known(name)) return std::nullopt;
    const std::size_t limit = name.size() >= 8 ? 2 : 1;
    std::optional<std::string> closest;
    std::size_t closest_distance = limit + 1;
    bool tie = false;
    for (const auto& doc : variables()) {
        const auto d = edit_distance(name, doc.name, limit);
        if (d < closest_distance) {
            closest = doc.name;
            closest_distance = d;
            tie = false;
        } else if (d == closest_distance && d <= limit) {
            tie = true;
        }
    }
    if (tie) return std::nullopt;
    return closest;
}

}  // namespace detail

Environment parse_dotenv(std::string_view text) {
    return detail::parse_dotenv(text, detail::process_environment());
}

Environment read_environment(const std::string& dotenv_dir) {
    const auto in_order = detail::process_environment_in_order();
    const auto process_env = detail::process_environment();
    const auto path = std::filesystem::path(dotenv_dir.empty() ? "." : dotenv_dir) / ".env";

    Environment environment;
    std::error_code ec;
    // python-dotenv reads regular files (and FIFOs); a directory named .env is no .env.
    const auto status = std::filesystem::status(path, ec);
    if (!ec && (std::filesystem::is_regular_file(status) || std::filesystem::is_fifo(status))) {
        std::ifstream file(path, std::ios::binary);
        if (!file.is_open()) throw ConfigError(".env", "cannot read " + path.string());
        std::ostringstream text;
        text << file.rdbuf();
        environment = detail::parse_dotenv(text.str(), process_env);
        environment.dotenv_path = path.string();
    }

    // pydantic-settings with case_sensitive=False lowers every name of
    // os.environ, so `redis_url` counts; among spellings of one name the
    // last in the environment wins there, and here. A name one slip away from
    // a setting's is kept too, for load() to list: a typo in a deployment's
    // environment is otherwise silently a default.
    for (const auto& [name, value] : in_order) {
        if (detail::is_known(name) || detail::closest_variable(name)) environment.env[detail::to_upper(name)] = value;
    }
    return environment;
}

}  // namespace yooni::config
