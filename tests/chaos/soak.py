#!/usr/bin/python3
"""Soak: mixed load at a constant rate for a while (10 minutes by default) on
the memory backend and on a local 3-master/3-replica cluster. Every 10 s it
samples the service's RSS and open file descriptors and, on the cluster, each
node's connected_clients. It reports the RSS slope after warm-up as a share
of the mean RSS over the run (pass: under 5%), whether descriptors and
connections stayed flat, and latency p50/p99/p999 from the moment each call
was due.

  soak.py --binary build/release/yooni-cache                 10 min each backend
  soak.py --binary ... --minutes 1 --backends memory         a quick look
"""
import argparse
import asyncio
import collections
import json
import os
import random
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, HttpPool, Service, percentile  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def slope_share(samples):
    """Least-squares slope of (t, rss) times the run's length, over the mean: the
    growth the trend would add over the run, as a share of the RSS."""
    n = len(samples)
    if n < 3:
        return 0.0
    ts = [t for t, _ in samples]
    vs = [v for _, v in samples]
    mt, mv = sum(ts) / n, sum(vs) / n
    var = sum((t - mt) ** 2 for t in ts)
    if var == 0 or mv == 0:
        return 0.0
    slope = sum((t - mt) * (v - mv) for t, v in zip(ts, vs)) / var
    return slope * (ts[-1] - ts[0]) / mv


class Mixed:
    """60% reads, 25% writes (a third of them over the compression threshold),
    8% batch gets of 20 keys, 5% deletes, 2% batch sets of 10, over a bounded keyspace."""

    def __init__(self, port, token, rate, keys):
        self.pool = HttpPool(port, token, max_connections=32)
        self.failures = collections.Counter()  # status or exception name -> count
        self.rate, self.keys = rate, keys
        self.lat = []
        self.failed = 0
        self.calls = 0
        self.rng = random.Random(7)
        self.big = json.dumps({"name_ko": "무선 가습기", "tags": [f"tag-{i}" for i in range(200)]})

    def key(self):
        return f"soak:{self.rng.randrange(self.keys)}"

    async def one(self, due):
        r = self.rng.random()
        try:
            if r < 0.60:
                status, _ = await self.pool.request("GET", f"/api/v1/cache/{self.key()}")
                ok = status in (200, 404)
            elif r < 0.85:
                body = self.big if self.rng.random() < 0.33 else json.dumps({"id": self.rng.randrange(10**6)})
                status, _ = await self.pool.request("PUT", f"/api/v1/cache/{self.key()}?ttl=3600", body)
                ok = status == 200
            elif r < 0.93:
                keys = [self.key() for _ in range(20)]
                status, _ = await self.pool.request("POST", "/api/v1/batch/get", json.dumps({"keys": keys}))
                ok = status == 200
            elif r < 0.98:
                status, _ = await self.pool.request("DELETE", f"/api/v1/cache/{self.key()}")
                ok = status == 200
            else:
                items = [{"key": self.key(), "value": {"n": i}} for i in range(10)]
                status, _ = await self.pool.request("POST", "/api/v1/batch/set", json.dumps({"items": items}))
                ok = status == 200
            if not ok:
                self.failures[str(status)] += 1
        except Exception as e:
            ok = False
            self.failures[type(e).__name__] += 1
        self.calls += 1
        self.failed += 0 if ok else 1
        self.lat.append((time.monotonic() - due) * 1000)

    async def prefill(self):
        """Every key written once, a third of them large, so that memory
        measures the service, not a keyspace still filling up."""
        for lo in range(0, self.keys, 100):
            items = [{"key": f"soak:{i}", "value": json.loads(self.big) if i % 3 == 0 else {"id": i}, "ttl": 3600}
                     for i in range(lo, min(self.keys, lo + 100))]
            status, _ = await self.pool.request("POST", "/api/v1/batch/set", json.dumps({"items": items}), 30)
            if status != 200:
                raise RuntimeError(f"prefill answered {status}")

    async def open_connections(self, n=32):
        """All the client's connections opened at once, before anything is
        measured: the service's descriptors and per-connection memory then stay
        what they are, and any growth is the service's own."""
        await asyncio.gather(*(self.pool.request("GET", "/livez") for _ in range(n)))

    async def run(self, seconds, sample, every=10.0):
        await self.open_connections()
        await self.prefill()
        start = time.monotonic()
        tasks = set()
        n = 0
        next_sample = start
        while True:
            due = start + n / self.rate
            if due - start >= seconds:
                break
            if due >= next_sample:
                sample(due - start)
                next_sample += every
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            n += 1
            t = asyncio.create_task(self.one(due))
            tasks.add(t)
            t.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks, return_exceptions=True)
        sample(time.monotonic() - start)
        self.pool.close()


