// Multiplexer: see the header for the request life cycle and invariants.
#include <yooni/redis/multiplexer.hpp>

#include <algorithm>
#include <stdexcept>

namespace yooni::redis {

namespace {

// Where a request with `id` sits in a deque sorted by id from `first` on.
template <class Deque>
auto find_id(Deque& d, std::size_t first, RequestId id) {
    auto begin = d.begin() + static_cast<std::ptrdiff_t>(std::min(first, d.size()));
    auto it = std::lower_bound(begin, d.end(), id, [](const auto& r, RequestId v) { return r.id < v; });
    return (it != d.end() && it->id == id) ? it : d.end();
}

constexpr std::size_t kKeepBufferBytes = 1u << 20;  // a drained read buffer larger than this is given back

}  // namespace

Multiplexer::Multiplexer(resp::Limits limits) : parser_(limits) {}

void Multiplexer::forget_bytes(Request& r) {
    std::string{}.swap(r.payload);
    r.parts = {};  // the caller's bytes are not touched again
}

RequestId Multiplexer::submit(std::string payload, std::vector<std::string_view> parts, std::size_t expected) {
    if (expected == 0) throw std::invalid_argument("a Redis request must expect at least one reply");
    Request r;
    r.id = next_id_++;
    r.payload = std::move(payload);
    r.parts = std::move(parts);
    r.expected = expected;
    queued_.push_back(std::move(r));
    ++queued_live_;
    return queued_.back().id;
}

RequestId Multiplexer::submit_setup(std::string payload, std::size_t expected) {
    if (expected == 0) throw std::invalid_argument("a Redis request must expect at least one reply");
    if (!inflight_.empty() || open_) throw std::logic_error("set-up submitted on a link already in use");
    Request r;
    r.id = next_id_++;
    r.payload = std::move(payload);
    r.expected = expected;
    r.setup = true;
    setup_.emplace(std::move(r));
    return setup_->id;
}

void Multiplexer::open() { open_ = true; }

bool Multiplexer::has_writable() const {
    if (setup_ && !setup_->abandoned) return true;
    return open_ && queued_live_ > 0;
}

std::size_t Multiplexer::prepare_write(std::string& out) {
    std::size_t commands = 0;
    if (setup_) {
        Request r = std::move(*setup_);
        setup_.reset();
        if (!r.abandoned) {  // (cancelled before it was written: never sent)
            out += r.payload;
            forget_bytes(r);
            commands += r.expected;
            inflight_.push_back(std::move(r));
        }
    }
    if (!open_) return commands;
    while (!queued_.empty()) {
        Request r = std::move(queued_.front());
        queued_.pop_front();
        if (r.abandoned) continue;  // cancelled before it was written: never sent
        --queued_live_;
        out += r.payload;
        for (const auto part : r.parts) out += part;
        forget_bytes(r);
        commands += r.expected;
        inflight_.push_back(std::move(r));
    }
    return commands;
}

std::span<char> Multiplexer::prepare_read(std::size_t n) {
    if (buffer_pos_ == buffer_.size()) {
        buffer_pos_ = 0;
        buffer_.clear();
        if (buffer_.capacity() > kKeepBufferBytes) buffer_.shrink_to_fit();
    } else if (buffer_pos_ > 0 && buffer_pos_ * 2 >= buffer_.size()) {  // compact: keep the buffer from growing
        buffer_.erase(0, buffer_pos_);
        buffer_pos_ = 0;
    }
    const std::size_t old = buffer_.size();
    buffer_.resize(old + n);
    prepared_ = n;
    return {buffer_.data() + old, n};
}

void Multiplexer::commit_read(std::size_t n, ReadOutcome& out) {
    n = std::min(n, prepared_);
    buffer_.resize(buffer_.size() - prepared_ + n);
    prepared_ = 0;
    parse_buffer(out);
}

void Multiplexer::feed(std::string_view bytes, ReadOutcome& out) {
    auto span = prepare_read(bytes.size());
    std::copy(bytes.begin(), bytes.end(), span.begin());
    commit_read(bytes.size(), out);
}

void Multiplexer::parse_buffer(ReadOutcome& out) {
    while (!failed_) {
        const std::string_view input{buffer_.data() + buffer_pos_, buffer_.size() - buffer_pos_};
        auto parsed = parser_.parse(input, scratch_);
        if (!parsed) {
            failed_ = true;
            break;
        }
        if (!*parsed) break;
        const std::size_t n = **parsed;
        take_reply(n, out);
        buffer_pos_ += n;
    }
    if (failed_) out.protocol_error = true;
}

void Multiplexer::take_reply(std::size_t bytes, ReadOutcome& out) {
    if (scratch_.empty()) {  // (the parser never completes an empty reply; refuse it if it did)
        failed_ = true;
        return;
    }
    if (scratch_.is_push()) {  // out of band: never an answer to a request
        out.pushes.emplace_back(scratch_);
        return;
    }
    if (inflight_.empty()) {  // a reply nobody asked for: the link is out of step
        failed_ = true;
        return;
    }
    Request& front = inflight_.front();
    front.received += 1;
    if (!front.abandoned) {
        front.replies.emplace_back(scratch_);
        front.reply_bytes += bytes;
        held_bytes_ += bytes;
    }
    if (front.received < front.expected) return;
    Request done = std::move(front);
    inflight_.pop_front();
    if (done.abandoned) {
        --abandoned_inflight_;
        ++abandoned_total_;
        return;
    }
    held_bytes_ -= done.reply_bytes;
    out.completions.push_back(Completion{done.id, {}, std::move(done.replies)});
}

bool Multiplexer::cancel(RequestId id, boost::system::error_code error, std::vector<Completion>& out) {
    // Where the request is: not written yet (the set-up, or queued), or in
    // flight (a set-up request can only be first there; the rest are in id order).
    Request* r = nullptr;
    bool in_flight = false;
    if (setup_ && setup_->id == id) {
        r = &*setup_;
    } else if (auto q = find_id(queued_, 0, id); q != queued_.end()) {
        r = &*q;
    } else {
        const bool setup_first = !inflight_.empty() && inflight_.front().setup;
        if (setup_first && inflight_.front().id == id) r = &inflight_.front();
        else if (auto f = find_id(inflight_, setup_first ? 1 : 0, id); f != inflight_.end()) r = &*f;
        in_flight = r != nullptr;
    }
    if (!r || r->abandoned) return false;
    if (in_flight) ++abandoned_inflight_;  // its replies are still owed: read and dropped
    else if (!r->setup) --queued_live_;
    r->abandoned = true;
    held_bytes_ -= r->reply_bytes;
    r->reply_bytes = 0;
    std::vector<resp::OwnedReply>{}.swap(r->replies);
    forget_bytes(*r);
    out.push_back(Completion{r->id, error, {}});
    return true;
}

void Multiplexer::reset(boost::system::error_code error, std::vector<Completion>& out) {
    for (auto& r : inflight_)
        if (!r.abandoned) out.push_back(Completion{r.id, error, {}});
    if (setup_ && !setup_->abandoned) out.push_back(Completion{setup_->id, error, {}});
    for (auto& r : queued_)
        if (!r.abandoned) out.push_back(Completion{r.id, error, {}});
    inflight_.clear();
    queued_.clear();
    setup_.reset();
    queued_live_ = 0;
    abandoned_inflight_ = 0;
    held_bytes_ = 0;
    open_ = false;
    failed_ = false;
    parser_.reset();
    std::string{}.swap(buffer_);
    buffer_pos_ = 0;
    prepared_ = 0;
}

std::size_t Multiplexer::queued() const { return queued_live_ + (setup_ && !setup_->abandoned ? 1 : 0); }
std::size_t Multiplexer::in_flight() const { return inflight_.size(); }
std::size_t Multiplexer::abandoned_in_flight() const { return abandoned_inflight_; }
std::size_t Multiplexer::pending() const { return queued() + inflight_.size() - abandoned_inflight_; }
std::size_t Multiplexer::held_reply_bytes() const { return held_bytes_; }

}  // namespace yooni::redis
