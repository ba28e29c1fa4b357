#include "yooni/codec/codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace yooni::codec {
namespace {

constexpr std::size_t kNoLimit = 512u << 20;

std::string compressible_text(std::size_t n) {
    std::string s;
    while (s.size() < n) s += "{\"id\": 1001, \"name\": \"무선 가습기\", \"price\": 42000}, ";
    s.resize(n);
    return s;
}

std::uint32_t trailer_isize(const std::string& member) {
    const auto* b = reinterpret_cast<const unsigned char*>(member.data() + member.size() - 4);
    return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 | std::uint32_t{b[3]} << 24;
}

void set_trailer_isize(std::string& member, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) member[member.size() - 4 + i] = static_cast<char>(v >> (8 * i));
}

TEST(Gzip, WritesAnRfc1952MemberWithIsizeTrailer) {
    const std::string text = compressible_text(3000);
    const std::string member = gzip_compress(text, 6);
    ASSERT_GE(member.size(), 18u);
    EXPECT_EQ(member.substr(0, 3), "\x1f\x8b\x08");  // magic, CM = deflate
    EXPECT_EQ(trailer_isize(member), text.size());
}

TEST(Gzip, RoundTripsTheEmptyString) {
    auto out = gzip_decompress(gzip_compress("", 6), kNoLimit);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(*out, "");
}

TEST(Gzip, RoundTripsAtEveryLevelAndClampsOutOfRangeLevels) {
    const std::string text = compressible_text(5000);
    for (int level : {-3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99}) {
        auto out = gzip_decompress(gzip_compress(text, level), kNoLimit);
        ASSERT_TRUE(out) << level;
        EXPECT_EQ(*out, text) << level;
    }
}

TEST(Gzip, CompressesTheSameOnEveryThread) {
    const std::string text = compressible_text(20000);
    const std::string expected = gzip_compress(text, 6);
    std::vector<std::string> got(4);
    std::vector<std::thread> threads;
    for (auto& g : got)
        threads.emplace_back([&text, &g] {
            for (int i = 0; i < 20; ++i) g = gzip_compress(text, 6);
        });
    for (auto& t : threads) t.join();
    for (const auto& g : got) EXPECT_EQ(g, expected);
}

TEST(Gzip, DecodesConcatenatedMembersAsTheirConcatenation) {
    const std::string member = gzip_compress("first,", 6) + gzip_compress("", 1) + gzip_compress("second", 9);
    EXPECT_EQ(gzip_decompress(member, kNoLimit).value(), "first,second");
}

TEST(Gzip, SkipsZeroPaddingBetweenAndAfterMembers) {
    const std::string nuls(7, '\0');
    const std::string member = gzip_compress("a", 6) + nuls + gzip_compress("b", 6) + nuls;
    EXPECT_EQ(gzip_decompress(member, kNoLimit).value(), "ab");
}

TEST(Gzip, GrowsPastATrailerHintThatIsTooSmall) {
    // The last member's ISIZE (1) is the only hint; the first member is far larger.
    const std::string big = compressible_text(300000);
    const std::string member = gzip_compress(big, 6) + gzip_compress("y", 6);
    auto out = gzip_decompress(member, kNoLimit);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(*out, big + "y");
}

TEST(Gzip, RejectsTrailingGarbageAfterAMember) {
    EXPECT_EQ(gzip_decompress(gzip_compress("a", 6) + "x", kNoLimit).error(), errc::bad_gzip);
    EXPECT_EQ(gzip_decompress(gzip_compress("a", 6) + "\x1f\x8b", kNoLimit).error(), errc::bad_gzip);
    EXPECT_EQ(gzip_decompress(gzip_compress("a", 6) + std::string(30, 'x'), kNoLimit).error(), errc::bad_gzip);
}

TEST(Gzip, RejectsEmptyAndNonGzipInput) {
    EXPECT_EQ(gzip_decompress("", kNoLimit).error(), errc::bad_gzip);
    EXPECT_EQ(gzip_decompress("\x1f\x8b", kNoLimit).error(), errc::bad_gzip);
    EXPECT_EQ(gzip_decompress(compressible_text(100), kNoLimit).error(), errc::bad_gzip);
    EXPECT_EQ(gzip_decompress(std::string(64, '\0'), kNoLimit).error(), errc::bad_gzip);
}

