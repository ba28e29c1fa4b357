"""Helpers of bench/run-near-cache-bench.sh (run under /usr/bin/python3, Debian's).

  near.py preload URL TOKEN N PREFIX      stores N documents PREFIX0 .. PREFIX(N-1) through
                                          POST /api/v1/batch/set (1000 a request, ttl 0), so
                                          they are stored exactly as the service stores them
  near.py near-stats URL                  the near cache's counters from URL/metrics, as JSON
                                          ({} when the service has no near cache)
  near.py record OUT k=v ...              parses wrk's output (stdin) and appends one JSON line
                                          to OUT: the k=v fields, req/s, requests, latency
                                          percentiles (ms), non-2xx and socket errors; a value
                                          @FILE is FILE's JSON
  near.py stale A B TOKEN ROUNDS KEYS OUT [SEED_PORT]
                                          staleness across two instances (see stale()), one JSON
                                          line appended to OUT; SEED_PORT: a cluster node, for the
                                          tracking probe
  near.py tracking OUT PORT ...           INFO of each master (tracking_*), one JSON line
  near.py report RESULTS                  the Markdown tables
"""
import http.client
import json
import re
import statistics
import sys
import time
import urllib.parse

BOUND_DEFAULT = 64 * 1024 * 1024


def doc(key_id, rev):
    """A compact JSON document of about 100 bytes (plain: under the 1 KB compression threshold)."""
    return json.dumps({"id": key_id, "name": f"Zipf product {key_id}", "price_krw": 1000 + key_id % 50000,
                       "stock": key_id % 100, "rev": rev}, separators=(",", ":")).encode()


class Conn:
    """One keep-alive HTTP/1.1 connection with the bearer token."""

    def __init__(self, base, token):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.token = token
        self.c = http.client.HTTPConnection(self.host, self.port, timeout=10)

    def call(self, method, path, body=None, headers=None):
        h = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        return r.status, data


def preload(url, token, n, prefix):
    conn = Conn(url, token)
    n = int(n)
    stored = 0
    t0 = time.perf_counter()
    for start in range(0, n, 1000):
        items = [{"key": f"{prefix}{i}", "value": json.loads(doc(i, "0"))} for i in range(start, min(n, start + 1000))]
        status, data = conn.call("POST", "/api/v1/batch/set", json.dumps({"items": items, "ttl": 0}).encode())
        if status != 200:
            sys.exit(f"preload: batch/set answered {status}: {data[:300]!r}")
        stored += json.loads(data)["stored"]
    if stored != n:
        sys.exit(f"preload: {stored} of {n} stored")
    print(f"preloaded {n} keys {prefix}0..{prefix}{n - 1} through {url} in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)


NEAR_RE = re.compile(r"^yooni_cache_near_cache_(\w+?)(?:_total)?\s+(\S+)$")


def near_stats(url):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", "/metrics")
    r = c.getresponse()
    text = r.read().decode()
    if r.status != 200:
        sys.exit(f"near-stats: /metrics answered {r.status}")
    out = {}
    for line in text.splitlines():
        m = NEAR_RE.match(line)
        if m:
            out[m.group(1)] = int(float(m.group(2)))
    return out


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def parse_wrk(text):
    out = {"rps": 0.0, "requests": 0, "non2xx": 0, "socket_errors": ""}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        out["rps"] = float(m.group(1))
    m = re.search(r"^\s*(\d+) requests in", text, re.M)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors:(.*)", text)
    if m:
        out["socket_errors"] = m.group(1).strip()
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
        if m:
            out[f"p{pct}_ms"] = to_ms(m.group(1))
    return out


def record(out, *fields):
    rec = {}
    for f in fields:
        k, v = f.split("=", 1)
        if v.startswith("@"):
            with open(v[1:], encoding="utf-8") as fh:
                v = json.load(fh)
        else:
            try:
                v = int(v)
            except ValueError:
                pass
        rec[k] = v
    rec.update(parse_wrk(sys.stdin.read()))
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec) + "\n")
    return rec


def pct(values, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))]


