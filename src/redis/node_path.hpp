// The data path of a client that talks to one Redis node at a time (the
// standalone client, and the Sentinel client on the master it resolved):
// one call's commands pipelined in a single write on the worker's link, the
// replies folded back to one per command, and SCAN-based pattern delete.
// Each client keeps its own retry policy around these.
#pragma once

#include <yooni/redis/client.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace yooni::redis::detail {

// Sends `commands` once on `conn` and returns one reply per command (for a
// command with several replies, a write and its WAIT: the first when it is an
// error, else the last). `commands` must outlive the call.
awaitable<result<std::vector<OwnedReply>>> run_on(Connection& conn, const std::vector<Command>& commands,
                                                  Deadline deadline);

// The call certainly never reached the node (no link could be opened, or the
// link's set-up was refused): safe to send anywhere, whatever the command.
bool never_sent(const boost::system::error_code& ec);
// The link broke with the call queued or in flight: the node may have run it.
bool link_lost(const boost::system::error_code& ec);

// SCAN MATCH over the client's node, UNLINK in batches (through client.run,
// so the client's own retry policy applies); how many keys were deleted.
awaitable<result<std::size_t>> scan_and_unlink(Client& client, std::string pattern, Deadline deadline,
                                               std::size_t scan_count, std::size_t unlink_batch);

}  // namespace yooni::redis::detail
