#!/usr/bin/python3
"""Consistency checker: does every answer belong to its own key, and does
every acknowledged write stay? The chaos suite's third run (beside chaos.py,
which measures recovery, and soak.py, which measures resources). It is a
script of its own rather than a mode of chaos.py because it needs what
chaos.py does not: three backends, a standalone master with its replica,
every kind of call, and a judgement of each read against the history of its
key. It reuses harness.py: the cluster, the proxies, the service and the
HTTP client.

Concurrent callers send GET, PUT, DELETE, batch get, batch set and batch
delete through the HTTP API, on the memory backend, on a standalone Redis
master with one replica (started here; the service reaches the master
through a TCP proxy) and on a 3-master/3-replica cluster (every node behind a
proxy), with REDIS_WAIT_REPLICAS=1, REDIS_WAIT_TIMEOUT_MS longer than
HTTP_REQUEST_TIMEOUT_MS (so writes time out between their SET's reply and
their WAIT's, and whatever is queued behind them on the link times out too)
and one or two worker threads. While the load runs, one fault at a time:

  pause  a replica stopped (SIGSTOP) until enough writes timed out, then SIGCONT
  kill   cluster: a master SIGKILLed, restarted once its replica took over;
         standalone: the master SIGKILLed and restarted on the same port,
         empty (no persistence), its replica resyncing from it
  cut    the service's links to a master reset by its proxy, several times,
         each after the service answered again
  pause-cut  a replica stopped and, meanwhile, the links to its master reset
         several times, each after more writes timed out: links go while
         writes wait for their WAIT's reply

After the fault: the backend healthy again, the service answering a write
and a read again, more load, then every key read back.

Every value names its key and a per-key sequence number, with a padding
derived from both (some values are over the compression threshold):
{"key": "cc:...:17", "seq": 42, "pad": "..."}.

How a read is judged. A key's writes (PUT, batch-set items) and deletes
(DELETE, batch-delete items) are numbered in the order they are sent. A key
has at most one write or delete in flight, so the answer to operation n
comes before n+1 is sent. A read sent at rs and answered at rr (a batch
get's every entry is such a read) is compared with its key's floor: the
newest operation acknowledged before rs, or on the standalone backend the
master's restart when that is newer (the restart empties the store: a kill
is a delete of every key). An acknowledged operation under way while the
master was killed is not a floor: it may have run before the kill or, retried,
after the restart. The read may return
  - the floor's state: its value, or nothing if it was a delete or restart;
  - the state of any operation sent after the floor and before rr, answered
    or not: a write that timed out or failed may still have been applied
    (an unacknowledged write that landed), and so may a delete;
  - after a restart, the value of any write still unanswered when the master
    was killed;
  - anything, for a read under way while the standalone master was killed
    (it is still checked for its key and sequence number).
Any other answer is counted, in this order:
  wrong key       a value naming another key (GET, or a batch-get entry), or a
                  batch get returning a key it was not asked for;       must be 0
  never written   not a value of ours, a wrong padding, or a sequence number
                  never sent for that key as a write by the time of the answer
                  (a delete's number, or one sent later);              must be 0
  late            older than the floor, but the state of an operation that
                  was not acknowledged (it may have been applied after the
                  newer acknowledged one). With one worker thread each node
                  has one link from the service, which Redis runs in order,
                  so this cannot happen: must be 0 with WORKER_THREADS=1.
                  With two, a write queued behind a blocked WAIT on one
                  thread's link can run after the next write went through the
                  other thread's link and was acknowledged (a 504 does not
                  mean "not applied", nor "applied before what follows"):
                  reported, not a failure, with how long after it was sent
                  such an operation was applied at least (late_max_s: the
                  newer one was sent after it had been answered);
  lost            older than the floor when the floor is an acknowledged write
                  (an older value, or nothing): an acknowledged write lost.
                  With REDIS_WAIT_REPLICAS=1 a replica has every acknowledged
                  write before the caller hears of it;                  must be 0
  undone          a value when the floor is an acknowledged delete or the
                  standalone restart. The service does not WAIT for deletes,
                  so a failover may bring back what a delete removed: reported
                  for the cluster kill, must be 0 everywhere else.
Also counted: calls made; timeouts (504), and writes among them; 503s
(backend unavailable, or a write no replica confirmed in time); unexpected
answers: any other status (a 500 is what a reply handed to the wrong caller
usually turns into) or a connection the service dropped (must be 0); calls
with no answer within 10 s (must be 0: the service's own deadline is 300 ms);
the time from the end of the fault's action (SIGCONT, restart, last cut) to
the answer of the last call that failed.

The run fails (exit 1) when a must-be-0 figure is not 0, a backend or the
service did not recover within the caps, a pause phase saw fewer writes time
out than --min-write-timeouts, or a Redis backend saw fewer timeouts in all
than --min-timeouts (a run without timeouts proves nothing about them).

The checker checks itself: on the memory backend a second phase alters
answers on the client side before they are judged (another key's value, a
sequence number never sent, an older acknowledged value, a missing key) and
passes only if each altered answer is counted, in its own column, and
nothing else is.

  consistency.py --binary build/debug/yooni-cache             the short run (CI)
  consistency.py --binary ... --long                          the long run (README)
  consistency.py --binary ... --backends cluster --faults kill --workers 2
"""
import argparse
import asyncio
import bisect
import collections
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, HttpPool, Proxy, Service, free_port, percentile  # noqa: E402

