#!/usr/bin/python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (committed; run again
after changing a seed). CLUSTER SLOTS/NODES/INFO seeds are answers captured
from a real cluster: pass --cluster-port P of a running one (scripts/redis-cluster)
to refresh them; without it the committed captures are kept."""
import argparse, base64, gzip, hashlib, hmac, json, os, socket, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = b"fuzz-secret-key-0123456789abcdef"
NOW = 1767225600  # the fuzz targets' fixed clock


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(claims, header=None, secret=SECRET):
    h = b64u(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    p = b64u(json.dumps(claims).encode())
    sig = b64u(hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest())
    return f"{h}.{p}.{sig}"


def resp_command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def capture(port, *args, resp3=False):
    s = socket.create_connection(("127.0.0.1", port))
    if resp3:
        s.sendall(resp_command("HELLO", "3"))
        s.recv(65536)
    s.sendall(resp_command(*args))
    s.settimeout(0.5)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cluster-port", type=int)
    args = ap.parse_args()

    resp = {
        "simple": b"+OK\r\n", "error": b"-MOVED 3999 127.0.0.1:7001\r\n", "int": b":42\r\n",
        "bulk": b"$5\r\nhello\r\n", "null": b"$-1\r\n", "array": b"*2\r\n$3\r\nfoo\r\n:1\r\n",
        "map": b"%1\r\n+a\r\n:1\r\n", "set": b"~2\r\n#t\r\n,1.5\r\n", "push": b">2\r\n+message\r\n+x\r\n",
        "attr": b"|1\r\n+a\r\n+b\r\n+OK\r\n", "resp3null": b"_\r\n", "bignum": b"(12345678901234567890\r\n",
        "verbatim": b"=8\r\ntxt:abcd\r\n", "bulkerr": b"!3\r\nerr\r\n",
        "pipelined": b"+OK\r\n:1\r\n$3\r\nabc\r\n*1\r\n*1\r\n:7\r\n",
    }
    for name, data in resp.items():
        write("resp_parser", name, data)

    doc = json.dumps({"id": 123, "name_ko": "무선 가습기", "tags": ["t%d" % i for i in range(80)]}).encode()
    write("codec", "plain", doc)
    write("codec", "legacy", b"gzip:" + base64.b64encode(gzip.compress(doc)))
    write("codec", "raw", gzip.compress(doc))
    write("codec", "short", b'{"a":1}')

    good = {"sub": "alice", "jti": "j1", "iat": NOW - 10, "exp": NOW + 3600, "roles": ["write"]}
    write("jwt", "valid", "Bearer " + jwt(good))
    write("jwt", "scope", "Bearer " + jwt({**good, "roles": None, "scope": "cache:admin"}))
    write("jwt", "expired", "Bearer " + jwt({**good, "exp": NOW - 3600}))
    write("jwt", "none", "Bearer " + jwt(good, {"alg": "none", "typ": "JWT"}))
    write("jwt", "crit", "Bearer " + jwt(good, {"alg": "HS256", "crit": ["exp"]}))
    write("jwt", "static", "Bearer static-token-for-fuzzing-0001")
    write("jwt", "basic", "Basic dXNlcjpwYXNz")

    write("settings", "cluster", "REDIS_CLUSTER_ENABLED=true\nREDIS_CLUSTER_NODES='[\"127.0.0.1:7000\",\"127.0.0.1:7001\"]'\n"
          "SECRET_KEY=${HOME}-0123456789abcdef0123456789\nAPI_TOKENS=ops:admin:tok-0123456789\n")
    write("settings", "url", "REDIS_URL=rediss://user:p%40ss@cache.example:6380/2?ssl_cert_reqs=required\n"
          "CACHE_TTL_SECONDS=300\nCACHE_COMPRESSION_THRESHOLD=1024\n# comment\nexport PORT=${PORT:-8000}\n")
    write("settings", "passwords", "REDIS_PASSWORD=single-node-password-01\nREDIS_CLUSTER_PASSWORD=cluster-password-0002\n"
          "REDIS_CLUSTER_USERNAME=ops\nREDIS_WAIT_REPLICAS=1\n")
    write("settings", "quotes", "A=\"multi\\nline\"\nB='single $X'\nC=plain # trailing\nHTTP_MAX_CONNECTIONS=100\n")

    for i, u in enumerate(["redis://localhost:6379/0", "rediss://default:secret-pw@[::1]:6380/3",
                           "redis://:p%40ss@host?db=4&socket_timeout=5", "unix:///run/redis.sock?db=1",
                           "redis://u:a@b@c:1/"]):
        write("redis_url", "u%d" % i, u)

    for i, (p, k) in enumerate([("product:*", "product:123"), ("*a*a*a*a*b", "a" * 60),
                                 ("[a-z]?\\*", "b1*"), ("[^abc]*", "d"), ("h[!-/]llo", "h-llo")]):
        write("glob", "g%d" % i, p + "\n" + k)

    w = "Bearer fuzz-writer-token"
    a = "Bearer " + jwt({"sub": "ops", "jti": "j2", "iat": NOW, "exp": 4102444800, "roles": ["admin"]})
    http = {
        "get": f"GET /api/v1/cache/product:1 HTTP/1.1\r\nHost: x\r\nAuthorization: {w}\r\n\r\n",
        "put": f"PUT /api/v1/cache/product:1?ttl=60 HTTP/1.1\r\nHost: x\r\nAuthorization: {w}\r\n"
               "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\":[1]}",
        "batch": f"POST /api/v1/batch/set HTTP/1.1\r\nHost: x\r\nAuthorization: {w}\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n29\r\n{\"items\":[{\"key\":\"k\",\"value\":1,\"ttl\":5}]}\r\n0\r\n\r\n",
        "batchget": f"POST /api/v1/batch/get HTTP/1.1\r\nAuthorization: {w}\r\nContent-Length: 18\r\n\r\n{{\"keys\":[\"k\",\"j\"]}}",
        "pattern": f"DELETE /api/v1/cache?pattern=prod*[0-9] HTTP/1.1\r\nAuthorization: {a}\r\n\r\n",
        "stats": f"GET /api/v1/monitoring/cache/stats HTTP/1.1\r\nAuthorization: {a}\r\n\r\n"
                 f"POST /api/v1/monitoring/cache/stats/reset HTTP/1.1\r\nAuthorization: {a}\r\nContent-Length: 0\r\n\r\n",
        "health": "GET /readyz HTTP/1.0\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n",
        "expect": f"PUT /api/v1/cache/%E2%9C%93 HTTP/1.1\r\nAuthorization: {w}\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{{}}",
    }
    for name, data in http.items():
        write("http", name, data)

    json_text = {
        "batch": '{"items":[ {"key":"w:1", "value" : 1e5 },{"key":"w:2","value":12345678901234567890123}]}',
        "strings": '{"a":"}]\\",{[\\\\","b":["]",{"x":"\\"}"}],"val\\u0075e":true,"value":-0}',
        "array": '[ {"key":"a","value":1.50} ,[],"x" , null,-2.5E-3, {"value":{ "p" : [19.90] }}]',
        "spaces": ' \r\n\t{ "value" :\t[ 1 , { } , "" ] , "value":"last" }\n',
    }
    for name, data in json_text.items():
        write("json_text", name, data)

    if args.cluster_port:
        p = args.cluster_port
        write("cluster_topology", "slots_resp2", capture(p, "CLUSTER", "SLOTS"))
        write("cluster_topology", "slots_resp3", capture(p, "CLUSTER", "SLOTS", resp3=True))
        nodes = capture(p, "CLUSTER", "NODES")
        write("cluster_topology", "nodes", nodes[nodes.index(b"\r\n") + 2:-2])
        info = capture(p, "CLUSTER", "INFO")
        write("cluster_topology", "info", info[info.index(b"\r\n") + 2:-2])


if __name__ == "__main__":
    main()
