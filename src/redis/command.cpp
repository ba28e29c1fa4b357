#include <yooni/redis/client.hpp>
#include <yooni/redis/key_slot.hpp>

#include <yooni/resp/encoder.hpp>

namespace yooni::redis {

Command make_command(std::initializer_list<std::string_view> args) {
    Command c;
    resp::append_command(c.payload, args);
    if (args.size() > 1) c.slot = key_slot(*(args.begin() + 1));
    return c;
}

Command make_command(const std::vector<std::string_view>& args, std::uint16_t slot) {
    Command c;
    resp::append_command(c.payload, std::span<const std::string_view>{args});
    c.slot = slot;
    return c;
}

}  // namespace yooni::redis
