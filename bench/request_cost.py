#!/usr/bin/python3
"""What one hostile request (or client) may cost the service, side by side for
two or more builds in one run (issue #11's reproductions, scaled to run in
about a minute per build):

  batch-repeat  batch/get of one 4 MiB document (repetitive JSON, stored in a
                few KB) asked for 200 times with a read token, memory backend
                with CACHE_MEMORY_MAX_BYTES=64MiB: answer time, peak RSS of
                the service, and the slowest /livez answered meanwhile
  unauth-bodies 120 connections without a token each sending an 8 MiB body
                (HTTP_MAX_BODY_BYTES): RSS while they are open and after they close
  idle-slots    HTTP_MAX_CONNECTIONS=200 filled by keep-alive clients after one
                request each: how many of 20 new /livez get an answer
  batch-100x1k  batch/get of 100 keys of 1 KB documents: req/s (wrk -t1 -c8)

Usage: bench/request_cost.py NAME=BINARY [NAME=BINARY ...]
e.g.   bench/request_cost.py before=/tmp/yooni-before after=build/release/yooni-cache
Every server listens on a free 127.0.0.1 port and is stopped at the end.
"""
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOKEN_READ = "bench-reader-" + "0" * 40
TOKEN_WRITE = "bench-writer-" + "1" * 40
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


