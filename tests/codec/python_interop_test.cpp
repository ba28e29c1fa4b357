// Values cross between this codec and the Python system's own reader and
// writer (Debian's python3: json, gzip, base64), through the same Redis.
#include "yooni/codec/codec.hpp"

#include "support/process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace yooni::codec {
namespace {

const std::vector<std::string> kSamples = {
    YOONI_SOURCE_DIR "/bench/data/sample-product-1k.json",
    YOONI_SOURCE_DIR "/bench/data/sample-product-4k.json",
    YOONI_SOURCE_DIR "/bench/data/sample-catalogue-200k.json",
};

std::string read_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

std::string hangul_document_text() {
    std::string names;
    for (int i = 0; i < 200; ++i) names += "\"무선 가습기 " + std::to_string(i) + "호\", ";
    return "{\"name_ko\": \"한글 상품명 — 디지털/가전\", \"tags\": [" + names + "\"끝\"]}";
}

// Python writes each document the way the old service did, plus the
// compressed form at two levels; prints [[stored, text], ...] as ASCII JSON.
constexpr const char* kPythonWriter = R"(
import base64, gzip, json, sys
docs = [json.loads(open(p, encoding="utf-8").read()) for p in sys.argv[1:]]
docs.append({"name_ko": "무선 가습기", "desc": "한글 설명입니다. " * 200, "tags": ["가전", "생활"]})
out = []
for value in docs:
    text = json.dumps(value, ensure_ascii=False)
    for level in (6, 9):
        stored = "gzip:" + base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=level)).decode("ascii")
        out.append([stored, text])
print(json.dumps(out))
)";

// The old service's reader, applied to each stored value (a JSON list on
// stdin); exits 0 only when every document equals the expected one.
constexpr const char* kPythonReader = R"(
import base64, gzip, json, sys
def read(stored):
    if stored.startswith("gzip:"):
        return json.loads(gzip.decompress(base64.b64decode(stored[5:])).decode("utf-8"))
    return json.loads(stored)
pairs = json.loads(sys.stdin.buffer.read().decode("utf-8"))
compressed = 0
for stored, text in pairs:
    compressed += stored.startswith("gzip:")
    if read(stored) != json.loads(text):
        sys.exit("document differs")
print(len(pairs), compressed)
)";

// Raw gzip members, each prefixed by its 8-byte big-endian length, checked
// against the expected bytes with Python's gzip.decompress.
constexpr const char* kPythonGunzip = R"(
import gzip, struct, sys
data = sys.stdin.buffer.read()
count = 0
while data:
    n, = struct.unpack(">Q", data[:8]); member = data[8:8 + n]; data = data[8 + n:]
    m, = struct.unpack(">Q", data[:8]); expected = data[8:8 + m]; data = data[8 + m:]
    if gzip.decompress(member) != expected:
        sys.exit("member differs")
    count += 1
print(count)
)";

std::vector<std::string> sample_texts() {
    std::vector<std::string> texts;
    for (const auto& path : kSamples) texts.push_back(read_file(path));
    texts.push_back(hangul_document_text());
    return texts;
}

void append_length_prefixed(std::string& out, const std::string& bytes) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(static_cast<std::uint64_t>(bytes.size()) >> (8 * i)));
    out += bytes;
}

TEST(PythonInterop, SamplesAreReadable) {
    for (const auto& path : kSamples) EXPECT_GT(read_file(path).size(), 1000u) << path;
}

TEST(PythonInterop, PythonWrittenValuesDecodeToTheSameJsonText) {
    const auto r = test::run_python(kPythonWriter, kSamples);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto pairs = boost::json::parse(r.out).as_array();
    ASSERT_EQ(pairs.size(), 2 * (kSamples.size() + 1));
    const Codec codec;
    for (const auto& p : pairs) {
        const auto stored = p.as_array().at(0).as_string();
        const auto text = p.as_array().at(1).as_string();
        auto out = codec.decode(std::string_view{stored});
        ASSERT_TRUE(out) << out.error().message();
        EXPECT_EQ(*out, std::string_view{text});
    }
}

TEST(PythonInterop, OurLegacyValuesReadBackInPythonsReader) {
    const Codec codec;  // legacy format, threshold 1024: every sample is compressed
    boost::json::array pairs;
    std::size_t compressed = 0;
    for (const auto& text : sample_texts()) {
        EncodeInfo info;
        pairs.push_back(boost::json::array{boost::json::string{codec.encode(text, &info)}, boost::json::string{text}});
        compressed += info.compressed;
    }
    // A value below the threshold takes the plain path through the same reader.
    const std::string small = R"({"id": 7, "name_ko": "가습기"})";
    pairs.push_back(boost::json::array{boost::json::string{codec.encode(small)}, boost::json::string{small}});
    const auto r = test::run_python(kPythonReader, {}, boost::json::serialize(pairs));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(compressed, kSamples.size() + 1);
    EXPECT_EQ(r.out, std::to_string(pairs.size()) + " " + std::to_string(compressed) + "\n");
}

TEST(PythonInterop, OurRawGzipIsReadableByPythonsGzip) {
    Options o;
    o.format = Format::gzip;
    const Codec codec{o};
    std::string input;
    const auto texts = sample_texts();
    for (const auto& text : texts) {
        const std::string stored = codec.encode(text);
        ASSERT_TRUE(stored.starts_with("\x1f\x8b"));
        append_length_prefixed(input, stored);
        append_length_prefixed(input, text);
    }
    // A forced member (the value itself starts with the gzip magic).
    const std::string magic_value = std::string("\x1f\x8b") + "not really gzip";
    append_length_prefixed(input, codec.encode(magic_value));
    append_length_prefixed(input, magic_value);
    const auto r = test::run_python(kPythonGunzip, {}, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::to_string(texts.size() + 1) + "\n");
}

}  // namespace
}  // namespace yooni::codec
