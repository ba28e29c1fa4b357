// Codec benchmarks on the sample product-catalogue values (1 KB, 4 KB, 200 KB):
//   compress/decompress: libdeflate level 6 gzip against zlib level 6 gzip
//     (deflateInit2 windowBits 31, memLevel 8). zlib runs two ways: stream
//     reused with deflateReset/inflateReset (what a server would do) and
//     init/end per call (what Python's gzip.compress does). Buffers are
//     allocated once, outside the timed loop, for all of them.
//   encode/decode: the whole Codec path, legacy ("gzip:"+base64) and gzip
//     formats, including allocation of the returned string.
//   answer-gzip/L: codec::gzip_compress at level L, what the HTTP server
//     does to a large answer for a client that accepts gzip (the level it
//     uses is chosen from these rows; src/http/api.cpp).
// Counters: ratio = compressed / original bytes; bytes_per_second of original bytes.
#include "yooni/codec/codec.hpp"

#include <benchmark/benchmark.h>
#include <libdeflate.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

constexpr int kLevel = 6;

struct Sample {
    std::string name;
    std::string text;
};

std::vector<Sample> load_samples() {
    std::vector<Sample> out;
    for (const char* name : {"product-1k", "product-4k", "catalogue-200k"}) {
        const std::string path = std::string{YOONI_SOURCE_DIR} + "/bench/data/sample-" + name + ".json";
        std::ifstream in{path, std::ios::binary};
        std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
        if (text.empty()) {
            std::fprintf(stderr, "codec_bench: cannot read %s\n", path.c_str());
            std::exit(1);
        }
        out.push_back({name, std::move(text)});
    }
    return out;
}

void fail(benchmark::State& state, const char* what) { state.SkipWithError(what); }

void set_counters(benchmark::State& state, const Sample& s, std::size_t compressed) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.text.size()));
    state.counters["ratio"] = static_cast<double>(compressed) / static_cast<double>(s.text.size());
}

// ---- libdeflate, compressor/decompressor reused ------------------------------------

void libdeflate_compress(benchmark::State& state, const Sample& s) {
    libdeflate_compressor* c = libdeflate_alloc_compressor(kLevel);
    std::string out(libdeflate_gzip_compress_bound(c, s.text.size()), '\0');
    std::size_t n = 0;
    for (auto _ : state) {
        n = libdeflate_gzip_compress(c, s.text.data(), s.text.size(), out.data(), out.size());
        benchmark::DoNotOptimize(n);
    }
    libdeflate_free_compressor(c);
    if (n == 0) return fail(state, "libdeflate_gzip_compress");
    set_counters(state, s, n);
}

void libdeflate_decompress(benchmark::State& state, const Sample& s) {
    const std::string member = yooni::codec::gzip_compress(s.text, kLevel);
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    std::string out(s.text.size(), '\0');
    bool ok = true;
    for (auto _ : state) {
        std::size_t n = 0;
        ok &= libdeflate_gzip_decompress(d, member.data(), member.size(), out.data(), out.size(), &n) ==
              LIBDEFLATE_SUCCESS;
        benchmark::DoNotOptimize(out.data());
    }
    libdeflate_free_decompressor(d);
    if (!ok || out != s.text) return fail(state, "libdeflate_gzip_decompress");
    set_counters(state, s, member.size());
}

// ---- zlib gzip (windowBits 31) --------------------------------------------------------

constexpr int kGzipWindowBits = 15 + 16;

bool zlib_deflate_once(z_stream& z, const Sample& s, std::string& out) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.text.data()));
    z.avail_in = static_cast<uInt>(s.text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    return deflate(&z, Z_FINISH) == Z_STREAM_END;
}

bool zlib_inflate_once(z_stream& z, const std::string& member, std::string& out) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(member.data()));
    z.avail_in = static_cast<uInt>(member.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    return inflate(&z, Z_FINISH) == Z_STREAM_END;
}

void zlib_compress_reset(benchmark::State& state, const Sample& s) {
    z_stream z{};
    deflateInit2(&z, kLevel, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, s.text.size()) + 32, '\0');
    bool ok = true;
    for (auto _ : state) {
        deflateReset(&z);
        ok &= zlib_deflate_once(z, s, out);
        benchmark::DoNotOptimize(out.data());
    }
    const std::size_t n = z.total_out;
    deflateEnd(&z);
    if (!ok) return fail(state, "deflate");
    set_counters(state, s, n);
}