TEST(Gzip, RejectsEveryTruncation) {
    const std::string member = gzip_compress(compressible_text(2000), 6);
    for (std::size_t len = 0; len < member.size(); ++len) {
        auto out = gzip_decompress(member.substr(0, len), kNoLimit);
        ASSERT_FALSE(out) << len;
        EXPECT_EQ(out.error(), errc::bad_gzip) << len;
    }
}

TEST(Gzip, RejectsAFlippedCrcByte) {
    std::string member = gzip_compress(compressible_text(2000), 6);
    member[member.size() - 8] ^= 0x01;  // first byte of CRC32
    EXPECT_EQ(gzip_decompress(member, kNoLimit).error(), errc::bad_gzip);
}

TEST(Gzip, RejectsAnIsizeClaimingFourGigabytes) {
    std::string member = gzip_compress(compressible_text(2000), 6);
    set_trailer_isize(member, 0xFFFFFFFFu);
    EXPECT_EQ(gzip_decompress(member, kNoLimit).error(), errc::bad_gzip);
}

TEST(Gzip, RejectsAnIsizeSmallerThanTheData) {
    std::string member = gzip_compress(compressible_text(50000), 6);
    set_trailer_isize(member, 10);
    EXPECT_EQ(gzip_decompress(member, kNoLimit).error(), errc::bad_gzip);
}

TEST(Gzip, EveryBitFlipGivesAnErrorOrTheExactOriginal) {
    const std::string text = compressible_text(1500);
    const std::string member = gzip_compress(text, 6);
    for (std::size_t i = 0; i < member.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string bad = member;
            bad[i] ^= static_cast<char>(1 << bit);
            auto out = gzip_decompress(bad, kNoLimit);
            if (out) {
                EXPECT_EQ(*out, text) << "byte " << i << " bit " << bit;
            }
        }
    }
}

TEST(Gzip, RandomGarbageAfterTheMagicNeverDecodes) {
    std::mt19937_64 rng{20240611};
    for (int i = 0; i < 2000; ++i) {
        std::string bad = "\x1f\x8b\x08";
        const std::size_t n = rng() % 200;
        for (std::size_t k = 0; k < n; ++k) bad.push_back(static_cast<char>(rng()));
        EXPECT_FALSE(gzip_decompress(bad, kNoLimit)) << i;
    }
}

TEST(Gzip, RefusesOutputAboveTheLimit) {
    const std::string text = compressible_text(10000);
    EXPECT_EQ(gzip_decompress(gzip_compress(text, 6), text.size() - 1).error(), errc::too_large);
    EXPECT_EQ(gzip_decompress(gzip_compress(text, 6), 0).error(), errc::too_large);
}

TEST(Gzip, AcceptsOutputExactlyAtTheLimit) {
    const std::string text = compressible_text(10000);
    EXPECT_EQ(gzip_decompress(gzip_compress(text, 6), text.size()).value(), text);
}

TEST(Gzip, LimitCountsAllMembersTogether) {
    const std::string a = compressible_text(6000);
    const std::string member = gzip_compress(a, 6) + gzip_compress(a, 6);
    EXPECT_EQ(gzip_decompress(member, 11999).error(), errc::too_large);
    EXPECT_EQ(gzip_decompress(member, 12000).value(), a + a);
}

TEST(Gzip, RefusesABombAboveTheLimitWithALyingTrailer) {
    // 16 MB of zeros in ~16 KB, trailer claiming 1 byte: the limit, not the hint, bounds the work.
    std::string member = gzip_compress(std::string(16u << 20, '\0'), 6);
    set_trailer_isize(member, 1);
    EXPECT_EQ(gzip_decompress(member, 1u << 20).error(), errc::too_large);
}

TEST(Gzip, ReadsOptionalHeaderFields) {
    // FEXTRA, FNAME and FCOMMENT, as gzip(1) and Python's GzipFile write them.
    const std::string plain = gzip_compress("payload", 6);
    std::string member = plain.substr(0, 10);
    member[3] = static_cast<char>(0x04 | 0x08 | 0x10);
    member += std::string("\x03\x00xyz", 5);
    member += std::string("value.json\0", 11);
    member += std::string("a comment\0", 10);
    member += plain.substr(10);
    EXPECT_EQ(gzip_decompress(member, kNoLimit).value(), "payload");
}

}  // namespace
}  // namespace yooni::codec
