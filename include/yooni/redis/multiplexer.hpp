// The request/reply bookkeeping of one Redis link, without sockets, timers
// or threads (sans-I/O): a state machine that takes commands with their reply
// counts, bytes read, deadlines passing, disconnects and RESP3 push frames,
// and gives back bytes to write and completions. redis::Connection drives it
// from Asio; the tests drive it directly through every interleaving.
//
// A request's life:
//   submit()         queued; nothing written yet
//   prepare_write()  its bytes appended to the next write; now in flight
//   replies arrive   counted against the oldest request in flight; when its
//                    count is reached it completes with exactly its replies
//   cancel()         (its deadline passed) completes at once with the given
//                    error. Queued: removed, never written. In flight:
//                    abandoned: its bytes are on the wire, so the replies
//                    still owed to it are read and dropped, and the next
//                    request's replies stay its own.
//   reset()          (the link is gone) every request completes with the
//                    given error; the parser and buffers start afresh.
//
// Invariants (tests/redis/multiplexer_test.cpp checks them exhaustively for
// small schedules and on a million random ones): each request completes
// exactly once; a successful completion carries exactly its own replies, in
// order; an abandoned request's replies are consumed and their memory freed
// as they arrive; a push frame never counts as a reply.
//
// Set-up (AUTH, SELECT, READONLY ...) goes first on a new link and nothing
// else may be written before its replies are checked: submit_setup() puts it
// ahead of the queue and holds every other request back until open().
//
// Threading: none; one Multiplexer per link, used from one thread.
#pragma once

#include <yooni/resp/parser.hpp>
#include <yooni/resp/reply.hpp>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace yooni::redis {

using RequestId = std::uint64_t;

struct Completion {
    RequestId id = 0;
    boost::system::error_code error;      // set: the request failed (timeout, lost link ...)
    std::vector<resp::OwnedReply> replies;  // without error: exactly the request's count
};

// What happened during one call that reads bytes.
struct ReadOutcome {
    std::vector<Completion> completions;
    std::vector<resp::OwnedReply> pushes;  // RESP3 out-of-band frames, in arrival order
    // The peer broke the protocol (bytes that are not RESP, or a reply with no
    // request waiting for it): the link must be reset.
    bool protocol_error = false;
};

class Multiplexer {
public:
    explicit Multiplexer(resp::Limits limits = {});

    // Queues a request of `expected` >= 1 replies. Its bytes are `payload`
    // followed by `parts`; each part is the caller's and must stay valid
    // until the request completes (it is copied by prepare_write() and never
    // read after completion).
    RequestId submit(std::string payload, std::vector<std::string_view> parts, std::size_t expected);
    // The set-up request of a new link, written before anything else; every
    // other request is held back until open(). Precondition: nothing in flight.
    RequestId submit_setup(std::string payload, std::size_t expected);
    // The set-up succeeded: the held requests may be written.
    void open();
    bool is_open() const { return open_; }

    // Appends the bytes of every request that may be written to `out` and
    // moves them in flight. Returns the number of commands (replies owed).
    std::size_t prepare_write(std::string& out);
    bool has_writable() const;

    // Reading: a writable span of at least `n` bytes at the buffer's end;
    // then commit_read() with how many of them the socket filled.
    std::span<char> prepare_read(std::size_t n);
    void commit_read(std::size_t n, ReadOutcome& out);
    // Both in one (tests, and callers that already hold the bytes).
    void feed(std::string_view bytes, ReadOutcome& out);

    // The request's deadline passed (or its caller gave up): it completes
    // now with `error`. False when it had completed already.
    bool cancel(RequestId id, boost::system::error_code error, std::vector<Completion>& out);
    // The link is gone: everything pending completes with `error`; set-up
    // is needed again before anything else is written.
    void reset(boost::system::error_code error, std::vector<Completion>& out);

    std::size_t pending() const;         // requests not completed (queued + in flight, abandoned excluded)
    std::size_t queued() const;          // not written yet
    std::size_t in_flight() const;       // written, replies outstanding (abandoned included)
    std::size_t abandoned_in_flight() const;
    std::size_t held_reply_bytes() const;  // bytes of replies kept for requests not complete yet
    std::uint64_t abandoned_total() const { return abandoned_total_; }  // abandoned requests whose replies all arrived

private:
    struct Request {
        RequestId id = 0;
        std::string payload;
        std::vector<std::string_view> parts;
        std::size_t expected = 1;
        std::size_t received = 0;  // counted apart from `replies`: an abandoned request keeps none
        std::vector<resp::OwnedReply> replies;
        std::size_t reply_bytes = 0;
        bool setup = false;
        bool abandoned = false;  // in flight, caller gone
    };
    static void forget_bytes(Request& r);
    void take_reply(std::size_t bytes, ReadOutcome& out);
    void parse_buffer(ReadOutcome& out);

    std::optional<Request> setup_;  // submitted, not written yet
    std::deque<Request> queued_;    // ids ascending; cancelled ones stay as tombstones until written
    std::deque<Request> inflight_;  // in write order: a set-up request first, the rest ids ascending
    std::size_t queued_live_ = 0;   // queued_ without tombstones
    RequestId next_id_ = 1;
    bool open_ = false;
    bool failed_ = false;           // protocol broken: nothing more is parsed until reset()
    resp::Parser parser_;
    resp::Reply scratch_;           // the reply being read (its nodes reused)
    std::string buffer_;            // read bytes; [buffer_pos_, size) not consumed yet
    std::size_t buffer_pos_ = 0;
    std::size_t prepared_ = 0;      // bytes at buffer_'s end handed out by prepare_read()
    std::size_t held_bytes_ = 0;
    std::size_t abandoned_inflight_ = 0;
    std::uint64_t abandoned_total_ = 0;
};

}  // namespace yooni::redis
