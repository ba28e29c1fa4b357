// The resp/ error category: one errc enum as boost::system::error_code.
#include "yooni/resp/error.hpp"

#include <string>

namespace yooni::resp {
namespace {

class RespCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "yooni.resp"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::unknown_type: return "RESP protocol error: unknown type byte";
        case errc::bad_length: return "RESP protocol error: invalid length or count";
        case errc::bulk_too_large: return "RESP protocol error: bulk length above the limit";
        case errc::aggregate_too_large: return "RESP protocol error: aggregate count above the limit";
        case errc::too_deep: return "RESP protocol error: aggregates nested beyond the limit";
        case errc::line_too_long: return "RESP protocol error: line longer than the limit";
        case errc::missing_crlf: return "RESP protocol error: missing or misplaced CRLF";
        case errc::bad_integer: return "RESP protocol error: invalid integer";
        case errc::bad_double: return "RESP protocol error: invalid double";
        case errc::bad_big_number: return "RESP protocol error: invalid big number";
        case errc::bad_boolean: return "RESP protocol error: invalid boolean";
        case errc::bad_null: return "RESP protocol error: invalid null";
        case errc::bad_verbatim: return "RESP protocol error: verbatim string without format prefix";
        case errc::streamed_unsupported: return "RESP protocol error: streamed RESP3 types are not supported";
        }
        return "unknown RESP error";
    }
};

}  // namespace

const boost::system::error_category& category() {
    static const RespCategory instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) {
    return {static_cast<int>(e), category()};
}

}  // namespace yooni::resp