BACKENDS = ["memory", "standalone", "cluster"]
FAULTS = {"memory": ["none", "self-check"], "standalone": ["pause", "kill", "cut", "pause-cut"],
          "cluster": ["pause", "kill", "cut", "pause-cut"]}

# Sizes of the two runs. Every wait is on a condition (calls that succeeded,
# writes that timed out, the backend healthy), capped at cap_s; pause_min_s is
# how long a replica stays stopped at least (the fault itself, not a wait).
SHORT = dict(keys=48, concurrency=12, warm_ok=200, settle_ok=200, memory_ok=5000, pause_cycles=2,
             pause_min_s=2, pause_max_s=30, pause_timeouts=20, kill_cycles=1, cuts=8, cut_ok=50,
             cap_s=90, min_timeouts=50, min_write_timeouts=20, workers="1,2", node_timeout=2000, inject=5)
LONG = dict(keys=200, concurrency=16, warm_ok=1000, settle_ok=2000, memory_ok=50000, pause_cycles=8,
            pause_min_s=3, pause_max_s=60, pause_timeouts=50, kill_cycles=3, cuts=30, cut_ok=300,
            cap_s=120, min_timeouts=1000, min_write_timeouts=300, workers="1,2", node_timeout=2000, inject=20)

SERVICE_ENV = {"HTTP_REQUEST_TIMEOUT_MS": "300", "REDIS_WAIT_REPLICAS": "1", "REDIS_WAIT_TIMEOUT_MS": "1000"}
CLIENT_TIMEOUT_S = 10.0


