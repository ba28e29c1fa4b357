// Value codec: decoding arbitrary stored bytes (plain, "gzip:"+base64, raw
// gzip) never crashes and respects the output bound; encoding any value and
// decoding it gives the value back, in both formats.
#include <yooni/codec/codec.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace yooni::codec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input{reinterpret_cast<const char*>(data), size};

    Options bounded;
    bounded.max_decoded_bytes = 1u << 20;  // a decompression bomb stops here
    if (auto r = Codec{bounded}.decode(input); r && r->size() > bounded.max_decoded_bytes) std::abort();

    for (const auto format : {Format::legacy, Format::gzip}) {
        Options o;
        o.format = format;
        o.threshold_bytes = 16;
        o.level = 1 + static_cast<int>(size % 9);
        const Codec codec{o};
        EncodeInfo info;
        const auto stored = codec.encode(input, &info);
        auto back = codec.decode(stored);
        if (!back || *back != input) std::abort();
        if (info.original_bytes != input.size() || info.stored_bytes != stored.size()) std::abort();
    }
    return 0;
}
