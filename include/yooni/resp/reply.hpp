// A parsed RESP2/RESP3 reply as a flat tree of nodes in pre-order (the
// Boost.Redis model): no allocation per element, and the payload bytes are
// views into the caller's read buffer (zero copy).
//
// Lifetime: every Node::value views the `input` given to the Parser::parse()
// call that completed the reply. The views are valid until the caller
// consumes, moves or overwrites those bytes; to keep a reply longer, copy it
// into an OwnedReply.
//
// Attributes (RESP3 '|'): wherever they appear in a reply they are parsed,
// validated against the limits, and moved out of `nodes` into `attributes`
// (in order of appearance, each a subtree rooted at a Type::attribute node).
// So nodes[0] is always the reply's root and aggregate sizes count real
// elements only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace yooni::resp {

enum class Type : std::uint8_t {
    simple_string,    // +
    simple_error,     // -
    integer,          // :
    bulk_string,      // $
    bulk_error,       // !  (RESP3)
    array,            // *
    null,             // _  (RESP3), and RESP2's $-1 and *-1
    boolean,          // #  (RESP3) value "t" or "f"
    double_,          // ,  (RESP3) value is the text: "1.5", "inf", "-inf", "nan", ...
    big_number,       // (  (RESP3) value is the text: optional sign and digits
    verbatim_string,  // =  (RESP3) value is the whole payload, "txt:..." (see Reply::as_string)
    map,              // %  (RESP3)
    set,              // ~  (RESP3)
    push,             // >  (RESP3) out-of-band message; a complete reply at top level
    attribute,        // |  (RESP3) only ever in Reply::attributes
};

// Stable lower-case name of a type, for logs and test messages.
std::string_view to_string(Type type);
// True for array, map, set, push, attribute.
bool is_aggregate(Type type);

struct Node {
    Type type = Type::null;
    // Aggregates: number of direct children (a map or attribute of n pairs has
    // size 2n, keys and values alternating). Leaves: 0.
    std::size_t size = 0;
    // 0 for the root; children of a node at depth d are at depth d + 1.
    std::size_t depth = 0;
    // Leaves: the payload bytes (bulk and simple strings, error text, the
    // text of integers, doubles, big numbers, "t"/"f"). Aggregates and null: empty.
    std::string_view value;

    friend bool operator==(const Node&, const Node&) = default;  // compares value bytes
};

// Indices of the direct children of one node, in order. Walking all of them
// costs O(size of the subtree).
class ChildRange {
public:
    class iterator {
    public:
        using value_type = std::size_t;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        iterator(const std::vector<Node>* nodes, std::size_t index, std::size_t remaining)
            : nodes_(nodes), index_(index), remaining_(remaining) {}
        std::size_t operator*() const { return index_; }
        iterator& operator++();
        iterator operator++(int) { auto copy = *this; ++*this; return copy; }
        bool operator==(const iterator& other) const { return remaining_ == other.remaining_; }

    private:
        const std::vector<Node>* nodes_ = nullptr;
        std::size_t index_ = 0;
        std::size_t remaining_ = 0;
    };
    ChildRange(const std::vector<Node>& nodes, std::size_t parent);
    iterator begin() const { return begin_; }
    iterator end() const { return {}; }
    std::size_t size() const { return size_; }

private:
    iterator begin_;
    std::size_t size_ = 0;
};

struct Reply {
    std::vector<Node> nodes;       // pre-order; nodes[0] is the root
    std::vector<Node> attributes;  // RESP3 attributes met in the reply, usually empty

    bool empty() const { return nodes.empty(); }
    const Node& root() const { return nodes.front(); }  // precondition: !empty()
    Type type() const { return nodes.front().type; }    // precondition: !empty()
    bool is_error() const;  // root is simple_error or bulk_error
    bool is_null() const;   // root is null (RESP3 _, RESP2 $-1 or *-1)
    bool is_push() const;   // root is a RESP3 push: not the answer to a command
    // The error text ("ERR unknown command ..."); empty unless is_error().
    std::string_view error_message() const;

    // Typed access to nodes[i] (the root by default); nullopt when i is out of
    // range or the node is of another type (or null).
    std::optional<std::int64_t> as_integer(std::size_t i = 0) const;            // integer
    std::optional<std::string_view> as_string(std::size_t i = 0) const;         // bulk, simple, verbatim (without "txt:")
    std::optional<double> as_double(std::size_t i = 0) const;                   // double_
    std::optional<bool> as_boolean(std::size_t i = 0) const;                    // boolean
    // One past the last node of nodes[i]'s subtree: the index of its next sibling.
    std::size_t subtree_end(std::size_t i) const;
    ChildRange children(std::size_t i = 0) const { return {nodes, i}; }

    void clear() {
        nodes.clear();
        attributes.clear();
    }
};

// A reply that owns a copy of its bytes, for a caller that must keep it after
// the read buffer moves on (e.g. a pipelined connection handing replies to
// waiting requests). Move-only: the views point into the owned buffer, whose
// address survives moves.
class OwnedReply {
public:
    OwnedReply() = default;
    // Copies the bytes spanned by the reply's views (from its first payload
    // byte to its last, all in one buffer, as a Parser leaves them) and
    // re-points the views at the copy.
    explicit OwnedReply(const Reply& reply);
    OwnedReply(OwnedReply&&) noexcept = default;
    OwnedReply& operator=(OwnedReply&&) noexcept = default;
    OwnedReply(const OwnedReply&) = delete;
    OwnedReply& operator=(const OwnedReply&) = delete;

    const Reply& reply() const { return reply_; }
    const Reply* operator->() const { return &reply_; }

private:
    std::vector<char> bytes_;
    Reply reply_;
};

}  // namespace yooni::resp
