// Private to src/app: building the Redis client and the codec from the
// settings, shared by the service (app.cpp) and the operator commands
// (cli.cpp) so both talk to Redis with exactly the same settings.
#pragma once

#include <yooni/codec/codec.hpp>
#include <yooni/config/settings.hpp>
#include <yooni/redis/client.hpp>

#include <memory>

namespace yooni::app {

// The cluster client (REDIS_CLUSTER_ENABLED) or the standalone one, not yet
// started. Throws config::ConfigError on an unreadable node address.
std::unique_ptr<redis::Client> make_redis_client(const config::RedisSettings& r);

// CACHE_COMPRESSION_* and CACHE_VALUE_FORMAT as codec options.
codec::Options codec_options(const config::CacheSettings& c);

}  // namespace yooni::app
