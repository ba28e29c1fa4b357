// Private to src/app: building the Redis client and the codec from the
// settings, shared by the service (app.cpp) and the operator commands
// (cli_session.cpp) so both talk to Redis with exactly the same settings.
#pragma once

#include <yooni/codec/codec.hpp>
#include <yooni/config/settings.hpp>
#include <yooni/redis/client.hpp>

#include <memory>

namespace yooni::app {

// The cluster client (REDIS_CLUSTER_ENABLED) or the standalone one, not yet
// started. Throws config::ConfigError on an unreadable node address.
std::unique_ptr<redis::Client> make_redis_client(const config::RedisSettings& r);

// CACHE_COMPRESSION_* and CACHE_VALUE_FORMAT as codec options; decoding
// stops at HTTP_MAX_BODY_BYTES, the largest value the service takes to store
// (a stored gzip member of a few KB could otherwise inflate to the codec's
// default 512 MiB on every read).
codec::Options codec_options(const config::Settings& s);

}  // namespace yooni::app