class Service:
    def __init__(self, binary, env):
        self.dir = tempfile.mkdtemp(prefix="yooni-cost-")
        self.port = free_port()
        full = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOST": "127.0.0.1", "PORT": str(self.port), "WORKER_THREADS": "2",
            "SECRET_KEY": "request-cost-bench-secret-0123456789abcdef",
            "API_TOKENS": f"r:read:{TOKEN_READ},w:write:{TOKEN_WRITE}",
            "LOG_LEVEL": "warn", "CACHE_TTL_SECONDS": "0",
        }
        full.update(env)
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen([os.path.abspath(binary), "serve"], cwd=self.dir, env=full,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                if request(self.port, "GET", "/livez")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"{binary} exited at start; log in {self.dir}")
            time.sleep(0.05)
        raise SystemExit(f"{binary} did not answer /livez")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def request(port, method, path, body=None, token=None, timeout=120):
    """One request on a fresh connection: (status, body bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        data = body.encode() if isinstance(body, str) else (body or b"")
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        s.sendall(head.encode() + b"\r\n" + data)
        chunks = []
        while True:
            c = s.recv(1 << 20)
            if not c:
                break
            chunks.append(c)
    raw = b"".join(chunks)
    if not raw:
        return 0, b""
    status = int(raw.split(b" ", 2)[1])
    return status, raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else b""


def batch_repeat(binary):
    svc = Service(binary, {"CACHE_MEMORY_MAX_BYTES": str(64 << 20)})
    try:
        doc = "[" + '"yooni-dropshipping",' * (4 * 1024 * 1024 // 21) + "0]"
        assert request(svc.port, "PUT", "/api/v1/cache/repeat", doc, TOKEN_WRITE)[0] == 200
        base = status_kib(svc.proc.pid, "VmHWM")
        worst = [None]
        done = threading.Event()

        def probe():
            while not done.is_set():
                t = time.monotonic()
                request(svc.port, "GET", "/livez")
                worst[0] = max(worst[0] or 0.0, time.monotonic() - t)
                time.sleep(0.01)

        th = threading.Thread(target=probe)
        th.start()
        t0 = time.monotonic()
        status, _ = request(svc.port, "POST", "/api/v1/batch/get", json.dumps({"keys": ["repeat"] * 200}), TOKEN_READ)
        took = time.monotonic() - t0
        done.set()
        th.join()
        peak = status_kib(svc.proc.pid, "VmHWM")
        probe = "none finished meanwhile" if worst[0] is None else f"{worst[0] * 1000:.0f} ms"
        return f"HTTP {status}, {took:.2f} s, peak RSS +{(peak - base) / 1024:.0f} MiB, slowest /livez {probe}"
    finally:
        svc.stop()


def sent_total(counters):
    return sum(c[0] for c in counters) >> 20


def unauth_bodies(binary):
    svc = Service(binary, {})
    try:
        base = status_kib(svc.proc.pid, "VmRSS")
        base_peak = status_kib(svc.proc.pid, "VmHWM")
        size = 8 << 20
        chunk = b"x" * 65536
        sel = selectors.DefaultSelector()
        socks = []
        socks_sent = []
        for _ in range(120):
            s = socket.create_connection(("127.0.0.1", svc.port))
            s.sendall(f"PUT /api/v1/cache/flood HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {size}\r\n\r\n".encode())
            s.setblocking(False)
            socks.append(s)
            socks_sent.append([0])
            sel.register(s, selectors.EVENT_WRITE, socks_sent[-1])
        # Push bodies until each is sent whole or refused (the server closed).
        deadline = time.monotonic() + 60
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(1):
                sent = key.data
                try:
                    n = key.fileobj.send(chunk[: min(len(chunk), size - sent[0])])
                    sent[0] += n
                    if sent[0] >= size:
                        sel.unregister(key.fileobj)
                except (BrokenPipeError, ConnectionResetError, BlockingIOError):
                    if not isinstance(sys.exc_info()[1], BlockingIOError):
                        sel.unregister(key.fileobj)
        time.sleep(1)  # let the server read what the kernel holds
        peak = status_kib(svc.proc.pid, "VmHWM")
        for s in socks:
            s.close()
        time.sleep(1)
        after = status_kib(svc.proc.pid, "VmRSS")
        return (f"{sent_total(socks_sent)} MiB sent, peak RSS +{(peak - base_peak) / 1024:.0f} MiB, "
                f"RSS +{(after - base) / 1024:.0f} MiB after they close")
    finally:
        svc.stop()


def idle_slots(binary):
    svc = Service(binary, {"HTTP_MAX_CONNECTIONS": "200"})
    try:
        idle = []
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", svc.port), timeout=30)
            s.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            while b"\r\n\r\n" not in got or not got.endswith(b"}"):
                got += s.recv(4096)
            idle.append(s)
        ok = 0
        for _ in range(20):
            try:
                ok += request(svc.port, "GET", "/livez", timeout=5)[0] == 200
            except OSError:
                pass
        for s in idle:
            s.close()
        return f"{ok} of 20 new /livez answered"
    finally:
        svc.stop()


def batch_100x1k(binary):
    svc = Service(binary, {})
    try:
        doc = json.dumps({"id": 123, "name": "wireless humidifier", "price_krw": 42000,
                          "tags": ["home", "air", "kitchen"] * 20, "desc": "d" * 500})  # about 1 KB
        for i in range(100):
            assert request(svc.port, "PUT", f"/api/v1/cache/doc:{i}", doc, TOKEN_WRITE)[0] == 200
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"keys": [f"doc:{i}" for i in range(100)]}, f)
            body_path = f.name
        out = subprocess.run(["wrk", "-t1", "-c8", "-d5s", "-H", f"Authorization: Bearer {TOKEN_READ}",
                              "-s", os.path.join(HERE, "http", "post.lua"),
                              f"http://127.0.0.1:{svc.port}/api/v1/batch/get"],
                             env={**os.environ, "BENCH_BODY": body_path}, capture_output=True, text=True, timeout=60)
        os.unlink(body_path)
        rps = next(l.split()[1] for l in out.stdout.splitlines() if l.startswith("Requests/sec"))
        return f"{float(rps):.0f} req/s"
    finally:
        svc.stop()


ROWS = [("batch-repeat", batch_repeat), ("unauth-bodies", unauth_bodies), ("idle-slots", idle_slots),
        ("batch-100x1k", batch_100x1k)]


def main():
    builds = [a.split("=", 1) for a in sys.argv[1:]]
    if not builds or any(len(b) != 2 or not os.access(b[1], os.X_OK) for b in builds):
        raise SystemExit(__doc__)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing (scripts/bootstrap.sh --bench)")
    print(f"request costs, {os.cpu_count()} cores shared by the service and this client")
    for row, fn in ROWS:
        for name, binary in builds:
            print(f"  {row:<14} {name:<10} {fn(binary)}", flush=True)


if __name__ == "__main__":
    main()
