#!/usr/bin/python3
"""The Python system's value codec, timed on the bench samples.

  encode: json.dumps(value, ensure_ascii=False) -> gzip.compress(level 6)
          -> "gzip:" + base64.b64encode
  decode: strip "gzip:" -> base64.b64decode -> gzip.decompress -> json.loads

Every sample is compressed (all are >= 1 KiB, as the C++ codec does at its
default threshold). What is compared with the C++ Codec: the C++ service
passes JSON text through (it validates JSON elsewhere), so Codec::encode takes
the text and Codec::decode returns the text, whereas the Python system had to
run json.dumps and json.loads on this path. The figures here include them.

Usage: python_codec.py [--json-out PATH] [file.json ...]   (default: bench/data samples)
The table is always printed; --json-out also writes the same figures as JSON.
Each figure is the median of 7 batches of about 0.2 s, timed with
time.perf_counter; printed in ns per operation.
"""
import base64
import gzip
import json
import os
import statistics
import sys
import time

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
DEFAULT_SAMPLES = ("product-1k", "product-4k", "catalogue-200k")
BATCHES = 7
BATCH_SECONDS = 0.2
PREFIX = "gzip:"


def encode(value):
    text = json.dumps(value, ensure_ascii=False)
    member = gzip.compress(text.encode("utf-8"), compresslevel=6)
    return PREFIX + base64.b64encode(member).decode("ascii")


def decode(stored):
    if stored.startswith(PREFIX):
        return json.loads(gzip.decompress(base64.b64decode(stored[len(PREFIX):])).decode("utf-8"))
    return json.loads(stored)


def ns_per_op(fn):
    """Median over BATCHES of the time per call, each batch sized to about BATCH_SECONDS."""
    iterations = 1
    while True:
        start = time.perf_counter()
        for _ in range(iterations):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= BATCH_SECONDS / 4:
            break
        iterations *= 2
    iterations = max(1, int(iterations * BATCH_SECONDS / elapsed))
    per_op = []
    for _ in range(BATCHES):
        start = time.perf_counter()
        for _ in range(iterations):
            fn()
        per_op.append((time.perf_counter() - start) / iterations * 1e9)
    return statistics.median(per_op)


def main(argv):
    json_out = None
    if "--json-out" in argv:
        i = argv.index("--json-out")
        json_out = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    paths = argv
    # Named as the C++ benchmark names them: sample-product-1k.json -> product-1k.
    named = [(os.path.basename(p).removeprefix("sample-").removesuffix(".json"), p) for p in paths] or [
        (name, os.path.join(DATA, f"sample-{name}.json")) for name in DEFAULT_SAMPLES]
    results = []
    for name, path in named:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
        stored = encode(value)
        assert decode(stored) == value
        text_bytes = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
        results.append({
            "sample": name,
            "bytes": text_bytes,
            "stored_bytes": len(stored),
            "encode_ns": ns_per_op(lambda: encode(value)),
            "decode_ns": ns_per_op(lambda: decode(stored)),
        })
    if json_out:
        with open(json_out, "w", encoding="utf-8") as f:
            json.dump(results, f)
    print("python3 %s value codec (includes json.dumps on encode and json.loads on decode;"
          % sys.version.split()[0])
    print("the C++ Codec passes JSON text through, so its figures exclude JSON handling)")
    print(f"{'sample':16} {'bytes':>8} {'stored':>8} {'encode ns/op':>14} {'decode ns/op':>14}")
    for r in results:
        print(f"{r['sample']:16} {r['bytes']:8} {r['stored_bytes']:8} {r['encode_ns']:14.0f} {r['decode_ns']:14.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