def soak(args, backend):
    cluster = None
    env = {}
    if backend == "cluster":
        cluster = Cluster(node_timeout=5000)
        cluster.start()
        env = {"REDIS_CLUSTER_ENABLED": "true", "REDIS_CLUSTER_NODES": f'["127.0.0.1:{cluster.base}"]'}
    service = Service(args.binary, env)
    try:
        samples = []

        def sample(t):
            row = {"t": round(t, 1), "rss_kib": rss_kib(service.pid()), "fds": fd_count(service.pid())}
            if not cluster:
                # What the store itself holds, to tell data from allocator growth.
                req = urllib.request.Request(f"http://127.0.0.1:{service.port}/api/v1/monitoring/health/detailed",
                                             headers={"Authorization": f"Bearer {service.token}"})
                with urllib.request.urlopen(req, timeout=5) as r:
                    details = json.load(r)["cache"]["details"]
                row["entries"], row["store_kib"] = details["entries"], details["bytes"] // 1024
            if cluster:
                row["connected_clients"] = [
                    int(next((ln.split(":")[1] for ln in cluster.cli(p, "info", "clients").splitlines()
                              if ln.startswith("connected_clients:")), "0")) for p in cluster.ports]
            samples.append(row)
            if args.verbose:
                print(json.dumps(row), flush=True)

        load = Mixed(service.port, service.token, args.rate, args.keys)
        asyncio.run(load.run(args.minutes * 60, sample))
        warm = [s for s in samples if s["t"] >= args.warmup_s]
        share = slope_share([(s["t"], s["rss_kib"]) for s in warm])
        fds = [s["fds"] for s in warm]
        clients = [sum(s.get("connected_clients", [0])) for s in warm]
        return {
            "backend": backend, "minutes": args.minutes, "rate": args.rate, "calls": load.calls,
            "failed": load.failed,
            "rss_mib_first": round(warm[0]["rss_kib"] / 1024, 1), "rss_mib_last": round(warm[-1]["rss_kib"] / 1024, 1),
            "rss_mib_max": round(max(s["rss_kib"] for s in warm) / 1024, 1),
            "rss_slope_share": round(share, 4), "fds_min": min(fds), "fds_max": max(fds),
            "clients_min": min(clients), "clients_max": max(clients),
            "p50_ms": round(percentile(load.lat, 0.5), 2), "p99_ms": round(percentile(load.lat, 0.99), 2),
            "p999_ms": round(percentile(load.lat, 0.999), 2), "samples": len(samples),
            "failures": dict(load.failures),
            # Kept-alive connections the service had closed (idle timeout), sent again.
            "client_stale_retries": load.pool.stale_retries,
        }
    finally:
        service.stop()
        if cluster:
            cluster.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--backends", default="memory,cluster")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--keys", type=int, default=20000)
    ap.add_argument("--warmup-s", type=float, default=60)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.warmup_s = min(args.warmup_s, args.minutes * 60 / 3)
    rows = [soak(args, b) for b in args.backends.split(",") if b]
    ok = True
    for r in rows:
        print(json.dumps(r), flush=True)
        flat = r["fds_max"] - r["fds_min"] <= 2 and r["clients_max"] - r["clients_min"] <= 2
        if abs(r["rss_slope_share"]) >= 0.05 or not flat or r["failed"]:
            ok = False
    print(f"{'backend':>8} {'calls':>8} {'failed':>6} {'RSS MiB first/last/max':>24} {'slope':>7} "
          f"{'fds':>7} {'clients':>8} {'p50 ms':>7} {'p99 ms':>7} {'p999 ms':>8}")
    for r in rows:
        print(f"{r['backend']:>8} {r['calls']:>8} {r['failed']:>6} "
              f"{r['rss_mib_first']:>8}/{r['rss_mib_last']}/{r['rss_mib_max']:<8} {r['rss_slope_share'] * 100:>6.2f}% "
              f"{r['fds_min']:>3}-{r['fds_max']:<3} {r['clients_min']:>3}-{r['clients_max']:<4} "
              f"{r['p50_ms']:>7} {r['p99_ms']:>7} {r['p999_ms']:>8}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
