// redis::Multiplexer without sockets: every interleaving of a few small
// requests, then a million seeded random schedules, against a model server
// that answers each command with a reply naming the command. The invariants:
// every request completes exactly once; a successful completion carries
// exactly its own replies, in order; a cancelled or lost request completes
// with its error at once; a request cancelled before it was written is never
// written; replies of abandoned requests are consumed and their memory freed;
// push frames never count as replies; nothing but the set-up is written
// before the link is opened.
#include <yooni/redis/connection.hpp>
#include <yooni/redis/multiplexer.hpp>
#include <yooni/resp/encoder.hpp>
#include <yooni/resp/parser.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <sstream>

namespace yooni::redis {
namespace {

using boost::system::error_code;

// Request `tag`'s j-th reply is an error for some (tag, j), a bulk string otherwise.
bool error_reply(int tag, std::size_t j) { return (tag * 7 + static_cast<int>(j)) % 5 == 3; }
std::string reply_text(int tag, std::size_t j) { return std::to_string(tag) + "." + std::to_string(j); }

const std::string kPush = ">3\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n$1\r\nx\r\n";

// The model: a client side (what the test asked and what it must get back)
// and a server side (a Redis that answers every command it reads).
class World {
public:
    struct Req {
        int tag = 0;
        std::size_t expected = 1;
        RequestId id = 0;
        bool setup = false;
        bool cancelled = false;  // the test cancelled it (its deadline passed)
        bool cancelled_queued = false;  // ... before any of it was written
        bool written = false;    // the server has read at least one of its commands
        bool done = false;
        std::size_t held = 0;    // bytes of its replies fed to the multiplexer so far
    };

    // Every failure is a message; empty = all invariants held.
    std::string failure;

    int submit(std::size_t expected) {
        const int tag = static_cast<int>(reqs_.size());
        Req r;
        r.tag = tag;
        r.expected = expected;
        std::string payload;
        for (std::size_t j = 0; j < expected; ++j) resp::append_command(payload, {"ECHO", reply_text(tag, j)});
        // Half the requests give their bytes in parts (execute_parts), kept alive by the world.
        if (tag % 2 == 0) {
            r.id = mux_.submit(std::move(payload), {}, expected);
        } else {
            parts_.push_back(std::make_unique<std::string>(std::move(payload)));
            const std::string& whole = *parts_.back();
            const std::size_t cut = whole.size() / 3;
            r.id = mux_.submit({}, {std::string_view{whole}.substr(0, cut), std::string_view{whole}.substr(cut)},
                               expected);
        }
        by_id_[r.id] = reqs_.size();
        reqs_.push_back(r);
        return tag;
    }

    // A new link: the set-up request (its replies +OK), or none.
    void connect(std::size_t setup_commands) {
        if (setup_commands == 0) {
            mux_.open();
            return;
        }
        const int tag = static_cast<int>(reqs_.size());
        Req r;
        r.tag = tag;
        r.expected = setup_commands;
        r.setup = true;
        std::string payload;
        for (std::size_t j = 0; j < setup_commands; ++j) resp::append_command(payload, {"SETUP", reply_text(tag, j)});
        r.id = mux_.submit_setup(std::move(payload), setup_commands);
        by_id_[r.id] = reqs_.size();
        reqs_.push_back(r);
    }

    bool can_write() const { return mux_.has_writable(); }

    void write(bool push_before_replies) {
        std::string out;
        const std::size_t commands = mux_.prepare_write(out);
        server_read(out, commands, push_before_replies);
    }

    bool has_output() const { return delivered_ < output_.size(); }
    std::size_t output_left() const { return output_.size() - delivered_; }
    // Bytes up to the end of the next whole frame.
    std::size_t next_frame_bytes() const {
        for (const auto& f : frames_)
            if (f.end > delivered_) return f.end - delivered_;
        return output_left();
    }

    void deliver(std::size_t n) {
        n = std::min(n, output_left());
        ReadOutcome outcome;
        mux_.feed(std::string_view{output_}.substr(delivered_, n), outcome);
        delivered_ += n;
        // The model's view: whole frames delivered now belong to their requests.
        std::size_t pushes = 0;
        while (next_frame_ < frames_.size() && frames_[next_frame_].end <= delivered_) {
            const auto& f = frames_[next_frame_];
            if (f.tag < 0) {
                ++pushes;
            } else {
                auto& r = reqs_[static_cast<std::size_t>(f.tag)];
                if (!r.done) r.held += f.bytes;
            }
            ++next_frame_;
        }
        if (outcome.protocol_error) fail("protocol error on well-formed input");
        if (outcome.pushes.size() != pushes)
            fail("pushes: " + std::to_string(outcome.pushes.size()) + " given, " + std::to_string(pushes) + " sent");
        for (const auto& p : outcome.pushes)
            if (!p->is_push()) fail("a push frame that is not a push");
        for (auto& c : outcome.completions) check_completion(c, std::nullopt);
        check_memory();
    }

