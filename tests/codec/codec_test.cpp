#include "yooni/codec/codec.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace yooni::codec {
namespace {

// 3-byte UTF-8 Hangul, repeated: compressible, and chars != bytes.
std::string hangul_chars(std::size_t chars) {
    static const std::string kSyllables[] = {"가", "습", "기", "무", "선", "상", "품", "한", "글"};
    std::string s;
    for (std::size_t i = 0; i < chars; ++i) s += kSyllables[i % 9];
    return s;
}

std::string json_like(std::size_t n) {
    std::string s;
    while (s.size() < n) s += "{\"sku\": \"A-1001\", \"stock\": 12}, ";
    s.resize(n);
    return s;
}

Codec make(Format format, bool enabled = true, std::size_t threshold = 1024) {
    Options o;
    o.format = format;
    o.compression_enabled = enabled;
    o.threshold_bytes = threshold;
    return Codec{o};
}

std::string round_trip(const Codec& codec, std::string_view value) {
    auto out = codec.decode(codec.encode(value));
    return out ? *out : "<error: " + out.error().message() + ">";
}

TEST(Codec, KeepsValuesBelowTheThresholdPlain) {
    EncodeInfo info;
    const std::string value = json_like(1023);
    EXPECT_EQ(make(Format::legacy).encode(value, &info), value);
    EXPECT_FALSE(info.compressed);
    EXPECT_EQ(info.original_bytes, 1023u);
    EXPECT_EQ(info.stored_bytes, 1023u);
}

TEST(Codec, CompressesAtTheThreshold) {
    EncodeInfo info;
    const std::string stored = make(Format::legacy).encode(json_like(1024), &info);
    EXPECT_TRUE(stored.starts_with("gzip:"));
    EXPECT_TRUE(info.compressed);
    EXPECT_EQ(info.original_bytes, 1024u);
    EXPECT_EQ(info.stored_bytes, stored.size());
    EXPECT_LT(stored.size(), 1024u);
}

TEST(Codec, CompressesAboveTheThreshold) {
    EncodeInfo info;
    EXPECT_TRUE(make(Format::legacy).encode(json_like(1025), &info).starts_with("gzip:"));
    EXPECT_TRUE(info.compressed);
}

TEST(Codec, CountsTheThresholdInBytesNotCharacters) {
    // 341 Hangul chars = 1023 bytes: plain. Plus one ASCII byte = 1024 bytes
    // (342 chars, which Python's len() > 1024 would not have compressed).
    const Codec codec = make(Format::legacy);
    const std::string below = hangul_chars(341);
    ASSERT_EQ(below.size(), 1023u);
    EXPECT_EQ(codec.encode(below), below);
    EXPECT_TRUE(codec.encode(below + "a").starts_with("gzip:"));
    EXPECT_EQ(round_trip(codec, below + "a"), below + "a");
}

TEST(Codec, GzipFormatStoresARawMember) {
    EncodeInfo info;
    const std::string value = hangul_chars(2000);
    const std::string stored = make(Format::gzip).encode(value, &info);
    EXPECT_TRUE(stored.starts_with("\x1f\x8b"));
    EXPECT_EQ(gzip_decompress(stored, 1u << 20).value(), value);
    EXPECT_TRUE(info.compressed);
    EXPECT_EQ(info.stored_bytes, stored.size());
}

TEST(Codec, LegacyFormatStoresPrefixedBase64OfAMember) {
    const std::string value = hangul_chars(2000);
    const std::string stored = make(Format::legacy).encode(value);
    ASSERT_TRUE(stored.starts_with("gzip:"));
    auto member = base64_decode(std::string_view{stored}.substr(5));
    ASSERT_TRUE(member);
    EXPECT_EQ(gzip_decompress(*member, 1u << 20).value(), value);
}

TEST(Codec, KeepsIncompressibleValuesPlainAboveTheThreshold) {
    std::mt19937_64 rng{7};
    std::string random(4000, '\0');
    for (auto& c : random) c = static_cast<char>(rng());
    random[0] = 'x';  // not a marker prefix
    for (Format f : {Format::legacy, Format::gzip}) {
        EncodeInfo info;
        EXPECT_EQ(make(f).encode(random, &info), random);
        EXPECT_FALSE(info.compressed);
        EXPECT_EQ(info.stored_bytes, random.size());
    }
}

TEST(Codec, ComparesTheStoredSizeIncludingBase64) {
    // 64 symbols: gzip saves about a quarter, base64 adds a third back.
    std::mt19937_64 rng{8};
    std::string value(4000, '\0');
    for (auto& c : value) c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[rng() % 64];
    EncodeInfo legacy, gzip;
    EXPECT_EQ(make(Format::legacy).encode(value, &legacy), value);
    EXPECT_FALSE(legacy.compressed);
    EXPECT_NE(make(Format::gzip).encode(value, &gzip), value);
    EXPECT_TRUE(gzip.compressed);
    EXPECT_LT(gzip.stored_bytes, value.size());
}

TEST(Codec, DisabledCompressionKeepsLargeValuesPlain) {
    const std::string value = json_like(100000);
    EncodeInfo info;
    EXPECT_EQ(make(Format::legacy, false).encode(value, &info), value);
    EXPECT_FALSE(info.compressed);
}

TEST(Codec, AlwaysEncodesValuesThatLookEncoded) {
    for (Format f : {Format::legacy, Format::gzip}) {
        for (bool enabled : {true, false}) {
            for (std::string value : {std::string("gzip:"), std::string("gzip:x"), std::string("\x1f\x8b"),
                                      std::string("\x1f\x8b\x08\x00")}) {
                EncodeInfo info;
                const std::string stored = make(f, enabled).encode(value, &info);
                EXPECT_NE(stored, value);
                EXPECT_TRUE(info.compressed);
                EXPECT_GT(info.stored_bytes, info.original_bytes);  // larger, and still kept
                EXPECT_EQ(make(f, enabled).decode(stored).value(), value);
            }
        }
    }
}

TEST(Codec, KeepsPartialMarkerPrefixesPlain) {
    const Codec codec = make(Format::legacy);
    for (std::string value : {std::string("gzip"), std::string("gzi"), std::string("\x1f"), std::string("Gzip:x"),
                              std::string("\x8b\x1f"), std::string(" gzip:")}) {
        EXPECT_EQ(codec.encode(value), value);
        EXPECT_EQ(codec.decode(value).value(), value);
    }
}

TEST(Codec, ReadsEveryFormWhateverTheFormatSetting) {
    const std::string value = json_like(5000);
    const std::string forms[] = {value, make(Format::legacy).encode(value), make(Format::gzip).encode(value)};
    for (Format f : {Format::legacy, Format::gzip}) {
        for (bool enabled : {true, false}) {
            for (const auto& stored : forms) EXPECT_EQ(make(f, enabled).decode(stored).value(), value);
        }
    }
}

TEST(Codec, UsesTheConfiguredLevel) {
    Options fast;
    fast.level = 1;
    Options best;
    best.level = 12;
    const std::string value = json_like(50000) + hangul_chars(5000);
    const std::string a = Codec{fast}.encode(value);
    const std::string b = Codec{best}.encode(value);
    EXPECT_NE(a, b);
    EXPECT_EQ(Codec{fast}.decode(b).value(), value);
    EXPECT_EQ(Codec{best}.decode(a).value(), value);
}

std::vector<std::string> adversarial_values() {
    const std::string member = gzip_compress("{\"a\": 1}", 6);
    std::vector<std::string> v = {
        "",
        std::string(1, '\0'),
        std::string(5000, '\0'),
        std::string("a\0b\0", 4),
        "gzip:",
        "gzip:gzip:",
        "gzip:" + base64_encode(member),
        "gzip:" + base64_encode("not gzip at all"),
        "gzip:!!!!",
        "\x1f\x8b",
        member,
        member + "trailing",
        "gzip",
        "\x1f",
        "gzip:" + json_like(5000),
        std::string("\x1f\x8b") + json_like(5000),
        hangul_chars(1000),
    };
    // An encoded value stored again as a value: one layer must come back, not two.
    v.push_back(make(Format::legacy).encode(json_like(3000)));
    v.push_back(make(Format::gzip).encode(json_like(3000)));
    return v;
}

void expect_round_trips(const std::vector<std::string>& values) {
    for (Format f : {Format::legacy, Format::gzip}) {
        for (bool enabled : {true, false}) {
            for (std::size_t threshold : {std::size_t{0}, std::size_t{1024}}) {
                const Codec codec = make(f, enabled, threshold);
                for (std::size_t i = 0; i < values.size(); ++i) {
                    ASSERT_EQ(round_trip(codec, values[i]), values[i])
                        << "value " << i << " format " << static_cast<int>(f) << " enabled " << enabled
                        << " threshold " << threshold;
                }
            }
        }
    }
}

TEST(Codec, RoundTripsAdversarialValuesExactly) { expect_round_trips(adversarial_values()); }

TEST(Codec, RoundTripsRandomByteStringsExactly) {
    std::mt19937_64 rng{1024};
    std::vector<std::string> values;
    for (int i = 0; i < 300; ++i) {
        std::string s(rng() % 5001, '\0');
        // Half uniform bytes (incompressible), half from a tiny alphabet
        // (compressible, so the compressed branch is exercised too).
        const bool small_alphabet = i % 2 == 0;
        for (auto& c : s) c = static_cast<char>(small_alphabet ? "gzip:\x1f\x8b\0"[rng() % 8] : rng());
        // Every few values, force a marker prefix.
        if (i % 5 == 1 && s.size() >= 5) s.replace(0, 5, "gzip:");
        if (i % 5 == 3 && s.size() >= 2) s.replace(0, 2, "\x1f\x8b");
        values.push_back(std::move(s));
    }
    expect_round_trips(values);
}

TEST(Codec, RejectsInvalidBase64AfterThePrefix) {
    const Codec codec;
    for (const char* stored : {"gzip:abc", "gzip:ab=c", "gzip: H4sI", "gzip:H4sI\n", "gzip:****"}) {
        auto out = codec.decode(stored);
        ASSERT_FALSE(out) << stored;
        EXPECT_EQ(out.error(), errc::bad_base64) << stored;
    }
}

TEST(Codec, RejectsThePrefixAlone) { EXPECT_EQ(Codec{}.decode("gzip:").error(), errc::bad_gzip); }

TEST(Codec, RejectsPrefixedBase64OfNonGzip) {
    EXPECT_EQ(Codec{}.decode("gzip:" + base64_encode("{\"plain\": true}")).error(), errc::bad_gzip);
}

TEST(Codec, RejectsATruncatedMemberInEitherForm) {
    const std::string member = gzip_compress(json_like(3000), 6);
    const std::string cut = member.substr(0, member.size() - 3);
    EXPECT_EQ(Codec{}.decode(cut).error(), errc::bad_gzip);
    EXPECT_EQ(Codec{}.decode("gzip:" + base64_encode(cut)).error(), errc::bad_gzip);
}

TEST(Codec, RejectsAFlippedCrcByteInEitherForm) {
    std::string member = gzip_compress(json_like(3000), 6);
    member[member.size() - 6] ^= 0x40;
    EXPECT_EQ(Codec{}.decode(member).error(), errc::bad_gzip);
    EXPECT_EQ(Codec{}.decode("gzip:" + base64_encode(member)).error(), errc::bad_gzip);
}

TEST(Codec, RejectsAnIsizeClaimingFourGigabytes) {
    std::string member = gzip_compress(json_like(3000), 6);
    for (int i = 1; i <= 4; ++i) member[member.size() - i] = '\xff';
    EXPECT_EQ(Codec{}.decode(member).error(), errc::bad_gzip);
    EXPECT_EQ(Codec{}.decode("gzip:" + base64_encode(member)).error(), errc::bad_gzip);
}

TEST(Codec, RefusesDecodedValuesAboveTheLimit) {
    const std::string value = json_like(10000);
    for (Format f : {Format::legacy, Format::gzip}) {
        Options o;
        o.format = f;
        o.max_decoded_bytes = value.size() - 1;
        const Codec codec{o};
        EXPECT_EQ(codec.decode(codec.encode(value)).error(), errc::too_large);
        o.max_decoded_bytes = value.size();
        EXPECT_EQ(Codec{o}.decode(codec.encode(value)).value(), value);
    }
}

TEST(Codec, ErrorsCarryTheCodecCategoryAndAMessage) {
    const boost::system::error_code ec = errc::too_large;
    EXPECT_EQ(&ec.category(), &category());
    EXPECT_STREQ(ec.category().name(), "yooni.codec");
    EXPECT_FALSE(ec.message().empty());
    EXPECT_NE(make_error_code(errc::bad_gzip), make_error_code(errc::bad_base64));
}

}  // namespace
}  // namespace yooni::codec
