// The resp/ layer in one include: RESP2/RESP3 encoder and incremental
// zero-copy parser. Depends on nothing of ours.
#pragma once

#include "yooni/resp/encoder.hpp"
#include "yooni/resp/error.hpp"
#include "yooni/resp/parser.hpp"
#include "yooni/resp/reply.hpp"
