#include "yooni/redis/key_slot.hpp"

#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <random>
#include <string>
#include <vector>

namespace yooni::redis {
namespace {

TEST(KeySlot, Crc16MatchesTheSpecVector) {
    EXPECT_EQ(crc16("123456789"), 0x31C3);
    EXPECT_EQ(crc16(""), 0);
}

TEST(KeySlot, KnownSlotsOfPlainKeys) {
    // Values from CLUSTER KEYSLOT of Redis 7.
    EXPECT_EQ(key_slot("foo"), 12182);
    EXPECT_EQ(key_slot("bar"), 5061);
    EXPECT_EQ(key_slot(""), 0);
}

TEST(KeySlot, HashTagHashesOnlyTheTag) {
    EXPECT_EQ(key_slot("{user:123}:orders"), key_slot("user:123"));
    EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
    EXPECT_EQ(hash_tag("a{b}c{d}"), "b");
    EXPECT_EQ(hash_tag("{{a}}"), "{a");
    EXPECT_EQ(hash_tag("x{y}"), "y");
}

TEST(KeySlot, EmptyOrUnclosedTagHashesTheWholeKey) {
    EXPECT_EQ(hash_tag("{}"), "{}");
    EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");
    EXPECT_EQ(hash_tag("}{"), "}{");
    EXPECT_EQ(hash_tag("{abc"), "{abc");
    EXPECT_EQ(hash_tag("abc}"), "abc}");
}

// A blocking RESP2 client just big enough to pipeline CLUSTER KEYSLOT with
// binary keys (redis-cli's argv cannot carry NUL bytes).
class KeyslotClient {
public:
    explicit KeyslotClient(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~KeyslotClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool connected() const { return connected_; }

    // Sends every KEYSLOT at once, then reads the integer replies in order;
    // -1 marks a reply that was not an integer.
    std::vector<long> keyslots(const std::vector<std::string>& keys) {
        std::string out;
        for (const auto& key : keys) {
            out += "*3\r\n$7\r\nCLUSTER\r\n$7\r\nKEYSLOT\r\n$" + std::to_string(key.size()) + "\r\n";
            out += key;
            out += "\r\n";
        }
        for (std::size_t sent = 0; sent < out.size();) {
            const auto n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return {};
            sent += static_cast<std::size_t>(n);
        }
        std::vector<long> slots;
        while (slots.size() < keys.size()) {
            const auto line = read_line();
            if (line.empty()) return slots;
            long value = -1;
            if (line[0] == ':') std::from_chars(line.data() + 1, line.data() + line.size(), value);
            slots.push_back(value);
        }
        return slots;
    }

private:
    std::string read_line() {
        for (;;) {
            if (const auto end = buffer_.find("\r\n"); end != std::string::npos) {
                auto line = buffer_.substr(0, end);
                buffer_.erase(0, end + 2);
                return line;
            }
            char chunk[65536];
            const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) return {};
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    int fd_ = -1;
    bool connected_ = false;
    std::string buffer_;
};

std::vector<std::string> keys_to_compare() {
    std::vector<std::string> keys{"", "{}", "{{a}}", "a{b}c{d}", "}{", "{", "}", "{}{a}", "a{}b{c}",
                                  "{a}{b}", "{user:123}:orders", "product:123", std::string{"\0{\0}", 4}};
    std::mt19937 rng{20240611};
    std::uniform_int_distribution<int> byte{0, 255};
    std::uniform_int_distribution<int> length{0, 40};
    std::uniform_int_distribution<int> shape{0, 5};
    // Small alphabet with braces, so random keys often hold tags, empty tags,
    // nested and reversed braces.
    const std::string_view braces = "{}ab";
    for (int i = 0; i < 5000; ++i) {
        std::string key;
        const int n = length(rng);
        const int kind = shape(rng);
        for (int j = 0; j < n; ++j) {
            if (kind < 2) {
                key.push_back(static_cast<char>(byte(rng)));
            } else {
                key.push_back(braces[static_cast<std::size_t>(byte(rng)) % braces.size()]);
            }
        }
        if (kind == 5) key = "{" + key.substr(0, key.size() / 2) + "}" + key;
        keys.push_back(std::move(key));
    }
    return keys;
}

TEST(KeySlot, AgreesWithClusterKeyslotOfALiveNode) {
    // KEYSLOT needs cluster mode but no assigned slots, so one node is enough.
    test::RedisServer server{{.extra_args = {"--cluster-enabled", "yes",
                                             "--cluster-config-file", "nodes.conf",
                                             // The bus port defaults to port + 10000, which fails above 55535.
                                             "--cluster-port", std::to_string(test::free_port())}}};
    KeyslotClient client{server.port()};
    ASSERT_TRUE(client.connected());
    const auto keys = keys_to_compare();
    const auto slots = client.keyslots(keys);
    ASSERT_EQ(slots.size(), keys.size()) << server.log();
    int mismatches = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (slots[i] != key_slot(keys[i]) && ++mismatches <= 5) {
            ADD_FAILURE() << "key #" << i << " (" << keys[i].size() << " bytes): server " << slots[i]
                          << ", ours " << key_slot(keys[i]);
        }
    }
    EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace yooni::redis