    void cancel(int tag) {
        auto& r = reqs_[static_cast<std::size_t>(tag)];
        std::vector<Completion> out;
        const bool was_live = !r.done;
        r.cancelled = was_live;
        r.cancelled_queued = was_live && !r.written;
        const bool cancelled = mux_.cancel(r.id, make_error_code(errc::timeout), out);
        if (cancelled != was_live) fail("cancel of " + std::to_string(tag) + " returned " + std::to_string(cancelled));
        if (out.size() != (was_live ? 1u : 0u)) fail("cancel gave " + std::to_string(out.size()) + " completions");
        for (auto& c : out) check_completion(c, make_error_code(errc::timeout));
        if (was_live && !r.done) fail("cancelled request " + std::to_string(tag) + " not completed");
        if (r.setup) setup_failed_ = true;
        check_memory();
    }

    void disconnect() {
        std::vector<Completion> out;
        mux_.reset(make_error_code(errc::closed), out);
        for (auto& c : out) check_completion(c, make_error_code(errc::closed));
        for (const auto& r : reqs_)
            if (!r.done) fail("request " + std::to_string(r.tag) + " survived a reset");
        if (mux_.pending() != 0 || mux_.in_flight() != 0 || mux_.held_reply_bytes() != 0)
            fail("state left after a reset");
        server_in_.clear();
        output_.clear();
        frames_.clear();
        delivered_ = 0;
        next_frame_ = 0;
        setup_failed_ = false;
        setup_ok_waiting_ = false;
    }

    // Live (not completed) requests, by tag.
    std::vector<int> live() const {
        std::vector<int> out;
        for (const auto& r : reqs_)
            if (!r.done) out.push_back(r.tag);
        return out;
    }
    bool setup_succeeded_pending_open() const { return setup_ok_waiting_; }
    void open_after_setup() {
        setup_ok_waiting_ = false;
        mux_.open();
    }
    bool setup_failed() const { return setup_failed_; }
    const Multiplexer& mux() const { return mux_; }

    // After everything was delivered and every request ended.
    void check_quiet() {
        if (mux_.pending() != 0) fail("pending requests left: " + std::to_string(mux_.pending()));
        if (mux_.in_flight() != 0) fail("requests in flight left: " + std::to_string(mux_.in_flight()));
        if (mux_.held_reply_bytes() != 0) fail("reply bytes held: " + std::to_string(mux_.held_reply_bytes()));
        for (const auto& r : reqs_)
            if (!r.done) fail("request " + std::to_string(r.tag) + " never completed");
    }

private:
    struct Frame {
        std::size_t end;  // offset in output_ one past the frame
        int tag;          // its request, -1 for a push
        std::size_t bytes;
    };

    void fail(const std::string& what) {
        if (failure.empty()) failure = what;
    }

    void check_memory() {
        std::size_t held = 0;
        for (const auto& r : reqs_)
            if (!r.done) held += r.held;
        if (held != mux_.held_reply_bytes())
            fail("held reply bytes " + std::to_string(mux_.held_reply_bytes()) + ", model " + std::to_string(held));
    }

    void check_completion(Completion& c, std::optional<error_code> expected_error) {
        auto it = by_id_.find(c.id);
        if (it == by_id_.end()) return fail("completion of an unknown id " + std::to_string(c.id));
        auto& r = reqs_[it->second];
        const std::string who = "request " + std::to_string(r.tag);
        if (r.done) return fail(who + " completed twice");
        r.done = true;
        r.held = 0;
        if (expected_error) {
            if (c.error != *expected_error) fail(who + " failed with " + c.error.message());
            if (!c.replies.empty()) fail(who + " failed with replies");
            return;
        }
        if (c.error) return fail(who + " failed without cause: " + c.error.message());
        if (r.cancelled) return fail(who + " completed after it was cancelled");
        if (c.replies.size() != r.expected)
            return fail(who + " got " + std::to_string(c.replies.size()) + " replies of " + std::to_string(r.expected));
        for (std::size_t j = 0; j < c.replies.size(); ++j) {
            const auto& reply = c.replies[j];
            const std::string want = reply_text(r.tag, j);
            if (r.setup) {
                if (reply->as_string() != std::optional<std::string_view>{"OK"}) fail(who + " set-up reply not OK");
            } else if (error_reply(r.tag, j)) {
                if (!reply->is_error() || reply->error_message() != "ERR " + want)
                    fail(who + " reply " + std::to_string(j) + " is not its error");
            } else if (reply->as_string() != std::optional<std::string_view>{want}) {
                fail(who + " reply " + std::to_string(j) + " is '" + std::string{reply->as_string().value_or("?")} +
                     "', not '" + want + "'");
            }
        }
        if (r.setup) setup_ok_waiting_ = true;
    }