def pad(key, seq):
    """The padding of a key's value number seq: derived from both, 8 to 47
    characters, or 1200 (compressed by the service) for one value in 7."""
    h = hashlib.blake2b(f"{key}#{seq}".encode(), digest_size=8).hexdigest()
    n = 1200 if seq % 7 == 3 else 8 + int(h[:2], 16) % 40
    return (h * (n // len(h) + 1))[:n]


def value(key, seq):
    return {"key": key, "seq": seq, "pad": pad(key, seq)}


def wait_for(cond, timeout, step=0.05):
    """Polls cond() until it holds or timeout seconds passed; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


async def until(cond, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(step)


class Op:
    """One write ("w") or delete ("d") of one key: sent at ws, answered at wr."""
    __slots__ = ("seq", "kind", "ws", "wr", "ok")

    def __init__(self, seq, kind, ws):
        self.seq, self.kind, self.ws, self.wr, self.ok = seq, kind, ws, None, False


class Checker:
    """The callers, the history of every key, and the judgement of every read."""

    def __init__(self, port, token, prefix, keys, inject=0):
        self.pool = HttpPool(port, token)
        self.names = [f"{prefix}:{i}" for i in range(keys)]
        self.ops = [[] for _ in range(keys)]  # per key, op seq n at [n-1]
        self.busy = [False] * keys
        self.reads = []  # (key index, rs, rr, got): got None (absent), a seq, or ("wrong"|"never", detail)
        self.stray = 0   # batch-get answers for keys not asked for
        self.wipes = []  # (killed at, dead at): the standalone master restarted empty
        self.outcomes = collections.Counter()  # "kind status"
        self.lat = []
        self.calls = self.ok_calls = self.timeouts = self.write_timeouts = self.no_answer = 0
        self.unavailable = 0  # 503: backend unavailable, or a write no replica confirmed in time
        self.unexpected = 0   # any other answer than 200, 404 (GET), 503, 504; or the connection dropped
        self.last_failure = None  # when the last call that did not succeed was answered
        # The self-check: answers altered before they are judged, by kind.
        self.inject_left = collections.Counter({k: inject for k in ("wrong-key", "never-written", "older", "missing")}
                                               if inject else {})
        self.injected = collections.Counter()
        self.inject_turn = 0

    # --- calls -------------------------------------------------------------

    async def call(self, kind, method, path, body=None):
        """(status or None, body, sent at, answered at)."""
        t0 = time.monotonic()
        status, data = None, b""
        try:
            status, data = await self.pool.request(method, path, None if body is None else json.dumps(body),
                                                   CLIENT_TIMEOUT_S)
        except asyncio.TimeoutError:
            self.no_answer += 1
            self.outcomes[f"{kind} no-answer"] += 1
        except (ConnectionError, OSError, asyncio.IncompleteReadError) as e:
            self.unexpected += 1
            self.outcomes[f"{kind} {type(e).__name__}"] += 1
        t1 = time.monotonic()
        self.calls += 1
        self.lat.append((t1 - t0) * 1000)
        if status is not None:
            self.outcomes[f"{kind} {status}"] += 1
            if status == 200 or (status == 404 and kind == "get"):
                self.ok_calls += 1
                return status, data, t0, t1
            if status == 504:
                self.timeouts += 1
                if kind in ("put", "bset"):
                    self.write_timeouts += 1
            elif status == 503:
                self.unavailable += 1
            else:
                self.unexpected += 1
        self.last_failure = t1
        return status, data, t0, t1

    def pick_free(self, rng, n):
        cand = rng.sample(range(len(self.names)), min(len(self.names), 3 * n))
        return [i for i in cand if not self.busy[i]][:n]

    def begin(self, idxs, kind, t0):
        ops = []
        for i in idxs:
            self.busy[i] = True
            op = Op(len(self.ops[i]) + 1, kind, t0)
            self.ops[i].append(op)
            ops.append(op)
        return ops

    def end(self, idxs, ops, ok, t1):
        for i, op in zip(idxs, ops):
            op.wr, op.ok = t1, ok
            self.busy[i] = False

    async def write(self, rng, kind, n):
        idxs = self.pick_free(rng, n)
        if not idxs:
            return await self.get(rng)
        t0 = time.monotonic()
        ops = self.begin(idxs, "w" if kind in ("put", "bset") else "d", t0)
        if kind == "put":
            name = self.names[idxs[0]]
            # The body is sent as JSON text; value() is the document itself.
            req = ("PUT", f"/api/v1/cache/{name}?ttl=0", value(name, ops[0].seq))
        elif kind == "bset":
            req = ("POST", "/api/v1/batch/set",
                   {"items": [{"key": self.names[i], "value": value(self.names[i], op.seq)}
                              for i, op in zip(idxs, ops)], "ttl": 3600})
        elif kind == "del":
            req = ("DELETE", f"/api/v1/cache/{self.names[idxs[0]]}", None)
        else:
            req = ("POST", "/api/v1/batch/delete", {"keys": [self.names[i] for i in idxs]})
        status, _, _, t1 = await self.call(kind, *req)
        self.end(idxs, ops, status == 200, t1)

    async def get(self, rng):
        i = rng.randrange(len(self.names))
        status, data, t0, t1 = await self.call("get", "GET", f"/api/v1/cache/{self.names[i]}")
        if status == 200:
            try:
                v = json.loads(data)
            except ValueError:
                v = {"unparsable": data[:200].decode(errors="replace")}
            self.record(i, t0, t1, v)
        elif status == 404:
            self.record(i, t0, t1, None)

    async def batch_get(self, rng, idxs=None):
        idxs = idxs if idxs is not None else rng.sample(range(len(self.names)), rng.randint(2, 24))
        names = [self.names[i] for i in idxs]
        status, data, t0, t1 = await self.call("bget", "POST", "/api/v1/batch/get", {"keys": names})
        if status != 200:
            return False
        try:
            doc = json.loads(data)
            values, missing = doc["values"], set(doc["missing"])
        except (ValueError, KeyError, TypeError):
            for i in idxs:
                self.reads.append((i, t0, t1, ("never", "batch answer: " + data[:200].decode(errors="replace"))))
            return True
        asked = set(names)
        self.stray += sum(1 for k in values if k not in asked)
        for i, name in zip(idxs, names):
            if name in values:
                self.record(i, t0, t1, values[name])
            elif name in missing:
                self.record(i, t0, t1, None)
            else:
                self.reads.append((i, t0, t1, ("never", "neither in values nor in missing")))
        return True

    def record(self, i, rs, rr, v):
        """A read's answer (a document, or None when absent) reduced to what is judged."""
        if self.inject_left:
            v = self.inject(i, rs, v)
        name = self.names[i]
        if v is None:
            got = None
        elif not isinstance(v, dict) or not isinstance(v.get("key"), str):
            got = ("never", json.dumps(v)[:200])
        elif v["key"] != name:
            got = ("wrong", f"asked {name}, answered {json.dumps(v)[:200]}")
        elif type(v.get("seq")) is not int or set(v) != {"key", "seq", "pad"} or v["pad"] != pad(name, v["seq"]):
            got = ("never", json.dumps(v)[:200])
        else:
            got = v["seq"]
        self.reads.append((i, rs, rr, got))

    def inject(self, i, rs, v):
        """The self-check: one read in 10 answered wrongly on purpose, in turn
        another key's value, a number not sent, an older acknowledged value,
        nothing; the last two only where the key's newest operation is a write
        acknowledged before the read was sent and no unacknowledged older
        operation could explain them (so each must count as lost)."""
        self.inject_turn += 1
        if self.inject_turn % 10:
            return v
        name, ops = self.names[i], self.ops[i]
        for kind in ("wrong-key", "never-written", "older", "missing"):
            if not self.inject_left[kind]:
                continue
            if kind == "wrong-key":
                other = self.names[(i + 1) % len(self.names)]
                out = value(other, 1)
            elif kind == "never-written":
                # In turn a number far ahead, and the key's next one: sent (if
                # at all) only after this answer, so not yet written when it came.
                out = value(name, len(ops) + (1 if self.injected[kind] % 2 else 1000))
            else:
                last = ops[-1] if ops else None
                if not (last and last.kind == "w" and last.ok and last.wr < rs):
                    continue
                if any(o.kind == "d" and not o.ok for o in ops[:-1]):
                    continue
                older = [o for o in ops[:-1] if o.kind == "w" and o.ok]
                if kind == "older":
                    if not older:
                        continue
                    out = value(name, older[-1].seq)
                else:
                    out = None
            self.inject_left[kind] -= 1
            if not self.inject_left[kind]:
                del self.inject_left[kind]
            self.injected[kind] += 1
            return out
        return v

    async def worker(self, rng, stop):
        while not stop.is_set():
            r = rng.random()
            if r < 0.30:
                await self.get(rng)
            elif r < 0.50:
                await self.batch_get(rng)
            elif r < 0.73:
                await self.write(rng, "put", 1)
            elif r < 0.85:
                await self.write(rng, "bset", rng.randint(2, 8))
            elif r < 0.95:
                await self.write(rng, "bdel", rng.randint(2, 6))
            else:
                await self.write(rng, "del", 1)

    def wait_ok(self, n, timeout):
        """From another thread: until n more calls succeeded."""
        base = self.ok_calls
        return wait_for(lambda: self.ok_calls >= base + n, timeout)

    async def read_back(self, timeout):
        """Every key read back (batch gets of 50), each batch retried until answered."""
        for lo in range(0, len(self.names), 50):
            idxs = list(range(lo, min(len(self.names), lo + 50)))
            deadline = time.monotonic() + timeout
            while not await self.batch_get(None, idxs):
                if time.monotonic() > deadline:
                    return False
                await asyncio.sleep(0.2)
        return True

    # --- judgement ---------------------------------------------------------

    def judge(self):
        counts = collections.Counter()
        examples = []
        wipes = sorted(self.wipes)
        wipe_done = [w[1] for w in wipes]

        def straddles(op):
            return any(op.ws < wd and op.wr > ws for ws, wd in wipes)

        # Per key, the acknowledged operations that count as floors, by answer time
        # (a key's operations never overlap, so answer times grow with seq).
        floors = []
        for ops in self.ops:
            acked = [o for o in ops if o.ok and not straddles(o)]
            floors.append(([o.wr for o in acked], acked))
        for i, rs, rr, got in self.reads:
            counts["reads"] += 1
            if isinstance(got, tuple):
                counts[got[0]] += 1
                if len(examples) < 8:
                    examples.append({"key": self.names[i], "problem": got[0], "detail": got[1]})
                continue
            ops = self.ops[i]
            if got is not None and not (1 <= got <= len(ops) and ops[got - 1].kind == "w"
                                        and ops[got - 1].ws < rr):
                counts["never"] += 1
                if len(examples) < 8:
                    examples.append({"key": self.names[i], "problem": "never", "detail": f"seq {got}",
                                     "sent": len(ops)})
                continue
            if any(ws < rr and wd > rs for ws, wd in wipes):
                counts["unjudged"] += 1
                continue
            times, acked = floors[i]
            k = bisect.bisect_left(times, rs)
            e = acked[k - 1] if k else None
            w = bisect.bisect_left(wipe_done, rs)
            wipe = wipes[w - 1] if w else None
            if wipe is not None and (e is None or wipe[1] > e.wr):
                # The floor is the restart: nothing, or a write unanswered at the kill.
                if got is None or ops[got - 1].wr > wipe[0]:
                    continue
                verdict = "undone"
            elif e is None:
                continue
            else:
                if got is None:
                    allowed = e.kind == "d" or any(o.kind == "d" and o.ws < rr for o in ops[e.seq:])
                else:
                    allowed = got >= e.seq
                if allowed:
                    continue
                if got is None:
                    late = [o for o in ops[:e.seq - 1] if o.kind == "d" and not o.ok][-1:]
                else:
                    late = [ops[got - 1]] if not ops[got - 1].ok else []
                verdict = "late" if late else ("lost" if e.kind == "w" else "undone")
                if late:
                    # It was applied after the floor's operation, which was sent
                    # after it had been answered: at least this long after it was sent.
                    counts["late_max_ms"] = max(counts["late_max_ms"], round((e.ws - late[0].ws) * 1000))
            counts[verdict] += 1
            if len(examples) < 8:
                examples.append({"key": self.names[i], "problem": verdict, "read": got,
                                 "floor": (e.seq, e.kind) if e else "restart",
                                 "ops": [(o.seq, o.kind, o.ok, round(o.ws - rs, 3), round(o.wr - rs, 3))
                                         for o in ops[max(0, (e.seq if e else 1) - 3):(e.seq if e else 1) + 2]],
                                 "read_took_s": round(rr - rs, 3)})
        counts["wrong"] += self.stray
        return counts, examples


# --- backends ---------------------------------------------------------------

class MemoryBackend:
    name = "memory"

    def start(self):
        pass

    def env(self):
        return {}

    def healthy(self):
        return True

    def stop(self):
        pass

    def fault_none(self, ck, p):
        if not ck.wait_ok(p.memory_ok, p.cap_s):
            raise RuntimeError(f"fewer than {p.memory_ok} calls succeeded in {p.cap_s} s")
        return f"no fault, {p.memory_ok} more successful calls"

    fault_self_check = fault_none


def pause_until_timeouts(ck, p, stop, cont, cut=None):
    """Pauses a replica until at least pause_timeouts writes timed out and
    pause_min_s passed (at most pause_max_s); returns the writes timed out and
    the seconds paused. With cut: the links are also reset `cuts` times while
    it is paused, each after a few more writes timed out (so that writes are
    waiting for their WAIT's reply when their link goes)."""
    before, t0 = ck.write_timeouts, time.monotonic()
    stop()
    try:
        if cut is not None:
            for _ in range(p.cuts):
                seen = ck.write_timeouts
                wait_for(lambda: ck.write_timeouts >= seen + 2, p.pause_max_s)
                cut()
        wait_for(lambda: ck.write_timeouts - before >= p.pause_timeouts and time.monotonic() - t0 >= p.pause_min_s,
                 p.pause_max_s)
    finally:
        cont()
    return ck.write_timeouts - before, time.monotonic() - t0


class StandaloneBackend:
    """A master and one replica, no persistence; the service reaches the
    master through a proxy (cut), the replica follows the master directly."""
    name = "standalone"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="yooni-consistency-")
        self.mport = free_port()
        self.rport = free_port()
        while self.rport == self.mport:
            self.rport = free_port()
        self.master = self.replica = self.proxy = None

    def spawn(self, port, extra):
        # Each server in a directory of its own, emptied first: the replica
        # keeps the snapshots it receives as dump.rdb, and a master that found
        # one would not restart empty.
        d = os.path.join(self.dir, str(port))
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", d, "--logfile", os.path.join(d, "redis.log"), *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for(lambda: self.cli(port, "ping") == "PONG", 15, 0.1):
            raise RuntimeError(f"redis-server on {port} did not start")
        return proc

    def cli(self, port, *args):
        try:
            return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True,
                                  timeout=5).stdout.strip()
        except subprocess.TimeoutExpired:
            return ""

    def start(self):
        self.master = self.spawn(self.mport, [])
        self.replica = self.spawn(self.rport, ["--replicaof", "127.0.0.1", str(self.mport)])
        self.proxy = Proxy(self.mport)
        if not wait_for(self.healthy, 30, 0.1):
            raise RuntimeError("the replica did not link to the master")

    def env(self):
        return {"REDIS_URL": f"redis://127.0.0.1:{self.proxy.port}/0"}

    def healthy(self):
        m = self.cli(self.mport, "info", "replication")
        r = self.cli(self.rport, "info", "replication")
        return "connected_slaves:1" in m and "state=online" in m and "master_link_status:up" in r

    def fault_pause(self, ck, p, cut=False):
        out = []
        for c in range(p.pause_cycles):
            if c and not (wait_for(self.healthy, p.cap_s) and ck.wait_ok(p.settle_ok, p.cap_s)):
                raise RuntimeError("no recovery between pauses")
            n, s = pause_until_timeouts(ck, p, lambda: os.kill(self.replica.pid, signal.SIGSTOP),
                                        lambda: os.kill(self.replica.pid, signal.SIGCONT),
                                        self.proxy.cut if cut else None)
            out.append(f"{s:.1f} s/{n} writes timed out")
        return ("replica SIGSTOP then SIGCONT" + (f", links to the master reset {p.cuts} times meanwhile" if cut
                                                  else "") + ": " + ", ".join(out))

    def fault_pause_cut(self, ck, p):
        return self.fault_pause(ck, p, cut=True)

    def fault_kill(self, ck, p):
        for c in range(p.kill_cycles):
            if c and not (wait_for(self.healthy, p.cap_s) and ck.wait_ok(p.settle_ok, p.cap_s)):
                raise RuntimeError("no recovery between kills")
            t_kill = time.monotonic()
            self.master.kill()
            self.master.wait()
            ck.wipes.append((t_kill, time.monotonic()))
            self.master = self.spawn(self.mport, [])
        return f"master SIGKILL, restarted empty on its port, x{p.kill_cycles}"

    def fault_cut(self, ck, p):
        for _ in range(p.cuts):
            if not ck.wait_ok(p.cut_ok, p.cap_s):
                raise RuntimeError("the service did not answer again after a cut")
            self.proxy.cut()
        return f"service's links to the master reset {p.cuts} times"

    def stop(self):
        for proc in (self.replica, self.master):
            if proc is None:
                continue
            try:
                os.kill(proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.proxy:
            self.proxy.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class ClusterBackend:
    """harness.Cluster (3+3), every node behind a proxy, as chaos.py runs it."""
    name = "cluster"

    def __init__(self, node_timeout):
        self.cluster = Cluster(node_timeout=node_timeout)
        self.proxies = {}

    def start(self):
        self.cluster.start()
        if not self.cluster.wait_healthy(60):
            raise RuntimeError("the cluster did not become healthy")
        for port in self.cluster.ports:
            self.proxies[port] = Proxy(port)

    def env(self):
        return {"REDIS_CLUSTER_ENABLED": "true",
                "REDIS_CLUSTER_NODES": f'["127.0.0.1:{self.proxies[self.cluster.base].port}"]',
                "REDIS_CLUSTER_ADDRESS_MAP": ",".join(f"127.0.0.1:{p}=127.0.0.1:{x.port}"
                                                      for p, x in self.proxies.items())}

    def healthy(self):
        return self.cluster.healthy()

    def fault_pause(self, ck, p, cut=False):
        out = []
        for c in range(p.pause_cycles):
            if c and not (self.cluster.wait_healthy(p.cap_s) and ck.wait_ok(p.settle_ok, p.cap_s)):
                raise RuntimeError("no recovery between pauses")
            m = self.cluster.masters_now()[c % 3]
            r = self.cluster.replica_of(m["id"])
            if r is None:
                raise RuntimeError(f"master :{m['port']} has no replica")
            n, s = pause_until_timeouts(ck, p, lambda: self.cluster.kill(r["port"], signal.SIGSTOP),
                                        lambda: self.cluster.cont(r["port"]),
                                        self.proxies[m["port"]].cut if cut else None)
            out.append(f":{r['port']} {s:.1f} s/{n} writes timed out")
        return ("replica SIGSTOP then SIGCONT" + (f", links to its master reset {p.cuts} times meanwhile" if cut
                                                  else "") + ": " + ", ".join(out))

    def fault_pause_cut(self, ck, p):
        return self.fault_pause(ck, p, cut=True)

    def fault_kill(self, ck, p):
        out = []
        for c in range(p.kill_cycles):
            if c and not (self.cluster.wait_healthy(p.cap_s) and ck.wait_ok(p.settle_ok, p.cap_s)):
                raise RuntimeError("no recovery between kills")
            m = self.cluster.masters_now()[(c + 1) % 3]
            self.cluster.kill(m["port"])
            if not self.cluster.wait_promoted(m["id"], 60):
                raise RuntimeError(f"no replica of :{m['port']} was promoted")
            self.cluster.restart(m["port"])
            out.append(f":{m['port']}")
        return "master SIGKILL, restarted after its replica's promotion: " + ", ".join(out)

    def fault_cut(self, ck, p):
        ports = []
        for c in range(p.cuts):
            if not ck.wait_ok(p.cut_ok, p.cap_s):
                raise RuntimeError("the service did not answer again after a cut")
            m = self.cluster.masters_now()[c % 3]
            self.proxies[m["port"]].cut()
            ports.append(m["port"])
        return f"service's links to a master reset {p.cuts} times (masters :" + ", :".join(
            str(x) for x in sorted(set(ports))) + ")"

    def stop(self):
        for x in self.proxies.values():
            x.close()
        self.cluster.stop()


# --- phases -----------------------------------------------------------------

async def probe(service, timeout):
    """Seconds until the service stored and read back a value, or None."""
    pool = HttpPool(service.port, service.token)
    t0 = time.monotonic()
    body = json.dumps({"probe": t0})
    try:
        while time.monotonic() - t0 < timeout:
            try:
                s1, _ = await pool.request("PUT", "/api/v1/cache/cc-probe?ttl=60", body, 5)
                if s1 == 200:
                    s2, data = await pool.request("GET", "/api/v1/cache/cc-probe", None, 5)
                    if s2 == 200 and json.loads(data) == json.loads(body):
                        return time.monotonic() - t0
            except (asyncio.TimeoutError, ConnectionError, OSError, ValueError):
                pass
            await asyncio.sleep(0.1)
        return None
    finally:
        pool.close()


async def run_phase(backend, service, fault, workers, p, seed):
    prefix = f"cc:{backend.name}:{workers}:{fault}:{seed}"
    ck = Checker(service.port, service.token, prefix, p.keys, p.inject if fault == "self-check" else 0)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(ck.worker(random.Random(seed * 1000 + j), stop)) for j in range(p.concurrency)]
    errors, what, recovery = [], "", None
    t_start = t_end = time.monotonic()
    try:
        if not await until(lambda: ck.ok_calls >= p.warm_ok, p.cap_s):
            errors.append(f"warm-up: {ck.ok_calls} calls succeeded in {p.cap_s} s")
        try:
            what = await asyncio.to_thread(getattr(backend, "fault_" + fault.replace("-", "_")), ck, p)
        except Exception as e:
            errors.append(f"fault: {e}")
        t_end = time.monotonic()
        if not await asyncio.to_thread(wait_for, backend.healthy, p.cap_s, 0.2):
            errors.append(f"the backend was not healthy {p.cap_s} s after the fault")
        recovery = await probe(service, p.cap_s)
        if recovery is None:
            errors.append(f"the service did not store and read a value for {p.cap_s} s after the fault")
        base = ck.ok_calls
        if not await until(lambda: ck.ok_calls >= base + p.settle_ok, p.cap_s):
            errors.append(f"after recovery only {ck.ok_calls - base} calls succeeded in {p.cap_s} s")
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    if not await ck.read_back(p.cap_s):
        errors.append("the keys could not be read back")
    ck.pool.close()
    if service.proc.poll() is not None:
        errors.append(f"the service exited ({service.proc.returncode})")
    counts, examples = ck.judge()
    tail = None if ck.last_failure is None else round(max(0.0, ck.last_failure - t_end), 2)
    row = {"backend": backend.name, "workers": workers, "fault": fault, "what": what, "seed": seed,
           "seconds": round(time.monotonic() - t_start, 1), "calls": ck.calls, "ok": ck.ok_calls,
           "timeouts": ck.timeouts, "write_timeouts": ck.write_timeouts, "unavailable": ck.unavailable,
           "unexpected": ck.unexpected, "no_answer": ck.no_answer, "reads": counts["reads"],
           "unjudged": counts["unjudged"],
           "wrong_key": counts["wrong"], "never_written": counts["never"], "lost": counts["lost"],
           "undone": counts["undone"], "late": counts["late"], "late_max_s": round(counts["late_max_ms"] / 1000, 2),
           # From the end of the fault's action (SIGCONT, restart, last cut): to the
           # answer of the last call that failed, and to a value stored and read back
           # (once the backend was healthy).
           "failures_end_s": tail, "recovery_s": None if recovery is None else round(recovery, 2),
           "p50_ms": round(percentile(ck.lat, 0.5), 1), "p99_ms": round(percentile(ck.lat, 0.99), 1),
           "max_ms": round(max(ck.lat) if ck.lat else 0, 1),
           "outcomes": dict(sorted(ck.outcomes.items())), "examples": examples, "errors": errors}
    if fault == "self-check":
        row["injected"] = dict(ck.injected)
    return row


