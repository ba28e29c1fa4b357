// Small text helpers shared by the settings parsers. ASCII only: variable
// names and the values we validate (numbers, hosts, enums) are ASCII, and
// anything else is passed through untouched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace yooni::config::detail {

// Strips spaces, tabs, CR and LF at both ends.
std::string_view trim(std::string_view text);

std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);
bool iequals(std::string_view a, std::string_view b);

// Splits on `separator`; every piece trimmed, empty pieces kept (callers decide).
std::vector<std::string_view> split(std::string_view text, char separator);

// The value as it appears in a one-line message: in double quotes, with
// quotes, backslashes and control characters escaped, cut after 120
// characters so a pasted certificate does not flood the terminal.
std::string quoted(std::string_view value);

// The same escaping without quotes or cut, for describe() lines.
std::string one_line(std::string_view value);

}  // namespace yooni::config::detail