class TrackingProbe:
    """A plain RESP3 client with CLIENT TRACKING on, one link per master, as a
    yardstick for part 3: when did Redis's invalidation push for a key reach a
    client that is not the service? A thread reads every link and stamps each
    push with its arrival time (time.perf_counter); replies to the probe's own
    GETs go to the caller."""

    def __init__(self, seed_port):
        import queue
        import redis
        import selectors
        import socket
        import threading

        r = redis.Redis(host="127.0.0.1", port=int(seed_port))
        self.slots = []  # (first, last, port)
        for first, last, master, *_ in r.execute_command("CLUSTER SLOTS"):
            self.slots.append((first, last, int(master[1])))
        self.keyslot = lambda key: r.execute_command("CLUSTER KEYSLOT", key)
        self.socks, self.replies, self.bufs = {}, {}, {}
        self.sel = selectors.DefaultSelector()
        self.pushes = {}  # key -> [arrival times]
        self.lock = threading.Lock()
        for port in sorted({p for _, _, p in self.slots}):
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socks[port], self.replies[port], self.bufs[port] = s, queue.Queue(), b""
            self.sel.register(s, selectors.EVENT_READ, port)
        self.stop = False
        threading.Thread(target=self._reader, daemon=True).start()
        for port in self.socks:
            for cmd in (["HELLO", "3"], ["CLIENT", "TRACKING", "ON"]):
                reply = self.call(port, cmd)
                if isinstance(reply, Exception):
                    raise RuntimeError(f"probe: {cmd} on {port}: {reply}")

    def port_of(self, key):
        slot = self.keyslot(key)
        return next(p for first, last, p in self.slots if first <= slot <= last)

    def call(self, port, args):
        out = f"*{len(args)}\r\n".encode()
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += f"${len(a)}\r\n".encode() + a + b"\r\n"
        self.socks[port].sendall(out)
        return self.replies[port].get(timeout=5)

    @staticmethod
    def _parse(buf, i):
        """One RESP3 value at buf[i:]: (value, next index, is_push) or None if incomplete."""
        end = buf.find(b"\r\n", i)
        if end < 0:
            return None
        t, line = buf[i:i + 1], buf[i + 1:end]
        j = end + 2
        if t in (b"+", b"(", b","):
            return line.decode(), j, False
        if t in (b"-", b"!"):
            return RuntimeError(line.decode()), j, False
        if t == b":":
            return int(line), j, False
        if t == b"_":
            return None, j, False
        if t == b"#":
            return line == b"t", j, False
        if t in (b"$", b"="):
            n = int(line)
            if n < 0:
                return None, j, False
            if len(buf) < j + n + 2:
                return None
            return buf[j:j + n], j + n + 2, False
        if t in (b"*", b">", b"~", b"%", b"|"):
            n = int(line)
            if n < 0:
                return None, j, False
            n *= 2 if t in (b"%", b"|") else 1
            items = []
            for _ in range(n):
                got = TrackingProbe._parse(buf, j)
                if got is None:
                    return None
                items.append(got[0])
                j = got[1]
            if t == b"|":  # an attribute precedes the actual value
                got = TrackingProbe._parse(buf, j)
                return got
            return items, j, t == b">"
        raise RuntimeError(f"probe: unexpected RESP type {t!r}")

    def _reader(self):
        while not self.stop:
            for ev, _ in self.sel.select(timeout=0.2):
                port = ev.data
                data = self.socks[port].recv(65536)
                now = time.perf_counter()
                if not data:
                    return
                buf = self.bufs[port] + data
                i = 0
                while True:
                    got = self._parse(buf, i)
                    if got is None:
                        break
                    value, i, is_push = got
                    if is_push and value and value[0] == b"invalidate":
                        with self.lock:
                            for k in value[1] or [b"*"]:
                                self.pushes.setdefault(k.decode(), []).append(now)
                    elif not is_push:
                        self.replies[port].put(value)
                self.bufs[port] = buf[i:]

    def track(self, key):
        """GET the key on its master's link, so the next change of it is pushed here."""
        self.call(self.port_of(key), ["GET", key])

    def push_after(self, key, t0, wait=1.0):
        """Arrival time of the first push for key after t0 (waits up to `wait` s), or None."""
        deadline = time.perf_counter() + wait
        while True:
            with self.lock:
                ts = [t for t in self.pushes.get(key, []) + self.pushes.get("*", []) if t >= t0]
            if ts:
                return min(ts)
            if time.perf_counter() > deadline:
                return None
            time.sleep(0.001)


