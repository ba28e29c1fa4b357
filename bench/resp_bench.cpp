// RESP reply parsing: our resp::Parser against hiredis's redisReader on the
// same byte streams (RESP2: Debian's hiredis 0.14 has no RESP3).
//
// Both are driven the way a connection drives them: the stream arrives in
// 16 KB reads (hiredis's own read size in redisBufferRead) and every
// complete reply is taken and consumed before the next read.
//   ours:    append the read to a reused std::string, parse() replies in
//            place (zero copy), compact the unconsumed tail before the next read.
//   hiredis: redisReaderFeed() the read (it copies into its buffer), then
//            redisReaderGetReply() until no reply is left, freeReplyObject() each.
// Each side does one copy per byte. Consuming a reply = summing the lengths of
// its strings and the integers' values, so neither side's work is optimised away.
//
// Streams: (a) 1000 pipelined "$5 hello" replies, (b) 100 replies of 4 KB
// bulk, (c) one MGET-like array of 100 x 100-byte bulks, (d) 1000 pipelined
// integer replies. Counters: bytes_per_second (stream bytes), items_per_second
// (replies). bench/run-resp-bench.sh prints the ratio hiredis time / ours.
#include "yooni/resp/encoder.hpp"
#include "yooni/resp/parser.hpp"

#include <benchmark/benchmark.h>
#include <hiredis.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t kReadBytes = 16 * 1024;

struct Stream {
    std::string bytes;
    std::int64_t replies = 0;
};

Stream small_bulks() {
    Stream s;
    for (int i = 0; i < 1000; ++i) yooni::resp::append_bulk_string(s.bytes, "hello");
    s.replies = 1000;
    return s;
}

Stream large_bulks() {
    Stream s;
    const std::string value(4096, 'v');
    for (int i = 0; i < 100; ++i) yooni::resp::append_bulk_string(s.bytes, value);
    s.replies = 100;
    return s;
}

Stream mget_array() {
    Stream s;
    yooni::resp::append_array_header(s.bytes, 100);
    for (int i = 0; i < 100; ++i) {
        yooni::resp::append_bulk_string(s.bytes, std::string(100, static_cast<char>('a' + i % 26)));
    }
    s.replies = 1;
    return s;
}

Stream integers() {
    Stream s;
    std::int64_t value = 1;
    for (int i = 0; i < 1000; ++i) {
        yooni::resp::append_integer(s.bytes, i % 2 ? value : -value);
        value = value * 7 % 1000000007;
    }
    s.replies = 1000;
    return s;
}

std::uint64_t consume(const yooni::resp::Reply& reply) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < reply.nodes.size(); ++i) {
        if (reply.nodes[i].type == yooni::resp::Type::integer) {
            sum += static_cast<std::uint64_t>(*reply.as_integer(i));
        } else {
            sum += reply.nodes[i].value.size();
        }
    }
    return sum;
}

std::uint64_t consume(const redisReply* reply) {
    switch (reply->type) {
    case REDIS_REPLY_INTEGER: return static_cast<std::uint64_t>(reply->integer);
    case REDIS_REPLY_ARRAY: {
        std::uint64_t sum = 0;
        for (std::size_t i = 0; i < reply->elements; ++i) sum += consume(reply->element[i]);
        return sum;
    }
    default: return reply->len;
    }
}

// One pass over the stream with our parser; returns replies seen (-1 on error).
std::int64_t run_ours(yooni::resp::Parser& parser, yooni::resp::Reply& reply, std::string& buffer,
                      const std::string& stream, std::uint64_t& sum) {
    std::int64_t replies = 0;
    std::size_t read_pos = 0;
    buffer.clear();
    for (std::size_t from = 0; from < stream.size(); from += kReadBytes) {
        buffer.erase(0, read_pos);  // the unconsumed tail of a reply, if any
        read_pos = 0;
        buffer.append(stream, from, kReadBytes);
        for (;;) {
            auto got = parser.parse(std::string_view{buffer}.substr(read_pos), reply);
            if (!got) return -1;
            if (!*got) break;
            sum += consume(reply);
            read_pos += **got;
            ++replies;
        }
    }
    return replies;
}

std::int64_t run_hiredis(redisReader* reader, const std::string& stream, std::uint64_t& sum) {
    std::int64_t replies = 0;
    for (std::size_t from = 0; from < stream.size(); from += kReadBytes) {
        const std::size_t n = std::min(kReadBytes, stream.size() - from);
        if (redisReaderFeed(reader, stream.data() + from, n) != REDIS_OK) return -1;
        for (;;) {
            void* reply = nullptr;
            if (redisReaderGetReply(reader, &reply) != REDIS_OK) return -1;
            if (reply == nullptr) break;
            sum += consume(static_cast<const redisReply*>(reply));
            freeReplyObject(reply);
            ++replies;
        }
    }
    return replies;
}

void set_counters(benchmark::State& state, const Stream& s) {
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(s.bytes.size()));
    state.SetItemsProcessed(state.iterations() * s.replies);
}

void ours(benchmark::State& state, Stream (*make)()) {
    const Stream s = make();
    yooni::resp::Parser parser;
    yooni::resp::Reply reply;
    std::string buffer;
    std::uint64_t sum = 0;
    if (run_ours(parser, reply, buffer, s.bytes, sum) != s.replies) return state.SkipWithError("wrong reply count");
    for (auto _ : state) {
        benchmark::DoNotOptimize(run_ours(parser, reply, buffer, s.bytes, sum));
    }
    benchmark::DoNotOptimize(sum);
    set_counters(state, s);
}

void hiredis(benchmark::State& state, Stream (*make)()) {
    const Stream s = make();
    redisReader* reader = redisReaderCreate();
    std::uint64_t sum = 0;
    if (run_hiredis(reader, s.bytes, sum) != s.replies) {
        redisReaderFree(reader);
        return state.SkipWithError("wrong reply count");
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(run_hiredis(reader, s.bytes, sum));
    }
    benchmark::DoNotOptimize(sum);
    redisReaderFree(reader);
    set_counters(state, s);
}

BENCHMARK_CAPTURE(ours, small_bulks, small_bulks);
BENCHMARK_CAPTURE(hiredis, small_bulks, small_bulks);
BENCHMARK_CAPTURE(ours, large_bulks, large_bulks);
BENCHMARK_CAPTURE(hiredis, large_bulks, large_bulks);
BENCHMARK_CAPTURE(ours, mget_array, mget_array);
BENCHMARK_CAPTURE(hiredis, mget_array, mget_array);
BENCHMARK_CAPTURE(ours, integers, integers);
BENCHMARK_CAPTURE(hiredis, integers, integers);

}  // namespace

BENCHMARK_MAIN();
