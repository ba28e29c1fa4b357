// Reply accessors, the child iteration of the flat tree, and OwnedReply.
#include "yooni/resp/reply.hpp"

#include "resp/numbers.hpp"

#include <algorithm>
#include <functional>

namespace yooni::resp {

std::string_view to_string(Type type) {
    switch (type) {
    case Type::simple_string: return "simple_string";
    case Type::simple_error: return "simple_error";
    case Type::integer: return "integer";
    case Type::bulk_string: return "bulk_string";
    case Type::bulk_error: return "bulk_error";
    case Type::array: return "array";
    case Type::null: return "null";
    case Type::boolean: return "boolean";
    case Type::double_: return "double";
    case Type::big_number: return "big_number";
    case Type::verbatim_string: return "verbatim_string";
    case Type::map: return "map";
    case Type::set: return "set";
    case Type::push: return "push";
    case Type::attribute: return "attribute";
    }
    return "unknown";
}

bool is_aggregate(Type type) {
    return type == Type::array || type == Type::map || type == Type::set || type == Type::push ||
           type == Type::attribute;
}

ChildRange::iterator& ChildRange::iterator::operator++() {
    const auto& nodes = *nodes_;
    const std::size_t depth = nodes[index_].depth;
    ++index_;
    while (index_ < nodes.size() && nodes[index_].depth > depth) ++index_;
    --remaining_;
    return *this;
}

ChildRange::ChildRange(const std::vector<Node>& nodes, std::size_t parent) {
    if (parent >= nodes.size() || !is_aggregate(nodes[parent].type)) return;
    // A hand-built reply may claim more children than it has: never walk past the end.
    size_ = std::min(nodes[parent].size, nodes.size() - parent - 1);
    if (size_ != 0) begin_ = iterator{&nodes, parent + 1, size_};
}

bool Reply::is_error() const {
    return !nodes.empty() && (nodes[0].type == Type::simple_error || nodes[0].type == Type::bulk_error);
}

bool Reply::is_null() const { return !nodes.empty() && nodes[0].type == Type::null; }

bool Reply::is_push() const { return !nodes.empty() && nodes[0].type == Type::push; }

std::string_view Reply::error_message() const { return is_error() ? nodes[0].value : std::string_view{}; }

std::optional<std::int64_t> Reply::as_integer(std::size_t i) const {
    if (i >= nodes.size() || nodes[i].type != Type::integer) return std::nullopt;
    return detail::parse_int64(nodes[i].value);
}

std::optional<std::string_view> Reply::as_string(std::size_t i) const {
    if (i >= nodes.size()) return std::nullopt;
    switch (nodes[i].type) {
    case Type::bulk_string:
    case Type::simple_string: return nodes[i].value;
    case Type::verbatim_string:
        // "txt:" (format and colon), checked by the parser.
        return nodes[i].value.size() >= 4 ? nodes[i].value.substr(4) : std::string_view{};
    default: return std::nullopt;
    }
}

std::optional<double> Reply::as_double(std::size_t i) const {
    if (i >= nodes.size() || nodes[i].type != Type::double_ || !detail::is_double_text(nodes[i].value)) {
        return std::nullopt;
    }
    return detail::to_double(nodes[i].value);
}

std::optional<bool> Reply::as_boolean(std::size_t i) const {
    if (i >= nodes.size() || nodes[i].type != Type::boolean) return std::nullopt;
    return nodes[i].value == "t";
}

std::size_t Reply::subtree_end(std::size_t i) const {
    if (i >= nodes.size()) return nodes.size();
    std::size_t j = i + 1;
    while (j < nodes.size() && nodes[j].depth > nodes[i].depth) ++j;
    return j;
}

OwnedReply::OwnedReply(const Reply& reply) : reply_(reply) {
    // All views of a parsed reply point into one buffer; std::less gives the
    // total pointer order that built-in < does not promise.
    const char* lo = nullptr;
    const char* hi = nullptr;
    std::less<const char*> less;
    auto extend = [&](const std::vector<Node>& nodes) {
        for (const Node& node : nodes) {
            if (node.value.empty()) continue;
            const char* end = node.value.data() + node.value.size();
            if (lo == nullptr || less(node.value.data(), lo)) lo = node.value.data();
            if (hi == nullptr || less(hi, end)) hi = end;
        }
    };
    extend(reply.nodes);
    extend(reply.attributes);
    if (lo != nullptr) bytes_.assign(lo, hi);
    auto repoint = [&](std::vector<Node>& nodes) {
        for (Node& node : nodes) {
            node.value = node.value.empty()
                             ? std::string_view{}
                             : std::string_view{bytes_.data() + (node.value.data() - lo), node.value.size()};
        }
    };
    repoint(reply_.nodes);
    repoint(reply_.attributes);
}

}  // namespace yooni::resp
