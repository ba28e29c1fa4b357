// The backend's typed status (cache::BackendStatus) as the JSON that
// /health/detailed shows under "details" and `yooni-cache stats` prints.
#pragma once

#include <yooni/cache/backend.hpp>

#include <boost/json/object.hpp>

namespace yooni::http {

boost::json::object status_json(const cache::BackendStatus& status);

}  // namespace yooni::http