def stale(a_url, b_url, token, rounds, nkeys, out, seed_port=None):
    """Two instances A and B on one cluster, both with the near cache.

    Phase 1 (cross-instance): KEYS keys are written through A and read through B
    (twice, so B's near cache holds them). Then ROUNDS times, round-robin over
    the keys: GET on B (the old value, from B's near cache), PUT a new value
    through A; once A acknowledged it, GET on B until
    B answers the new value (5 s at most). Time-to-see runs from A's
    acknowledgement to the end of B's first answer holding the new value, so
    its floor is one GET's round trip. With SEED_PORT (the cluster), a
    TrackingProbe reads every key too, and the delay from A's acknowledgement
    to the arrival of Redis's invalidation push at the probe is recorded
    alongside: B's time-to-see minus that is the service's own share.

    Phase 2 (read-your-writes): ROUNDS times, on 4 connections to A (the
    service's workers take connections in turn): read the key on one connection
    (so A holds it), PUT a new value on another, and once acknowledged GET it
    on all 4: every answer that is not the new value counts as stale.
    """
    rounds, nkeys = int(rounds), int(nkeys)
    keys = [f"stale:{i}" for i in range(nkeys)]
    a = Conn(a_url, token)
    b = Conn(b_url, token)
    current = {}
    for i, k in enumerate(keys):
        v = doc(i, "init")
        st, data = a.call("PUT", f"/api/v1/cache/{k}?ttl=0", v)
        if st != 200:
            sys.exit(f"stale: PUT {k} on A answered {st}: {data[:200]!r}")
        current[k] = v
    for _ in range(2):
        for k in keys:
            st, data = b.call("GET", f"/api/v1/cache/{k}")
            if st != 200 or data != current[k]:
                sys.exit(f"stale: B's first read of {k}: {st} {data[:200]!r}")
    probe = TrackingProbe(seed_port) if seed_port else None
    push_ms, b_ms, stale_rounds = {}, {}, []  # by round
    b_before = near_stats(b_url)
    seen_ms, polls, first_fresh, unseen, errors, held = [], [], 0, 0, 0, 0
    for r in range(rounds):
        k = keys[r % nkeys]
        # B reads the current value just before the write: from its near cache
        # (counted by the hits delta) when it holds the key, as it should.
        st, data = b.call("GET", f"/api/v1/cache/{k}")
        if st != 200 or data != current[k]:
            errors += 1
        held += 1
        if probe:
            probe.track(k)
        v = doc(r % nkeys, f"x{r}")
        t_send = time.perf_counter()
        st, data = a.call("PUT", f"/api/v1/cache/{k}?ttl=0", v)
        t_ack = time.perf_counter()
        if st != 200:
            errors += 1
            continue
        current[k] = v
        n = 0
        while True:
            st, data = b.call("GET", f"/api/v1/cache/{k}")
            n += 1
            now = time.perf_counter()
            if st != 200:
                errors += 1
            if st == 200 and data == v:
                seen_ms.append((now - t_ack) * 1000.0)
                b_ms[r] = seen_ms[-1]
                polls.append(n)
                first_fresh += n == 1
                break
            if n == 1 and len(stale_rounds) < 1000:
                stale_rounds.append(r)
            if now - t_ack > 5.0:
                unseen += 1
                print(f"stale: B still answers the old value of {k} 5 s after A acknowledged the new one",
                      file=sys.stderr)
                break
        if probe:
            t_push = probe.push_after(k, t_send)
            push_ms[r] = None if t_push is None else (t_push - t_ack) * 1000.0
    b_after = near_stats(b_url)

    conns = [Conn(a_url, token) for _ in range(4)]
    ryw_reads, ryw_stale, ryw_errors, ryw_examples = 0, 0, 0, []
    a_before = near_stats(a_url)
    for r in range(rounds):
        k = keys[r % nkeys]
        st, _ = conns[r % 4].call("GET", f"/api/v1/cache/{k}")  # A holds the current value
        v = doc(r % nkeys, f"y{r}")
        st, data = conns[(r + 1) % 4].call("PUT", f"/api/v1/cache/{k}?ttl=0", v)
        if st != 200:
            ryw_errors += 1
            continue
        for c in conns:
            st, data = c.call("GET", f"/api/v1/cache/{k}")
            ryw_reads += 1
            if st != 200:
                ryw_errors += 1
            elif data != v:
                ryw_stale += 1
                if len(ryw_examples) < 5:
                    ryw_examples.append({"round": r, "key": k, "want": v.decode(), "got": data.decode()})
    a_after = near_stats(a_url)

    delta = lambda x, y, f: y.get(f, 0) - x.get(f, 0)  # noqa: E731
    rec = {
        "part": 3, "rounds": rounds, "keys": nkeys, "seen": len(seen_ms), "unseen": unseen, "errors": errors,
        "first_poll_fresh": first_fresh,
        "p50_ms": pct(seen_ms, 50) if seen_ms else None, "p99_ms": pct(seen_ms, 99) if seen_ms else None,
        "max_ms": max(seen_ms) if seen_ms else None, "max_polls": max(polls) if polls else None,
        "b_pre_reads": held, "b_near_hits": delta(b_before, b_after, "hits"),
        "b_near_misses": delta(b_before, b_after, "misses"),
        "b_near_invalidations": delta(b_before, b_after, "invalidations"),
        "ryw_reads": ryw_reads, "ryw_stale": ryw_stale, "ryw_errors": ryw_errors, "ryw_examples": ryw_examples,
        "a_near_hits": delta(a_before, a_after, "hits"), "a_near_misses": delta(a_before, a_after, "misses"),
    }
    if probe:
        got = [x for x in push_ms.values() if x is not None]
        rec.update({
            "probe_missing": len(push_ms) - len(got),
            "probe_p50_ms": pct(got, 50) if got else None, "probe_p99_ms": pct(got, 99) if got else None,
            "probe_max_ms": max(got) if got else None,
            "probe_after_ack": sum(1 for x in got if x > 0),
            # For the rounds in which B's first GET after the acknowledgement still
            # answered the old value: the push's delay at the probe, and B's time-to-see.
            "stale_detail": [{"round": r_, "probe_ms": push_ms.get(r_), "b_ms": b_ms.get(r_)}
                             for r_ in stale_rounds][:20],
        })
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec) + "\n")
    if ryw_stale:
        print(f"stale: {ryw_stale} of {ryw_reads} reads on A after its own acknowledged write were stale: "
              f"{ryw_examples}", file=sys.stderr)