    // The server reads what was written and answers each command in order.
    void server_read(const std::string& bytes, std::size_t commands, bool push_first) {
        server_in_ += bytes;
        std::size_t seen = 0;
        resp::Reply command;
        if (push_first && !bytes.empty()) add_frame(kPush, -1);
        while (!server_in_.empty()) {
            auto parsed = server_parser_.parse(server_in_, command);
            if (!parsed || !*parsed) return fail("the server cannot parse what was written");
            const std::string verb{command.as_string(1).value_or("")};
            const std::string arg{command.as_string(2).value_or("")};
            server_in_.erase(0, **parsed);
            ++seen;
            const auto dot = arg.find('.');
            const int tag = std::atoi(arg.substr(0, dot).c_str());
            const std::size_t j = std::strtoul(arg.substr(dot + 1).c_str(), nullptr, 10);
            if (tag < 0 || static_cast<std::size_t>(tag) >= reqs_.size()) return fail("unknown command " + arg);
            auto& r = reqs_[static_cast<std::size_t>(tag)];
            if (r.cancelled_queued) fail("request " + std::to_string(tag) + " written after it was cancelled");
            r.written = true;
            if (!r.setup && !mux_.is_open()) fail("request " + std::to_string(tag) + " written before the link opened");
            std::string frame;
            if (verb == "SETUP") frame = "+OK\r\n";
            else if (error_reply(tag, j)) frame = "-ERR " + arg + "\r\n";
            else frame = "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
            add_frame(frame, tag);
        }
        if (seen != commands) fail("prepare_write counted " + std::to_string(commands) + " commands, wrote " +
                                   std::to_string(seen));
    }
    void add_frame(const std::string& frame, int tag) {
        output_ += frame;
        frames_.push_back(Frame{output_.size(), tag, frame.size()});
    }

