"""Helpers of bench/run-http-bench.sh (run under /usr/bin/python3, Debian's).

  helpers.py free-ports N              N distinct free loopback ports, one a line
  helpers.py small-doc OUT             writes a compact JSON document of exactly 100 bytes
  helpers.py seed-redis PORT SMALL BIG stores in a standalone redis-server:
                                         bench:raw:small, bench:raw:4k   the documents as they are (webdis)
                                         bench:py:small                  plain (under the 1 KB threshold)
                                         bench:py:4k                     "gzip:" + base64(gzip level 6), the
                                                                         Python system's stored format (FastAPI)
  helpers.py summary TSV               medians of the wrk runs and the ratios
"""
import base64
import gzip
import json
import socket
import statistics
import sys


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    print("\n".join(map(str, ports)))


def small_doc(out):
    doc = {"id": 123, "name_en": "Wireless Humidifier", "price_krw": 42000, "stock": 17, "pad": ""}
    text = json.dumps(doc, separators=(",", ":"))
    doc["pad"] = "x" * (100 - len(text))
    text = json.dumps(doc, separators=(",", ":"))
    assert len(text.encode()) == 100, len(text)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


def seed_redis(port, small_path, big_path):
    import redis

    small = open(small_path, "rb").read()
    big = open(big_path, "rb").read()
    json.loads(small), json.loads(big)  # both must be JSON documents
    stored_big = b"gzip:" + base64.b64encode(gzip.compress(big, compresslevel=6))
    r = redis.Redis(host="127.0.0.1", port=int(port))
    r.mset({"bench:raw:small": small, "bench:raw:4k": big, "bench:py:small": small, "bench:py:4k": stored_big})
    print(f"redis seeded: small {len(small)} B, 4k {len(big)} B (Python format {len(stored_big)} B)", file=sys.stderr)


# Row names of run-http-bench.sh and the ratios printed under them.
# (label, row, anchor row, target). A row named "ours GET 100B" also stands for
# its variants "ours GET 100B (jwt)", "ours GET 100B (static)": each gets its line.
RATIOS = [
    ("ours/beast   GET 100B", "ours GET 100B", "beast GET 100B", 0.8),
    ("ours/beast   GET 4KB ", "ours GET 4KB", "beast GET 4KB", 0.8),
    ("ours/webdis  GET 100B", "ours GET 100B", "webdis GET 100B", 1.0),
    ("ours/webdis  GET 4KB ", "ours GET 4KB", "webdis GET 4KB", 1.0),
    ("ours/fastapi GET 100B", "ours GET 100B", "fastapi GET 100B", 10.0),
    ("ours/fastapi GET 4KB ", "ours GET 4KB", "fastapi GET 4KB", 10.0),
    ("before/beast GET 100B", "before GET 100B", "beast GET 100B", 0.8),
    # The stored gzip member sent as it is: fewer bytes than the anchor's 4 KB.
    ("ours/beast   GET 4KB gzip", "ours GET 4KB gzip", "beast GET 4KB", 1.0),
]
# (label, row, other row): plain ratios without a target (BEFORE_BIN's rows).
COMPARISONS = [
    ("ours 304 / ours GET 100B (jwt)   ", "ours GET 4KB 304 (jwt)", "ours GET 100B (jwt)"),
    ("ours 304 / ours GET 100B (static)", "ours GET 4KB 304 (static)", "ours GET 100B (static)"),
    ("ours/before  GET 100B (jwt)   ", "ours GET 100B (jwt)", "before GET 100B (jwt)"),
    ("ours/before  GET 100B (static)", "ours GET 100B (static)", "before GET 100B (static)"),
]


def variants(rows, name):
    return [n for n in rows if n == name or n.startswith(name + " (")]


def summary(tsv):
    rows = {}
    for line in open(tsv, encoding="utf-8"):
        name, rps = line.rstrip("\n").split("\t")
        rows.setdefault(name, []).append(float(rps))
    print(f"{'row':28} {'median':>10} {'min':>10} {'max':>10}  req/s (n runs)")
    for name, v in rows.items():
        print(f"{name:28} {statistics.median(v):>10.0f} {min(v):>10.0f} {max(v):>10.0f}  (n={len(v)})")
    print()
    for label, a, b, target in RATIOS:
        names = variants(rows, a)
        if not names and a.startswith("before"):
            continue  # no BEFORE_BIN
        if not names or b not in rows or statistics.median(rows[b]) <= 0:
            print(f"{label}  n/a (a row failed)")
            continue
        for name in names:
            r = statistics.median(rows[name]) / statistics.median(rows[b])
            verdict = "ok" if r >= target else "MISSED"
            print(f"{label}{name[len(a):]:9}  {r:7.2f}   target >= {target:g}  {verdict}")
    for label, a, b in COMPARISONS:
        if a in rows and b in rows and statistics.median(rows[b]) > 0:
            print(f"{label}  {statistics.median(rows[a]) / statistics.median(rows[b]):7.2f}")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"free-ports": lambda: free_ports(int(args[0])),
     "small-doc": lambda: small_doc(args[0]),
     "seed-redis": lambda: seed_redis(*args),
     "summary": lambda: summary(args[0])}[cmd]()


if __name__ == "__main__":
    main()