def tracking(out, *ports):
    import redis

    masters = []
    for p in ports:
        info = redis.Redis(host="127.0.0.1", port=int(p)).info()
        masters.append({"port": int(p), "tracking_clients": info.get("tracking_clients"),
                        "tracking_total_keys": info.get("tracking_total_keys"),
                        "tracking_total_items": info.get("tracking_total_items"),
                        "keys": info.get("db0", {}).get("keys", 0)})
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"part": 4, "masters": masters}) + "\n")


# --- report ------------------------------------------------------------------------------

def fmt(v, spec=".0f", none="n/a"):
    return none if v is None else format(v, spec)


def ratio(a, b):
    return None if not a or not b else a / b


def report(path):
    recs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    meta = next((r for r in recs if r.get("part") == 0), {})
    busy_any = False

    def group(part):
        g = {}
        for r in recs:
            if r.get("part") == part:
                g.setdefault((r["row"], r["backend"]), []).append(r)
        return g

    def med(rs, field):
        vals = [r[field] for r in rs if r.get(field) is not None]
        return statistics.median(vals) if vals else None

    def cmds_per_req(rs):
        vals = [r["cmds"] / r["requests"] for r in rs if r.get("cmds") is not None and r.get("requests")]
        return statistics.median(vals) if vals else None

    def mark(rs):
        nonlocal busy_any
        if any(r.get("busy") for r in rs):
            busy_any = True
            return "*"
        return ""

    def errs(rs):
        n = sum(r.get("non2xx", 0) for r in rs)
        s = "; ".join(r["socket_errors"] for r in rs if r.get("socket_errors"))
        return (f"{n} non-2xx" if n else "") + (f" {s}" if s else "")

    print(f"## Near cache bench ({meta.get('date', '')}; wrk -t2 -c50 -d{meta.get('duration', '?')}, "
          f"{meta.get('runs', '?')} run(s), median; {meta.get('cores', '?')} cores shared by wrk, the services "
          f"and {meta.get('redis_nodes', '?')} redis-server nodes; HS256 JWT on every request)")
    print()
    problems = []
    g = group(1)
    rows = []
    for (row, _b) in g:
        if row not in rows:
            rows.append(row)
    if rows:
        print("### 1. GET of a hot key (req/s)")
        print()
        print("| row | memory | cluster, near off | cluster, near on | near/memory (target >= 0.95) | off/memory "
              "| near/off | Redis cmds/req off | Redis cmds/req near |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        m, o, n = (g.get((row, b), []) for b in ("memory", "off", "near"))
        rm, ro, rn = med(m, "rps"), med(o, "rps"), med(n, "rps")
        rnm = ratio(rn, rm)
        verdict = "" if rnm is None else (" ok" if rnm >= 0.95 else " MISSED")
        print(f"| {row} | {fmt(rm)}{mark(m)} | {fmt(ro)}{mark(o)} | {fmt(rn)}{mark(n)} | {fmt(rnm, '.3f')}{verdict} "
              f"| {fmt(ratio(ro, rm), '.3f')} | {fmt(ratio(rn, ro), '.2f')} | {fmt(cmds_per_req(o), '.3f')} "
              f"| {fmt(cmds_per_req(n), '.4f')} |")
        for b, rs in (("memory", m), ("off", o), ("near", n)):
            e = errs(rs)
            if e:
                problems.append(f"{row} / {b}: {e}")
    if rows:
        print()
        print("Redis cmds/req: commands the 3 masters processed during the run (INFO total_commands_processed) "
              "per HTTP request, their own background traffic included (PINGs of the links, replicas' REPLCONF ACK).")
        print()

    g = group(2)
    if g:
        print(f"### 2. Zipf workload: {meta.get('zipf_write_pct', 5)}% PUT / rest GET over "
              f"{meta.get('zipf_keys', '?')} keys (s={meta.get('zipf_s', '?')}, ~100 B documents)")
        print()
        print("| backend | req/s | p50 ms | p99 ms | near hit rate (delta over the run) | near hits / misses "
              "| Redis cmds/req | vs memory | vs near off |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        base_m = med(g.get(("zipf", "memory"), []), "rps")
        base_o = med(g.get(("zipf", "off"), []), "rps")
        for b, label in (("memory", "memory"), ("off", "cluster, near off"), ("near", "cluster, near on")):
            rs = g.get(("zipf", b), [])
            if not rs:
                continue
            hits = sum(r["near_after"].get("hits", 0) - r["near_before"].get("hits", 0) for r in rs
                       if isinstance(r.get("near_after"), dict))
            misses = sum(r["near_after"].get("misses", 0) - r["near_before"].get("misses", 0) for r in rs
                         if isinstance(r.get("near_after"), dict))
            rate = f"{hits / (hits + misses):.4f}" if hits + misses else "-"
            hm = f"{hits} / {misses}" if hits + misses else "-"
            rps = med(rs, "rps")
            print(f"| {label} | {fmt(rps)}{mark(rs)} | {fmt(med(rs, 'p50_ms'), '.2f')} | {fmt(med(rs, 'p99_ms'), '.2f')} "
                  f"| {rate} | {hm} | {fmt(cmds_per_req(rs), '.3f') if b != 'memory' else '-'} "
                  f"| {fmt(ratio(rps, base_m), '.3f')} | {fmt(ratio(rps, base_o), '.2f') if b != 'memory' else '-'} |")
            e = errs(rs)
            if e:
                problems.append(f"zipf / {b}: {e}")
        print()

    for r in recs:
        if r.get("part") != 3:
            continue
        print(f"### 3. Staleness: two instances (A, B) with the near cache on one cluster, {r['rounds']} writes "
              f"over {r['keys']} keys B holds")
        print()
        print("| measure | value |")
        print("|---|---:|")
        print(f"| B: time from A's PUT acknowledgement to B answering the new value, p50 / p99 / max | "
              f"{fmt(r['p50_ms'], '.3f')} / {fmt(r['p99_ms'], '.3f')} / {fmt(r['max_ms'], '.3f')} ms |")
        if r.get("probe_p50_ms") is not None:
            print(f"| a plain RESP3 tracking client (probe): invalidation push arrival after A's acknowledgement, "
                  f"p50 / p99 / max (negative: before it) | {fmt(r['probe_p50_ms'], '.3f')} / "
                  f"{fmt(r['probe_p99_ms'], '.3f')} / {fmt(r['probe_max_ms'], '.3f')} ms |")
            print(f"| probe: push arrived after A's acknowledgement / no push within 1 s | "
                  f"{r['probe_after_ack']} / {r['probe_missing']} |")
        print(f"| B: new value on its first GET after the acknowledgement | {r['first_poll_fresh']} of {r['seen'] + r['unseen']} |")
        print(f"| B: GETs needed at most | {r['max_polls']} |")
        print(f"| B: never saw the new value within 5 s | {r['unseen']} |")
        print(f"| B: near cache hits / misses / invalidations during the phase ({r['b_pre_reads']} reads of the old "
              f"value just before each write, then the polls) | {r['b_near_hits']} / "
              f"{r['b_near_misses']} / {r['b_near_invalidations']} |")
        print(f"| A: stale answers to GETs right after its own acknowledged PUT (4 connections) | "
              f"**{r['ryw_stale']}** of {r['ryw_reads']} |")
        print(f"| A: near cache hits / misses during that phase | {r['a_near_hits']} / {r['a_near_misses']} |")
        print(f"| errors (non-200) | {r['errors'] + r['ryw_errors']} |")
        print()
        if r["ryw_stale"]:
            problems.append(f"{r['ryw_stale']} stale reads on A after its own write: {r['ryw_examples']}")
        if r.get("stale_detail"):
            problems.append("B answered the old value after A's acknowledgement in these rounds (probe_ms: the push's "
                            "arrival at the probe after the ack; b_ms: B's time-to-see): "
                            + ", ".join(f"#{d['round']} probe {fmt(d['probe_ms'], '.2f')} ms / B {fmt(d['b_ms'], '.2f')} ms"
                                        for d in r["stale_detail"]))
        if r["unseen"]:
            problems.append(f"{r['unseen']} writes B never saw within 5 s")

    t = next((r for r in recs if r.get("part") == 4), None)
    ns = [r for r in recs if r.get("part") == 5]
    if t or ns:
        print("### 4. After the run: Redis's tracking table and the near caches")
        print()
        print("| where | tracking_clients | tracking_total_keys | keys stored |")
        print("|---|---:|---:|---:|")
        total = 0
        for m in (t or {}).get("masters", []):
            total += m["tracking_total_keys"] or 0
            print(f"| master 127.0.0.1:{m['port']} | {m['tracking_clients']} | {m['tracking_total_keys']} | {m['keys']} |")
        print(f"| all masters | | {total} | |")
        print()
        print("| near cache | entries | bytes | bound | bytes/bound | evictions | flushes |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in ns:
            s = r["stats"]
            # (the service's own yooni_cache_near_cache_max_bytes when it shows one)
            bound = s.get("max_bytes") or r.get("bound", BOUND_DEFAULT)
            print(f"| {r['name']} | {s.get('entries')} | {s.get('bytes')} | {bound} | "
                  f"{fmt(s.get('bytes', 0) / bound, '.3f')} | {s.get('evictions')} | {s.get('flushes')} |")
            if s.get("bytes", 0) > bound:
                problems.append(f"{r['name']}: near cache holds {s['bytes']} bytes, over its bound {bound}")
        print()

    if busy_any:
        print("\\* overlapped other CPU work on this machine (a compiler or another wrk): the figure means little.")
        print()
    if problems:
        print("Problems:")
        for p in problems:
            print(f"- {p}")
    else:
        print("No errors: every wrk request answered 2xx, no stale read on A, B saw every write.")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "preload":
        preload(*args)
    elif cmd == "near-stats":
        print(json.dumps(near_stats(args[0])))
    elif cmd == "record":
        record(*args)
    elif cmd == "stale":
        stale(*args)
    elif cmd == "tracking":
        tracking(*args)
    elif cmd == "report":
        report(args[0])
    else:
        sys.exit(f"near.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
