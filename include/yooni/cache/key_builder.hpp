// Keys generated for cached function results, byte for byte as the Python
// system built them:
//   prefix + name + ":" + md5_hex(json.dumps({"args": [...], "kwargs": {...}},
//                                            sort_keys=True, ensure_ascii=False))
// with Python's default separators ", " and ": ".
#pragma once

#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>

namespace yooni::cache {

// json.dumps(value, sort_keys=True, ensure_ascii=False) of a JSON value,
// including Python's float repr (1e-05, 1e+16, 0.1, 1.0).
std::string python_json_dumps(const boost::json::value& value);

std::string md5_hex(std::string_view bytes);

// `args` must be an array and `kwargs` an object.
std::string build_key(std::string_view prefix, std::string_view name,
                      const boost::json::array& args, const boost::json::object& kwargs);

}  // namespace yooni::cache
