// The single-node data path shared by the standalone and Sentinel clients (see the header).
#include "redis/node_path.hpp"

#include <yooni/resp/encoder.hpp>

namespace yooni::redis::detail {

awaitable<result<std::vector<OwnedReply>>> run_on(Connection& conn, const std::vector<Command>& commands,
                                                  Deadline deadline) {
    std::size_t count = 0;
    for (const auto& c : commands) count += c.replies;
    // The commands' own bytes, not a copy: `commands` outlives the call.
    std::vector<std::string_view> parts;
    parts.reserve(commands.size());
    for (const auto& c : commands) parts.emplace_back(c.payload);
    auto replies = co_await conn.execute_parts(std::move(parts), count, deadline);
    if (!replies || count == commands.size()) co_return replies;
    // Commands with several replies (a write and its WAIT): the first when it
    // is an error, else the last.
    std::vector<OwnedReply> out;
    out.reserve(commands.size());
    std::size_t pos = 0;
    for (const auto& c : commands) {
        auto& first = (*replies)[pos];
        out.push_back(std::move(first->is_error() ? first : (*replies)[pos + c.replies - 1]));
        pos += c.replies;
    }
    co_return out;
}

bool never_sent(const boost::system::error_code& ec) {
    return ec == make_error_code(errc::connect_failed) || ec == make_error_code(errc::backing_off) ||
           ec == make_error_code(errc::auth_failed);
}

bool link_lost(const boost::system::error_code& ec) {
    return ec == make_error_code(errc::closed) || ec == make_error_code(errc::protocol_error);
}

awaitable<result<std::size_t>> scan_and_unlink(Client& client, std::string pattern, Deadline deadline,
                                               std::size_t scan_count, std::size_t unlink_batch) {
    std::string cursor = "0";
    std::size_t deleted = 0;
    const auto count = std::to_string(scan_count);
    do {
        Command scan;
        resp::append_command(scan.payload, {"SCAN", cursor, "MATCH", pattern, "COUNT", count});
        std::vector<Command> one;
        one.push_back(std::move(scan));
        auto replies = co_await client.run(std::move(one), deadline);
        if (!replies) co_return replies.error();
        const auto& r = (*replies)[0].reply();
        if (r.is_error() || r.nodes.size() < 2) co_return make_error_code(errc::server_error);
        auto next = r.as_string(1);
        if (!next) co_return make_error_code(errc::server_error);
        cursor = std::string{*next};
        std::vector<std::string_view> batch{"UNLINK"};
        std::vector<Command> unlinks;
        for (std::size_t i : r.children(2)) {
            if (auto key = r.as_string(i)) batch.push_back(*key);
            if (batch.size() > unlink_batch) {
                unlinks.push_back(make_command(batch, 0));
                batch.resize(1);
            }
        }
        if (batch.size() > 1) unlinks.push_back(make_command(batch, 0));
        if (!unlinks.empty()) {
            auto done = co_await client.run(std::move(unlinks), deadline);
            if (!done) co_return done.error();
            for (const auto& d : *done)
                if (auto n = d->as_integer()) deleted += static_cast<std::size_t>(*n);
        }
    } while (cursor != "0");
    co_return deleted;
}

}  // namespace yooni::redis::detail
