"""Shared parts of the chaos and soak runs: a local Redis Cluster made by
scripts/redis-cluster, loopback TCP proxies in front of its nodes (to cut and
stall the service's links), the service itself, and a constant-rate HTTP load
that records every call.

Latency is measured from the moment a call was due, not from when it was
sent, so a stalled service shows as the wait it causes callers (no
coordinated omission). Everything binds 127.0.0.1."""
import asyncio
import collections
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_base_port(count):
    """A base port with `count` consecutive free ports and free bus ports (+10000)."""
    for base in range(21000, 29000, 50):
        ok = True
        for p in list(range(base, base + count)) + list(range(base + 10000, base + 10000 + count)):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free range of loopback ports for the cluster")


def percentile(values, q):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


class Cluster:
    """3 masters + 3 replicas from scripts/redis-cluster, in a temp dir."""

    def __init__(self, node_timeout=2000, masters=3, replicas=1):
        self.count = masters * (1 + replicas)
        self.base = free_base_port(self.count)
        self.dir = tempfile.mkdtemp(prefix="yooni-chaos-")
        self.node_timeout = node_timeout
        self.masters, self.replicas = masters, replicas

    @property
    def ports(self):
        return list(range(self.base, self.base + self.count))

    def script(self, *args):
        return subprocess.run([os.path.join(REPO, "scripts", "redis-cluster"), *args, "--port", str(self.base),
                               "--dir", self.dir], capture_output=True, text=True, timeout=180)

    def start(self):
        r = self.script("start", "--masters", str(self.masters), "--replicas", str(self.replicas),
                        "--node-timeout", str(self.node_timeout))
        if r.returncode != 0:
            raise RuntimeError("redis-cluster start failed:\n" + r.stdout + r.stderr)

    def stop(self):
        for p in self.ports:
            self.cont(p)
        self.script("stop", "--clean")

    def cli(self, port, *args, timeout=5):
        r = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=timeout)
        return r.stdout.strip()

    def pid(self, port):
        try:
            with open(os.path.join(self.dir, str(port), "redis.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def nodes(self, via=None):
        """[{id, port, role, master_id, slots, fail}] as one live node sees them."""
        for p in ([via] if via else []) + self.ports:
            try:
                text = self.cli(p, "cluster", "nodes", timeout=2)
            except subprocess.TimeoutExpired:
                continue
            if not text or "ERR" in text or "Could not connect" in text:
                continue
            out = []
            for line in text.splitlines():
                f = line.split()
                if len(f) < 8:
                    continue
                out.append({"id": f[0], "port": int(f[1].split("@")[0].rsplit(":", 1)[1]),
                            "role": "master" if "master" in f[2] else "replica",
                            "master_id": None if f[3] == "-" else f[3],
                            "fail": "fail" in f[2].split(",") or "fail?" in f[2].split(","),
                            "slots": [s for s in f[8:] if not s.startswith("[")]})
            return out
        return []

    def masters_now(self):
        return [n for n in self.nodes() if n["role"] == "master" and n["slots"] and not n["fail"]]

    def replica_of(self, master_id):
        for n in self.nodes():
            if n["master_id"] == master_id and not n["fail"]:
                return n
        return None

    def kill(self, port, sig=signal.SIGKILL):
        pid = self.pid(port)
        if pid:
            os.kill(pid, sig)

    def cont(self, port):
        pid = self.pid(port)
        if pid:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def restart(self, port):
        """Starts a stopped node again from its own config (nodes.conf and AOF kept)."""
        conf = os.path.join(self.dir, str(port), "redis.conf")
        subprocess.run(["redis-server", conf], check=True, capture_output=True, timeout=10)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.cli(port, "ping", timeout=2) == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError(f"node {port} did not restart")

    def healthy(self):
        """Every node up, cluster_state ok everywhere, 3 masters with slots, every replica linked."""
        for p in self.ports:
            try:
                info = self.cli(p, "cluster", "info", timeout=2)
            except subprocess.TimeoutExpired:
                return False
            if "cluster_state:ok" not in info:
                return False
        nodes = self.nodes()
        if any(n["fail"] for n in nodes) or len(nodes) != self.count:
            return False
        if len([n for n in nodes if n["role"] == "master" and n["slots"]]) != self.masters:
            return False
        for n in nodes:
            if n["role"] == "replica":
                try:
                    rep = self.cli(n["port"], "info", "replication", timeout=2)
                except subprocess.TimeoutExpired:
                    return False
                if "master_link_status:up" not in rep:
                    return False
        return True

    def wait_healthy(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.healthy():
                return True
            time.sleep(0.2)
        return False

    def wait_promoted(self, dead_id, timeout=60):
        """Until the dead master's slots are served by another node."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            view = self.nodes()
            dead = next((n for n in view if n["id"] == dead_id), None)
            if dead is not None and (dead["role"] == "replica" or not dead["slots"]):
                return True
            time.sleep(0.1)
        return False


class Proxy:
    """A loopback TCP proxy in front of one node, on its own thread and loop.
    cut() resets every connection through it; stall(s) stops forwarding in
    both directions for s seconds (bytes wait, nothing is lost)."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.links = set()
        self.resume = None
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.started.wait(5)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.resume = asyncio.Event()
        self.resume.set()
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port, reuse_address=True))
        self.started.set()
        self.loop.run_forever()

    async def _pipe(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self.resume.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _client(self, creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            cwriter.close()
            return
        link = (cwriter, swriter)
        self.links.add(link)
        try:
            await asyncio.gather(self._pipe(creader, swriter), self._pipe(sreader, cwriter))
        finally:
            self.links.discard(link)

    def cut(self):
        def reset():
            for cw, sw in list(self.links):
                for w in (cw, sw):
                    sock = w.get_extra_info("socket")
                    if sock is not None:
                        try:
                            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                        except OSError:
                            pass
                    w.transport.abort()
            self.links.clear()
        self.loop.call_soon_threadsafe(reset)

    def stall(self, seconds):
        self.loop.call_soon_threadsafe(self.resume.clear)
        self.loop.call_soon_threadsafe(lambda: self.loop.call_later(seconds, self.resume.set))

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


class Service:
    """The real yooni-cache binary, in an empty working directory (no .env)."""

    def __init__(self, binary, env_extra):
        self.port = free_port()
        self.token = "chaos-admin-" + secrets.token_hex(12)
        self.dir = tempfile.mkdtemp(prefix="yooni-chaos-svc-")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOST": "127.0.0.1", "PORT": str(self.port),
               "SECRET_KEY": secrets.token_hex(32), "API_TOKENS": f"chaos:admin:{self.token}",
               "LOG_LEVEL": "warning"}
        env.update(env_extra)
        self.log = open(os.path.join(self.dir, "service.log"), "wb")
        self.proc = subprocess.Popen([binary, "serve"], env=env, cwd=self.dir, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                log = self.read_log()
                self.stop()
                raise RuntimeError("the service exited:\n" + log)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except Exception:
                pass
            time.sleep(0.1)
        log = self.read_log()
        self.stop()
        raise RuntimeError("the service did not become ready:\n" + log)

    def read_log(self):
        self.log.flush()
        with open(os.path.join(self.dir, "service.log"), "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self):
        """Stops the service and removes its directory (print read_log() first
        to keep what it logged)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def pid(self):
        return self.proc.pid


class HttpPool:
    """Keep-alive HTTP/1.1 connections for asyncio; one request per connection at a time."""

    def __init__(self, port, token, max_connections=None):
        self.port, self.token = port, token
        # Used in turn (oldest idle first), so none sits idle long enough for
        # the service's keep-alive timeout to close it.
        self.idle = collections.deque()
        # A bound keeps the client's own descriptors flat (the soak counts the
        # service's); a call waiting for a free connection is still timed from
        # when it was due.
        self.slots = asyncio.Semaphore(max_connections) if max_connections else None
        self.stale_retries = 0

    async def request(self, method, path, body=None, timeout=10.0, headers=False):
        """(status, body bytes); with `headers`, (status, body bytes, headers):
        a dict of lower-case names, repeated fields joined by ", "."""
        if self.slots is None:
            answer = await self._request(method, path, body, timeout)
        else:
            async with self.slots:
                answer = await self._request(method, path, body, timeout)
        return answer if headers else answer[:2]

    async def _request(self, method, path, body, timeout):
        if self.idle:
            # A kept-alive connection the server closed meanwhile fails before
            # any answer: send again on a new one, as HTTP clients do.
            try:
                return await self._send(self.idle.popleft(), method, path, body, timeout)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.stale_retries += 1
        conn = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), timeout)
        return await self._send(conn, method, path, body, timeout)

    async def _send(self, conn, method, path, body, timeout):
        reader, writer = conn
        payload = b"" if body is None else body.encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
        try:
            writer.write(head + payload)
            answer = await asyncio.wait_for(self._read(reader), timeout)
        except BaseException:
            writer.close()
            raise
        self.idle.append(conn)
        return answer

    @staticmethod
    async def _read(reader):
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        status = int(line.split()[1])
        headers = {}
        while True:
            h = await reader.readline()
            if h in (b"\r\n", b""):
                break
            k, _, v = h.decode(errors="replace").partition(":")
            k, v = k.strip().lower(), v.strip()
            headers[k] = headers[k] + ", " + v if k in headers else v
        length = int(headers.get("content-length", 0))
        data = await reader.readexactly(length) if length else b""
        return status, data, headers

    async def open(self, n, timeout=10.0):
        """Opens connections until `n` are idle; used in turn (oldest first), they
        spread calls over the service's workers as many clients would."""
        while len(self.idle) < n:
            self.idle.append(await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), timeout))

    def close(self):
        for _, w in self.idle:
            w.close()
        self.idle.clear()


STALE_AGE = re.compile(r"\bage-ms=(\d+)")


class Load:
    """Constant-rate calls: writes of increasing sequence numbers and reads,
    over `keys` keys (antirez's consistency test, over the HTTP API).

    A read answered with an older value than the highest acknowledged write
    (or 404 after one) counts as `stale_reads` when nothing marks it stale.
    An answer the service marks as a stale copy (Cache-Status with
    fwd=stale: stale-if-error, its node could not answer) counts as
    `stale_marked` instead, and as `stale_beyond_bound` too when its age
    (age-ms= in Cache-Status) exceeds `stale_bound_ms`, the configured
    NEAR_CACHE_STALE_IF_ERROR_MS (0: every marked answer is beyond it), or
    when the age is missing or disagrees with the Age header."""

    def __init__(self, port, token, rate, keys, prefix, write_share=0.5, timeout=10.0, stale_bound_ms=0,
                 read_keys=None, connections=0):
        self.pool = HttpPool(port, token)
        self.rate, self.keys, self.prefix = rate, keys, prefix
        # Reads go to the first `read_keys` keys only (hot keys, read again
        # and again); writes to every key.
        self.read_keys = min(read_keys or keys, keys)
        # Keep-alive connections opened before the first call (0: as calls need them).
        self.connections = connections
        self.write_share, self.timeout = write_share, timeout
        self.stale_bound_ms = stale_bound_ms
        self.calls = []            # (due, done, kind, ok)
        self.reads = []            # (due, done, ok, when the key was first read back, or None)
        self.attempted = [0] * keys  # highest sequence number sent per key
        self.acked = [0] * keys      # highest sequence number acknowledged per key
        self.busy = [False] * keys   # a write in flight (one per key at a time)
        self.acked_at = [0.0] * keys  # when the highest acknowledged write was answered
        self.first_read = [None] * keys  # when a read of the key was first answered 200
        self.lost_detail = []        # (key, acknowledged, read back, acknowledged at)
        self.stale_reads = 0         # unmarked answers older than the acknowledged floor
        self.stale_read_detail = []  # (key index, read back or None for 404, acknowledged floor, due)
        self.stale_marked = 0        # answers marked as stale copies (Cache-Status fwd=stale)
        self.stale_beyond_bound = 0  # ... whose age exceeds stale_bound_ms (or is not given)
        self.stale_marked_behind = 0  # ... older than a write acknowledged before the read
        self.stale_max_age_ms = 0
        self.stale_latency_ms = []   # how long each marked answer took, from when its call was due
        self.stale_detail = []       # the first marked answers beyond the bound: (key, Cache-Status, Age)
        self.running = False

    def key(self, i):
        return f"{self.prefix}:{i}"

    async def _write(self, due, i):
        self.busy[i] = True
        seq = self.attempted[i] + 1
        self.attempted[i] = seq
        ok = False
        try:
            status, _ = await self.pool.request("PUT", f"/api/v1/cache/{self.key(i)}?ttl=0",
                                                json.dumps({"seq": seq}), self.timeout)
            ok = status == 200
            if ok and seq > self.acked[i]:
                self.acked[i] = seq
                self.acked_at[i] = time.monotonic()
        except Exception:
            pass
        finally:
            self.busy[i] = False
        self.calls.append((due, time.monotonic(), "w", ok))

    def _marked(self, i, headers, behind):
        """Counts an answer marked as a stale copy; its age checked against the bound."""
        self.stale_marked += 1
        if behind:
            self.stale_marked_behind += 1
        status_field = headers.get("cache-status", "")
        m = STALE_AGE.search(status_field)
        age_ms = int(m.group(1)) if m else None
        age_s = headers.get("age", "")
        within = (age_ms is not None and age_s.isdigit() and int(age_s) == age_ms // 1000
                  and age_ms <= self.stale_bound_ms and self.stale_bound_ms > 0)
        if age_ms is not None:
            self.stale_max_age_ms = max(self.stale_max_age_ms, age_ms)
        if not within:
            self.stale_beyond_bound += 1
            if len(self.stale_detail) < 5:
                self.stale_detail.append((self.key(i), status_field, age_s))

    async def _read(self, due, i):
        floor = self.acked[i]
        first_read = self.first_read[i]
        ok = False
        try:
            status, data, headers = await self.pool.request("GET", f"/api/v1/cache/{self.key(i)}", None,
                                                            self.timeout, headers=True)
            ok = status in (200, 404)
            behind = (status == 200 and json.loads(data)["seq"] < floor) or (status == 404 and floor > 0)
            if status == 200 and "fwd=stale" in headers.get("cache-status", ""):
                self._marked(i, headers, behind)
                self.stale_latency_ms.append((time.monotonic() - due) * 1000)
            elif behind:
                self.stale_reads += 1
                self.stale_read_detail.append((i, json.loads(data)["seq"] if status == 200 else None, floor, due))
            if status == 200 and self.first_read[i] is None:
                self.first_read[i] = time.monotonic()
        except Exception:
            pass
        done = time.monotonic()
        self.calls.append((due, done, "r", ok))
        self.reads.append((due, done, ok, first_read))

    async def run(self, seconds=None, stop_event=None):
        self.running = True
        await self.pool.open(self.connections)
        start = time.monotonic()
        tasks = set()
        n = 0
        wi = 0
        ri = 0
        while True:
            due = start + n / self.rate
            if seconds is not None and due - start >= seconds:
                break
            if stop_event is not None and stop_event.is_set():
                break
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            n += 1
            if (n * 7919) % 100 < self.write_share * 100:
                for _ in range(self.keys):
                    wi = (wi + 1) % self.keys
                    if not self.busy[wi]:
                        break
                t = asyncio.create_task(self._write(due, wi))
            else:
                ri = (ri + (37 if self.read_keys % 37 else 1)) % self.read_keys
                t = asyncio.create_task(self._read(due, ri))
            tasks.add(t)
            t.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.running = False

    async def verify(self):
        """Reads every key back: (acknowledged and read back, lost, written though not acknowledged)."""
        found = lost = unacked = 0
        for lo in range(0, self.keys, 200):
            keys = [self.key(i) for i in range(lo, min(self.keys, lo + 200))]
            last = None
            for attempt in range(20):
                try:
                    status, data = await self.pool.request("POST", "/api/v1/batch/get", json.dumps({"keys": keys}), 10)
                    if status == 200:
                        break
                    last = "%d %s" % (status, data[:200].decode(errors="replace"))
                except Exception as e:
                    last = repr(e)
                await asyncio.sleep(0.5)
            else:
                raise RuntimeError("could not read the keys back (20 tries in 10 s; the last: %s)" % last)
            values = json.loads(data)["values"]
            for j, k in enumerate(keys):
                i = lo + j
                got = values.get(k, {}).get("seq", 0) if isinstance(values.get(k), dict) else 0
                if got < self.acked[i]:
                    lost += 1
                    self.lost_detail.append((k, self.acked[i], got, self.acked_at[i]))
                elif got > self.acked[i]:
                    unacked += 1
                elif got > 0:
                    found += 1
        return found, lost, unacked

    def summary(self, since=None):
        calls = [c for c in self.calls if since is None or c[0] >= since]
        failed = sorted((c for c in calls if not c[3]), key=lambda c: c[0])
        # Failure windows: failed calls closer than 1 s to one another form one window.
        longest = 0.0
        last_fail_done = None
        if failed:
            w_start, w_end = failed[0][0], failed[0][1]
            for due, done, _, _ in failed[1:]:
                if due - w_end > 1.0:
                    longest = max(longest, w_end - w_start)
                    w_start = due
                w_end = max(w_end, done)
            longest = max(longest, w_end - w_start)
            last_fail_done = max(c[1] for c in failed)
        lat = [(done - due) * 1000 for due, done, _, _ in calls]
        return {"calls": len(calls), "failed": len(failed), "longest_window_s": round(longest, 2),
                "last_fail_done": last_fail_done,
                "p50_ms": round(percentile(lat, 0.50), 2), "p99_ms": round(percentile(lat, 0.99), 2),
                "p999_ms": round(percentile(lat, 0.999), 2), "max_ms": round(max(lat) if lat else 0, 1)}


class SentinelSet:
    """A master, one replica and three Sentinels, as tests/support/
    redis_sentinel.cpp sets them up (down-after-milliseconds 1000,
    failover-timeout 3000, parallel-syncs 1, quorum 2), in a temp dir.

    Each data node runs from its own redis.conf (AOF on), so a node restarted
    after SIGKILL comes back as Sentinel last left it (Sentinel rewrites the
    config when it reconfigures a node). Both nodes have min-replicas-to-write
    1 and min-replicas-max-lag 10, as the C++ tests' master: whichever is the
    master, a master cut off from its replica refuses writes. Passwords on the
    data nodes and on the Sentinels; everything binds 127.0.0.1."""

    def __init__(self, master_name="chaos", down_after_ms=1000, failover_timeout_ms=3000):
        self.dir = tempfile.mkdtemp(prefix="yooni-chaos-sentinel-")
        self.master_name = master_name
        self.down_after_ms, self.failover_timeout_ms = down_after_ms, failover_timeout_ms
        self.password = "data-" + secrets.token_hex(8)
        self.sentinel_password = "sentinel-" + secrets.token_hex(8)
        ports = []
        while len(ports) < 5:
            p = free_port()
            if p not in ports:
                ports.append(p)
        self.data_ports, self.sentinel_ports = ports[:2], ports[2:]
        self.procs = {}  # port -> Popen

    # --- processes

    def _write_data_conf(self, port, replica_of=None):
        d = os.path.join(self.dir, str(port))
        os.makedirs(d, exist_ok=True)
        lines = [f"port {port}", "bind 127.0.0.1", "daemonize no", f'dir "{d}"', f'logfile "{d}/redis.log"',
                 "save \"\"", "appendonly yes", f"requirepass {self.password}", f"masterauth {self.password}",
                 "min-replicas-to-write 1", "min-replicas-max-lag 10"]
        if replica_of:
            lines.append(f"replicaof 127.0.0.1 {replica_of}")
        with open(os.path.join(d, "redis.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(os.path.join(d, "redis.conf"), 0o600)

    def _write_sentinel_conf(self, port):
        d = os.path.join(self.dir, f"sentinel-{port}")
        os.makedirs(d, exist_ok=True)
        n = self.master_name
        lines = [f"port {port}", "bind 127.0.0.1", "daemonize no", f'dir "{d}"', f'logfile "{d}/sentinel.log"',
                 f"requirepass {self.sentinel_password}", f"sentinel sentinel-pass {self.sentinel_password}",
                 f"sentinel monitor {n} 127.0.0.1 {self.data_ports[0]} 2",
                 f"sentinel auth-pass {n} {self.password}",
                 f"sentinel down-after-milliseconds {n} {self.down_after_ms}",
                 f"sentinel failover-timeout {n} {self.failover_timeout_ms}",
                 f"sentinel parallel-syncs {n} 1"]
        with open(os.path.join(d, "sentinel.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(os.path.join(d, "sentinel.conf"), 0o600)

    def _spawn(self, port):
        if port in self.data_ports:
            argv = ["redis-server", os.path.join(self.dir, str(port), "redis.conf")]
            pw = self.password
        else:
            argv = ["redis-server", os.path.join(self.dir, f"sentinel-{port}", "sentinel.conf"), "--sentinel"]
            pw = self.sentinel_password
        self.procs[port] = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.procs[port].poll() is not None:
                raise RuntimeError(f"redis-server on {port} exited at start:\n{self.logs()}")
            if self.cli(port, "ping", password=pw, timeout=2) == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on {port} did not start:\n{self.logs()}")

    def start(self):
        self._write_data_conf(self.data_ports[0])
        self._write_data_conf(self.data_ports[1], replica_of=self.data_ports[0])
        for p in self.data_ports:
            self._spawn(p)
        for p in self.sentinel_ports:
            self._write_sentinel_conf(p)
            self._spawn(p)

    def stop(self):
        for port, proc in self.procs.items():
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGCONT)
                    proc.terminate()
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def kill(self, port, sig=signal.SIGKILL):
        proc = self.procs.get(port)
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            if sig == signal.SIGKILL:
                proc.wait()

    def cont(self, port):
        self.kill(port, signal.SIGCONT)

    def restart(self, port):
        """Starts a killed data node again from its config (as Sentinel last rewrote it) and its AOF."""
        self._spawn(port)

    def logs(self):
        out = []
        for p in self.data_ports:
            out.append((f"data {p}", os.path.join(self.dir, str(p), "redis.log")))
        for p in self.sentinel_ports:
            out.append((f"sentinel {p}", os.path.join(self.dir, f"sentinel-{p}", "sentinel.log")))
        text = ""
        for name, path in out:
            try:
                with open(path, errors="replace") as f:
                    text += f"--- {name}\n" + "".join(f.readlines()[-30:])
            except OSError:
                pass
        return text

    # --- queries

    def cli(self, port, *args, password=None, timeout=5):
        if password is None:
            password = self.sentinel_password if port in self.sentinel_ports else self.password
        try:
            r = subprocess.run(["redis-cli", "-p", str(port), "--no-auth-warning", "-a", password, *args],
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return ""
        return r.stdout.strip()

    @staticmethod
    def _records(text):
        """redis-cli's flat name/value lines as dicts; a new one starts at each "name"."""
        out = []
        lines = text.splitlines()
        for i in range(0, len(lines) - 1, 2):
            if lines[i] == "name" or not out:
                out.append({})
            out[-1][lines[i]] = lines[i + 1]
        return out

    def master_seen_by(self, sentinel_port):
        """The master's port as one Sentinel names it, or None."""
        lines = self.cli(sentinel_port, "sentinel", "get-master-addr-by-name", self.master_name, timeout=2).splitlines()
        return int(lines[1]) if len(lines) == 2 and lines[1].isdigit() else None

    def master_now(self):
        """The port most Sentinels name as master (None when no two agree)."""
        seen = [self.master_seen_by(p) for p in self.sentinel_ports]
        for port in set(seen):
            if port is not None and seen.count(port) >= 2:
                return port
        return None

    def other(self, port):
        return next(p for p in self.data_ports if p != port)

    def role(self, port):
        lines = self.cli(port, "role", timeout=2).splitlines()
        return lines[0] if lines else ""

    def wait_promoted(self, old_master, timeout=60):
        """Until every Sentinel names another node as master and it says so itself."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            seen = {self.master_seen_by(p) for p in self.sentinel_ports}
            if len(seen) == 1 and None not in seen and old_master not in seen and self.role(seen.pop()) == "master":
                return True
            time.sleep(0.1)
        return False

    def healthy(self, sentinels_saw_link=False):
        """Every Sentinel names the same master, flags it as a plain master (no
        failover under way) and sees the other two Sentinels and the other node
        as a replica, not down; the master has the replica online; the replica
        follows it with its link up. With `sentinels_saw_link`, the Sentinels
        have also seen the replica's link up themselves (their INFO of a
        replica is up to 10 s old, so only the start waits for that)."""
        master = None
        for p in self.sentinel_ports:
            m = self.master_seen_by(p)
            if m is None or (master is not None and m != master):
                return False
            master = m
            info = self._records(self.cli(p, "sentinel", "master", self.master_name, timeout=2))
            if not info or info[0].get("flags") != "master" or info[0].get("num-other-sentinels") != "2":
                return False
            reps = self._records(self.cli(p, "sentinel", "replicas", self.master_name, timeout=2))
            if len(reps) != 1 or reps[0].get("flags") != "slave" or reps[0].get("port") != str(self.other(master)):
                return False
            if sentinels_saw_link and reps[0].get("master-link-status") != "ok":
                return False
        if self.role(master) != "master":
            return False
        m = self.cli(master, "info", "replication", timeout=2)
        if "connected_slaves:1" not in m or "state=online" not in m:
            return False
        r = self.cli(self.other(master), "info", "replication", timeout=2)
        return "role:slave" in r and f"master_port:{master}" in r and "master_link_status:up" in r

    def wait_healthy(self, timeout=60, sentinels_saw_link=False):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.healthy(sentinels_saw_link):
                return True
            time.sleep(0.2)
        return False

    def kill_clients(self, port, name):
        """Closes every normal link to `port` whose CLIENT SETNAME is `name`
        (CLIENT KILL ID each, on one redis-cli connection); how many."""
        ids = []
        for line in self.cli(port, "client", "list", "type", "normal", timeout=2).splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if fields.get("name") == name:
                ids.append(fields["id"])
        if not ids:
            return 0
        script = "".join(f"CLIENT KILL ID {i}\n" for i in ids)
        try:
            r = subprocess.run(["redis-cli", "-p", str(port), "--no-auth-warning", "-a", self.password],
                               input=script, capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            return 0
        return sum(1 for line in r.stdout.splitlines() if line.strip() == "1")
