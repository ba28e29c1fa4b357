// The codec's error category: one errc enum as boost::system::error_code, so
// callers test `ec == codec::errc::bad_gzip` and log `ec.message()`.
#include "yooni/codec/codec.hpp"

#include <string>

namespace yooni::codec {
namespace {

class CodecCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "yooni.codec"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::bad_base64: return "stored value has the gzip: prefix but invalid base64";
        case errc::bad_gzip: return "stored value is not a valid gzip member";
        case errc::too_large: return "decoded value exceeds the size limit";
        }
        return "unknown codec error";
    }
};

}  // namespace

const boost::system::error_category& category() {
    static const CodecCategory instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) {
    return {static_cast<int>(e), category()};
}

}  // namespace yooni::codec
