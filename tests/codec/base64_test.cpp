#include "yooni/codec/codec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace yooni::codec {
namespace {

TEST(Base64, EncodesTheRfc4648TestVectors) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodesTheRfc4648TestVectors) {
    EXPECT_EQ(base64_decode("").value(), "");
    EXPECT_EQ(base64_decode("Zg==").value(), "f");
    EXPECT_EQ(base64_decode("Zm8=").value(), "fo");
    EXPECT_EQ(base64_decode("Zm9v").value(), "foo");
    EXPECT_EQ(base64_decode("Zm9vYg==").value(), "foob");
    EXPECT_EQ(base64_decode("Zm9vYmE=").value(), "fooba");
    EXPECT_EQ(base64_decode("Zm9vYmFy").value(), "foobar");
}

TEST(Base64, UsesTheStandardAlphabetForHighSextets) {
    EXPECT_EQ(base64_encode("\xfb\xff\xbf"), "+/+/");
    EXPECT_EQ(base64_decode("+/+/").value(), "\xfb\xff\xbf");
}

TEST(Base64, RoundTripsEveryByteValueAtEveryAlignment) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (std::size_t len = 0; len <= all.size(); ++len) {
        const std::string in = all.substr(all.size() - len);
        auto out = base64_decode(base64_encode(in));
        ASSERT_TRUE(out) << len;
        EXPECT_EQ(*out, in) << len;
    }
}

TEST(Base64, RejectsLengthsNotAMultipleOfFour) {
    for (const char* text : {"Z", "Zg", "Zg=", "Zm9vY", "Zm9vYmFy="}) {
        auto out = base64_decode(text);
        ASSERT_FALSE(out) << text;
        EXPECT_EQ(out.error(), errc::bad_base64) << text;
    }
}

TEST(Base64, RejectsCharactersOutsideTheAlphabet) {
    for (const char* text : {"Zm9-", "Zm9_", "Zm9v\nYmFy", "Zm 9", "Zm9v.mFy", "Zm9\x80"}) {
        EXPECT_EQ(base64_decode(text).error(), errc::bad_base64) << text;
    }
}

TEST(Base64, RejectsWhitespaceEvenAtTheEnds) {
    EXPECT_EQ(base64_decode(" Zm9").error(), errc::bad_base64);
    EXPECT_EQ(base64_decode("Zm9vYmFy\r\n\r\n").error(), errc::bad_base64);
}

TEST(Base64, RejectsMisplacedOrExcessPadding) {
    for (const char* text : {"Zg==Zm9v", "=Zm9", "Z===", "====", "Zm=v", "Zg=a"}) {
        EXPECT_EQ(base64_decode(text).error(), errc::bad_base64) << text;
    }
}

TEST(Base64, RejectsNonZeroPadBits) {
    // "Zh==" and "Zm9=" decode to the same bytes as "Zg==" / "Zm8=" in lax
    // decoders; only the canonical form is accepted.
    EXPECT_EQ(base64_decode("Zh==").error(), errc::bad_base64);
    EXPECT_EQ(base64_decode("Zm9=").error(), errc::bad_base64);
}

TEST(Base64, RejectsEmbeddedNul) {
    EXPECT_EQ(base64_decode(std::string("Zm\0v", 4)).error(), errc::bad_base64);
}

}  // namespace
}  // namespace yooni::codec
