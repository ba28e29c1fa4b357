"""Load client of bench/run-memory-bench.sh (run under /usr/bin/python3).

  memory_load.py PORT TOKEN ENTRIES BATCH

Stores ENTRIES entries through POST /api/v1/batch/set, BATCH items a request,
over one keep-alive connection: keys "bench:item:%09d" (20 bytes), values
compact JSON documents of exactly 100 bytes as the service stores them
(it stores the compact serialisation of each item's value), ttl 0 (no expiry).
Then reads /api/v1/monitoring/health/detailed and one value back, and prints
one line of JSON: entries, key_bytes, value_bytes, seconds, details.
"""
import http.client
import json
import sys
import time

KEY = "bench:item:{:09d}"
VALUE_FMT = '{"sku":"YN-%09d","price_krw":42000,"stock":17,"status":"active","pad":"%s"}'


def value_text(i, pad):
    return VALUE_FMT % (i, pad)


def main():
    port, token, entries, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    key_len = len(KEY.format(0))
    pad = "x" * (100 - len(value_text(0, "")))
    sample = value_text(0, pad)
    assert key_len == 20 and len(sample.encode()) == 100 and json.loads(sample)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
    start = time.monotonic()
    for first in range(0, entries, batch):
        last = min(first + batch, entries)
        items = ",".join('{"key":"%s","value":%s}' % (KEY.format(i), value_text(i, pad)) for i in range(first, last))
        conn.request("POST", "/api/v1/batch/set", body='{"ttl":0,"items":[' + items + "]}", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200 or json.loads(body).get("stored") != last - first:
            sys.exit(f"memory_load: batch at {first} answered {resp.status}: {body[:300]!r}")
    seconds = time.monotonic() - start

    conn.request("GET", "/api/v1/monitoring/health/detailed", headers=headers)
    resp = conn.getresponse()
    health = json.loads(resp.read())
    details = health["cache"]["details"]
    probe = entries // 2
    conn.request("GET", "/api/v1/cache/" + KEY.format(probe), headers=headers)
    resp = conn.getresponse()
    got = resp.read()
    if resp.status != 200 or got.decode() != value_text(probe, pad):
        sys.exit(f"memory_load: {KEY.format(probe)} read back {resp.status}: {got[:200]!r}")
    conn.close()
    print(json.dumps({"entries": details.get("entries"), "key_bytes": key_len, "value_bytes": len(sample),
                      "seconds": round(seconds, 2), "details": details}))


if __name__ == "__main__":
    main()