def failures(row, p):
    """Why a row fails the run (empty: it passes)."""
    out = list(row["errors"])
    if row["fault"] == "self-check":
        inj = row["injected"]
        want = {"wrong_key": inj.get("wrong-key", 0), "never_written": inj.get("never-written", 0),
                "lost": inj.get("older", 0) + inj.get("missing", 0), "undone": 0, "late": 0, "unexpected": 0,
                "no_answer": 0}
        if sum(inj.values()) < 4 * p.inject:
            out.append(f"self-check: only {inj} answers altered")
        for k, n in want.items():
            if row[k] != n:
                out.append(f"self-check: {k} {row[k]}, altered answers {n}")
        return out
    for k in ("wrong_key", "never_written", "lost", "unexpected", "no_answer"):
        if row[k]:
            out.append(f"{k} {row[k]}")
    if row["undone"] and not (row["backend"] == "cluster" and row["fault"] == "kill"):
        out.append(f"undone {row['undone']}")
    if row["late"] and row["workers"] == 1:
        out.append(f"late {row['late']} with one worker thread")
    if row["fault"].startswith("pause") and row["write_timeouts"] < p.min_write_timeouts:
        out.append(f"only {row['write_timeouts']} writes timed out (at least {p.min_write_timeouts} wanted)")
    return out