void zlib_compress_init(benchmark::State& state, const Sample& s) {
    std::string out(compressBound(static_cast<uLong>(s.text.size())) + 32, '\0');
    std::size_t n = 0;
    bool ok = true;
    for (auto _ : state) {
        z_stream z{};
        ok &= deflateInit2(&z, kLevel, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
        ok &= zlib_deflate_once(z, s, out);
        n = z.total_out;
        deflateEnd(&z);
        benchmark::DoNotOptimize(out.data());
    }
    if (!ok) return fail(state, "deflate");
    set_counters(state, s, n);
}

std::string zlib_gzip(const Sample& s) {
    z_stream z{};
    deflateInit2(&z, kLevel, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, s.text.size()) + 32, '\0');
    zlib_deflate_once(z, s, out);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

void zlib_decompress_reset(benchmark::State& state, const Sample& s) {
    const std::string member = zlib_gzip(s);
    z_stream z{};
    inflateInit2(&z, kGzipWindowBits);
    std::string out(s.text.size(), '\0');
    bool ok = true;
    for (auto _ : state) {
        inflateReset(&z);
        ok &= zlib_inflate_once(z, member, out);
        benchmark::DoNotOptimize(out.data());
    }
    inflateEnd(&z);
    if (!ok || out != s.text) return fail(state, "inflate");
    set_counters(state, s, member.size());
}

void zlib_decompress_init(benchmark::State& state, const Sample& s) {
    const std::string member = zlib_gzip(s);
    std::string out(s.text.size(), '\0');
    bool ok = true;
    for (auto _ : state) {
        z_stream z{};
        ok &= inflateInit2(&z, kGzipWindowBits) == Z_OK;
        ok &= zlib_inflate_once(z, member, out);
        inflateEnd(&z);
        benchmark::DoNotOptimize(out.data());
    }
    if (!ok || out != s.text) return fail(state, "inflate");
    set_counters(state, s, member.size());
}

// ---- the whole Codec path ----------------------------------------------------------------

yooni::codec::Codec make_codec(yooni::codec::Format format) {
    yooni::codec::Options o;
    o.format = format;
    o.level = kLevel;
    return yooni::codec::Codec{o};
}

void codec_encode(benchmark::State& state, const Sample& s, yooni::codec::Format format) {
    const auto codec = make_codec(format);
    yooni::codec::EncodeInfo info;
    for (auto _ : state) {
        std::string stored = codec.encode(s.text, &info);
        benchmark::DoNotOptimize(stored.data());
    }
    if (!info.compressed) return fail(state, "sample was not compressed");
    set_counters(state, s, info.stored_bytes);
}

void codec_decode(benchmark::State& state, const Sample& s, yooni::codec::Format format) {
    const auto codec = make_codec(format);
    const std::string stored = codec.encode(s.text);
    bool ok = true;
    for (auto _ : state) {
        auto value = codec.decode(stored);
        ok &= value.has_value();
        benchmark::DoNotOptimize(value);
    }
    if (!ok || codec.decode(stored).value() != s.text) return fail(state, "decode");
    set_counters(state, s, stored.size());
}

void answer_gzip(benchmark::State& state, const Sample& s, int level) {
    std::size_t n = 0;
    for (auto _ : state) {
        std::string member = yooni::codec::gzip_compress(s.text, level);
        n = member.size();
        benchmark::DoNotOptimize(member.data());
    }
    set_counters(state, s, n);
}

}  // namespace

int main(int argc, char** argv) {
    // Samples outlive the benchmarks, which capture them by reference.
    static const std::vector<Sample> samples = load_samples();
    using yooni::codec::Format;
    for (const auto& s : samples) {
        const auto reg = [&s](const std::string& what, auto fn) {
            benchmark::RegisterBenchmark((what + "/" + s.name).c_str(), [&s, fn](benchmark::State& st) { fn(st, s); });
        };
        reg("compress/libdeflate", libdeflate_compress);
        reg("compress/zlib", zlib_compress_reset);
        reg("compress/zlib-init", zlib_compress_init);
        reg("decompress/libdeflate", libdeflate_decompress);
        reg("decompress/zlib", zlib_decompress_reset);
        reg("decompress/zlib-init", zlib_decompress_init);
        reg("encode/legacy", [](benchmark::State& st, const Sample& x) { codec_encode(st, x, Format::legacy); });
        reg("encode/gzip", [](benchmark::State& st, const Sample& x) { codec_encode(st, x, Format::gzip); });
        reg("decode/legacy", [](benchmark::State& st, const Sample& x) { codec_decode(st, x, Format::legacy); });
        reg("decode/gzip", [](benchmark::State& st, const Sample& x) { codec_decode(st, x, Format::gzip); });
        for (int level : {1, 3, 6})
            reg("answer-gzip/" + std::to_string(level),
                [level](benchmark::State& st, const Sample& x) { answer_gzip(st, x, level); });
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