    Multiplexer mux_;
    std::vector<Req> reqs_;
    std::map<RequestId, std::size_t> by_id_;
    std::vector<std::unique_ptr<std::string>> parts_;
    resp::Parser server_parser_;
    std::string server_in_;
    std::string output_;  // the server's replies on the current link
    std::vector<Frame> frames_;
    std::size_t delivered_ = 0;
    std::size_t next_frame_ = 0;
    bool setup_ok_waiting_ = false;
    bool setup_failed_ = false;
};

// ---- exhaustive: every schedule of a few requests ----

// Picks choices from a fixed prefix, then the first option; records how many
// options each step had, so the next schedule can be enumerated (odometer).
class Chooser {
public:
    explicit Chooser(std::vector<std::size_t> prefix) : prefix_(std::move(prefix)) {}
    std::size_t pick(std::size_t options) {
        const std::size_t i = taken_.size();
        const std::size_t c = i < prefix_.size() ? prefix_[i] : 0;
        taken_.push_back(c);
        counts_.push_back(options);
        return c;
    }
    // The next schedule's prefix, or nullopt when all were run.
    std::optional<std::vector<std::size_t>> next() const {
        auto t = taken_;
        for (std::size_t i = t.size(); i-- > 0;) {
            if (t[i] + 1 < counts_[i]) {
                t.resize(i + 1);
                ++t[i];
                return t;
            }
        }
        return std::nullopt;
    }
    std::string describe() const {
        std::ostringstream s;
        for (auto c : taken_) s << c << ' ';
        return s.str();
    }

private:
    std::vector<std::size_t> prefix_;
    std::vector<std::size_t> taken_;
    std::vector<std::size_t> counts_;
};

// One schedule: requests with `replies` counts are submitted in order;
// at every step any enabled action may happen: submit the next, write,
// deliver the next whole reply (or push), cancel any live request, or (once)
// lose the link and reconnect.
std::string run_exhaustive(const std::vector<std::size_t>& replies, Chooser& choose, bool with_reset) {
    World w;
    w.connect(0);
    std::size_t next = 0;
    bool reset_used = !with_reset;
    bool push_used = false;
    for (int steps = 0; steps < 200 && w.failure.empty(); ++steps) {
        enum Kind { submit, write, write_push, deliver, cancel, reset };
        std::vector<std::pair<Kind, int>> actions;
        if (next < replies.size()) actions.push_back({submit, 0});
        if (w.can_write()) {
            actions.push_back({write, 0});
            if (!push_used) actions.push_back({write_push, 0});
        }
        if (w.has_output()) actions.push_back({deliver, 0});
        for (int tag : w.live()) actions.push_back({cancel, tag});
        if (!reset_used) actions.push_back({reset, 0});
        if (actions.empty()) break;
        const auto [kind, tag] = actions[choose.pick(actions.size())];
        switch (kind) {
            case submit: w.submit(replies[next++]); break;
            case write: w.write(false); break;
            case write_push:
                push_used = true;
                w.write(true);
                break;
            case deliver: w.deliver(w.next_frame_bytes()); break;
            case cancel: w.cancel(tag); break;
            case reset:
                reset_used = true;
                w.disconnect();
                w.connect(0);
                break;
        }
    }
    if (w.failure.empty()) w.check_quiet();
    return w.failure;
}

std::size_t exhaust(const std::vector<std::size_t>& replies, bool with_reset) {
    std::vector<std::size_t> prefix;
    std::size_t schedules = 0;
    for (;;) {
        Chooser choose{prefix};
        const auto failure = run_exhaustive(replies, choose, with_reset);
        ++schedules;
        if (!failure.empty()) {
            ADD_FAILURE() << "schedule " << choose.describe() << ": " << failure;
            return schedules;
        }
        auto n = choose.next();
        if (!n) return schedules;
        prefix = std::move(*n);
    }
}

TEST(Multiplexer, EveryScheduleOfTwoRequests) {
    const auto n = exhaust({2, 1}, true);
    RecordProperty("schedules", static_cast<int>(n));
    EXPECT_GT(n, 1000u);
}

TEST(Multiplexer, EveryScheduleOfThreeRequests) {
    const auto n = exhaust({1, 2, 1}, false);
    RecordProperty("schedules", static_cast<int>(n));
    EXPECT_GT(n, 10000u);
}

TEST(Multiplexer, EveryScheduleOfThreeRequestsWithALostLink) {
    const auto n = exhaust({2, 1, 1}, true);
    RecordProperty("schedules", static_cast<int>(n));
    EXPECT_GT(n, 10000u);
}

// ---- the reported failure, step by step ----

TEST(Multiplexer, ARequestTimedOutBetweenItsRepliesDoesNotShiftTheNext) {
    World w;
    w.connect(0);
    const int set_wait = w.submit(2);  // SET + WAIT
    w.write(false);
    w.deliver(w.next_frame_bytes());   // SET's +OK; WAIT blocks
    w.cancel(set_wait);                // the caller's deadline
    const int a = w.submit(1), b = w.submit(1);
    w.write(false);
    while (w.has_output()) w.deliver(w.next_frame_bytes());  // WAIT's reply, then a's and b's
    w.check_quiet();
    EXPECT_EQ(w.failure, "");
    EXPECT_EQ(w.mux().abandoned_total(), 1u);
    (void)a;
    (void)b;
}

TEST(Multiplexer, AReplyNobodyAskedForIsAProtocolError) {
    Multiplexer mux;
    mux.open();
    ReadOutcome out;
    mux.feed("+OK\r\n", out);
    EXPECT_TRUE(out.protocol_error);
    std::vector<Completion> done;
    mux.reset(make_error_code(errc::closed), done);
    mux.open();  // a new link
    const auto id = mux.submit("*1\r\n$4\r\nPING\r\n", {}, 1);
    std::string bytes;
    EXPECT_EQ(mux.prepare_write(bytes), 1u);
    ReadOutcome after;
    mux.feed("+PONG\r\n", after);
    ASSERT_EQ(after.completions.size(), 1u);
    EXPECT_EQ(after.completions[0].id, id);
    EXPECT_FALSE(after.protocol_error);
}

TEST(Multiplexer, NothingButTheSetUpIsWrittenBeforeTheLinkOpens) {
    Multiplexer mux;
    const auto get = mux.submit("GET", {}, 1);
    const auto setup = mux.submit_setup("AUTH", 1);
    std::string bytes;
    EXPECT_EQ(mux.prepare_write(bytes), 1u);
    EXPECT_EQ(bytes, "AUTH");
    EXPECT_FALSE(mux.has_writable());
    ReadOutcome out;
    mux.feed("+OK\r\n", out);
    ASSERT_EQ(out.completions.size(), 1u);
    EXPECT_EQ(out.completions[0].id, setup);
    mux.open();
    bytes.clear();
    EXPECT_EQ(mux.prepare_write(bytes), 1u);
    EXPECT_EQ(bytes, "GET");
    mux.feed("$1\r\nv\r\n", out);
    ASSERT_EQ(out.completions.size(), 2u);
    EXPECT_EQ(out.completions[1].id, get);
}

TEST(Multiplexer, AnAbandonedLargeReplyIsNotKept) {
    Multiplexer mux;
    mux.open();
    const auto big = mux.submit("GET big", {}, 1);
    std::string bytes;
    mux.prepare_write(bytes);
    const std::string value(1 << 20, 'x');
    const std::string frame = "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    ReadOutcome out;
    mux.feed(std::string_view{frame}.substr(0, 1000), out);
    std::vector<Completion> done;
    EXPECT_TRUE(mux.cancel(big, make_error_code(errc::timeout), done));
    mux.feed(std::string_view{frame}.substr(1000), out);
    EXPECT_TRUE(out.completions.empty());
    EXPECT_EQ(mux.held_reply_bytes(), 0u);
    EXPECT_EQ(mux.in_flight(), 0u);
    EXPECT_EQ(mux.abandoned_total(), 1u);
}

// ---- a million seeded random schedules ----

// One random schedule: up to 5 requests of 1..4 replies, bytes delivered in
// random pieces (mid-reply included), pushes, error replies, deadlines before
// the write, between replies and after the last, lost links and reconnects
// with a set-up request.
std::string run_random(std::uint64_t seed) {
    std::mt19937_64 rng{seed};
    auto roll = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
    World w;
    w.connect(roll(3));
    const unsigned total = 1 + roll(5);
    unsigned submitted = 0;
    for (int steps = 0; steps < 400 && w.failure.empty(); ++steps) {
        if (w.setup_succeeded_pending_open()) w.open_after_setup();
        if (w.setup_failed()) {  // the connection tears down a link whose set-up failed
            w.disconnect();
            w.connect(roll(3));
            continue;
        }
        const bool work_left = submitted < total || w.can_write() || w.has_output();
        if (!work_left) break;
        switch (roll(16)) {
            case 0:
            case 1:
            case 2:
                if (submitted < total) {
                    w.submit(1 + roll(4));
                    ++submitted;
                }
                break;
            case 3:
            case 4:
            case 5:
                if (w.can_write()) w.write(roll(6) == 0);
                break;
            case 6:
            case 7:
            case 8:
            case 9:
                if (w.has_output()) w.deliver(1 + roll(static_cast<unsigned>(std::min<std::size_t>(w.output_left(), 40))));
                break;
            case 10:
            case 11:
                if (w.has_output()) w.deliver(w.next_frame_bytes());
                break;
            case 12:
                if (auto live = w.live(); !live.empty()) w.cancel(live[roll(static_cast<unsigned>(live.size()))]);
                break;
            case 13:
                if (roll(4) == 0) {
                    w.disconnect();
                    w.connect(roll(3));
                }
                break;
            default:
                if (w.has_output()) w.deliver(w.output_left());
                break;
        }
    }
    // Drain: whatever is left is written and answered.
    for (int rounds = 0; rounds < 50 && w.failure.empty(); ++rounds) {
        if (w.setup_succeeded_pending_open()) w.open_after_setup();
        if (w.setup_failed()) {
            w.disconnect();
            w.connect(0);
        }
        if (w.can_write()) w.write(false);
        if (w.has_output()) w.deliver(w.output_left());
        if (!w.can_write() && !w.has_output()) break;
    }
    if (w.failure.empty()) w.check_quiet();
    return w.failure;
}

TEST(Multiplexer, AMillionRandomSchedules) {
    // YOONI_MUX_SCHEDULES changes the count (a longer hunt, or a shorter run
    // under a sanitizer); YOONI_MUX_SEED replays from another first seed.
    std::uint64_t count = 1'000'000;
    if (const char* n = std::getenv("YOONI_MUX_SCHEDULES")) count = std::strtoull(n, nullptr, 10);
    std::uint64_t first = 20261206;
    if (const char* s = std::getenv("YOONI_MUX_SEED")) first = std::strtoull(s, nullptr, 10);
    for (std::uint64_t seed = first; seed < first + count; ++seed) {
        const auto failure = run_random(seed);
        if (!failure.empty()) {
            FAIL() << "seed " << seed << ": " << failure << " (replay with YOONI_MUX_SEED=" << seed
                   << " YOONI_MUX_SCHEDULES=1)";
        }
    }
    RecordProperty("schedules", static_cast<int>(count));
}

}  // namespace
}  // namespace yooni::redis