def make_backend(name, p):
    if name == "memory":
        return MemoryBackend()
    if name == "standalone":
        return StandaloneBackend()
    return ClusterBackend(p.node_timeout)


def print_table(rows):
    head = ["backend", "thr", "fault", "calls", "504", "writes 504", "503", "unexpected", "reads", "wrong key",
            "never", "lost", "undone", "late", "no answer", "fail end s", "p99 ms"]
    print("  ".join(f"{h:>10}" for h in head))
    for r in rows:
        vals = [r["backend"], r["workers"], r["fault"], r["calls"], r["timeouts"], r["write_timeouts"],
                r["unavailable"], r["unexpected"], r["reads"], r["wrong_key"], r["never_written"], r["lost"],
                r["undone"], r["late"], r["no_answer"], r["failures_end_s"], r["p99_ms"]]
        print("  ".join(f"{v!s:>10}" for v in vals))
    for r in rows:
        print(f"- {r['backend']}/{r['workers']}/{r['fault']}: {r['what']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--long", action="store_true", help="the long run (more keys, cycles and calls; 1 and 2 threads)")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--faults", help="only these faults (none,self-check,pause,kill,cut,pause-cut)")
    ap.add_argument("--workers", help="WORKER_THREADS values, e.g. 1,2")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-timeouts", type=int, help="504s a Redis backend must see in all")
    ap.add_argument("--min-write-timeouts", type=int, help="writes a pause phase must see time out")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    p = argparse.Namespace(**(LONG if args.long else SHORT))
    if args.workers:
        p.workers = args.workers
    if args.min_timeouts is not None:
        p.min_timeouts = args.min_timeouts
    if args.min_write_timeouts is not None:
        p.min_write_timeouts = args.min_write_timeouts
    binary = os.path.abspath(args.binary)
    only = set(args.faults.split(",")) if args.faults else None
    known = {f for fs in FAULTS.values() for f in fs}
    if only and not only <= known:
        ap.error(f"unknown fault(s) {', '.join(sorted(only - known))}; known: {', '.join(sorted(known))}")
    t0 = time.monotonic()
    rows, problems = [], []
    seed = args.seed
    for name in [b for b in args.backends.split(",") if b]:
        if name not in BACKENDS:
            ap.error(f"unknown backend {name!r}")
        faults = [f for f in FAULTS[name] if only is None or f in only]
        if not faults:
            continue
        backend = make_backend(name, p)
        try:
            backend.start()
            for workers in [int(w) for w in p.workers.split(",")]:
                service = Service(binary, {**SERVICE_ENV, **backend.env(), "WORKER_THREADS": str(workers)})
                timeouts = 0
                try:
                    for fault in faults:
                        row = asyncio.run(run_phase(backend, service, fault, workers, p, seed))
                        seed += 1
                        rows.append(row)
                        timeouts += row["timeouts"]
                        print(json.dumps(row), flush=True)
                        for f in failures(row, p):
                            problems.append(f"{name}/{workers}/{fault}: {f}")
                    if name != "memory" and timeouts < p.min_timeouts:
                        problems.append(f"{name}/{workers}: only {timeouts} timeouts in all "
                                        f"(at least {p.min_timeouts} wanted)")
                except Exception as e:
                    problems.append(f"{name}/{workers}: {e}")
                finally:
                    if any(pr.startswith(f"{name}/{workers}") for pr in problems):
                        print(service.read_log(), file=sys.stderr)
                    service.stop()
        except Exception as e:
            problems.append(f"{name}: {e}")
        finally:
            backend.stop()
    print_table(rows)
    print(f"total {time.monotonic() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    for pr in problems:
        print("FAIL " + pr, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
