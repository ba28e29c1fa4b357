#!/usr/bin/python3
"""Chaos run: constant-rate load through the HTTP API against a local
3-master/3-replica cluster (or, with --backend sentinel, a master, its
replica and three Sentinels) while, one at a time, a fault hits it. Per fault
it prints calls made and failed, the longest window of failures, the time
from the fault to the last failure, p99/p999 latency, and the written values
counted as antirez's consistency test counts them: acknowledged and read
back, lost (acknowledged, then gone), written though not acknowledged.

Redis replicates asynchronously, in a cluster as behind Sentinel, so a
failover may lose acknowledged writes. With --wait 1 (REDIS_WAIT_REPLICAS=1)
a write is acknowledged only once a replica has it; then no acknowledged
write may be lost, and the run fails if one is. Without it the loss is
reported, not hidden.

  chaos.py --binary build/release/yooni-cache                 every fault, WAIT 0 and WAIT 1
  chaos.py --binary ... --faults kill,stall,cut --wait 1 --short   the CI variant
  chaos.py --binary ... --backend sentinel                    kill, freeze, cut behind Sentinel
  chaos.py --binary ... --backend sentinel --short --wait 1 --faults kill,cut   its CI variant
  chaos.py --binary ... --faults kill,freeze --wait 0 --stale-if-error-ms 10000   with the near cache
  chaos.py --binary ... --short --wait 1 --faults kill --hot-keys 100 --connections 8 \
           --stale-if-error-ms 10000 --expect-stale                  its CI variant

With --near-cache the service keeps values read in its near cache
(NEAR_CACHE_MAX_BYTES=64 MiB); --stale-if-error-ms N also lets it answer a
read whose node cannot answer from a copy kept after its link died, younger
than N ms (NEAR_CACHE_STALE_IF_ERROR_MS), marked by Cache-Status and Age.
Rows are then labelled kill+near, kill+sie. Reads count apart: stale (an
unmarked answer older than the acknowledged write: a wrong answer), marked
(a stale copy the service says is one) and beyond (a marked copy older than
N ms, or whose age it does not give: a wrong answer, the run fails).
"warm r fail" counts the failed reads, from the fault on, of keys read back
before it (of how many such reads).

By default reads walk every key, so a key is read again only every
keys/(rate/2) s (10 s): hardly any key read before a fault is read again
while it lasts. --hot-keys N sends the reads to N keys (writes still go to
every key), so the near cache holds what is read during a fault.
--connections N opens the client's connections before the first call: used
in turn they reach every worker of the service, whose near-cache links are
then open before the fault. Otherwise the calls stuck in the fault open new
connections, a worker that had none opens its first near-cache links, and
the service drops every stale copy whenever any near-cache link opens.

Exit 0 when the cluster (the Sentinel set) was healthy again after every
fault, the service answered without failures again, no marked stale answer
was older than --stale-if-error-ms, and (with --wait 1) nothing acknowledged
was lost."""
import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, Load, Proxy, SentinelSet, Service, percentile  # noqa: E402

FAULTS = ["kill", "freeze", "reshard", "restart", "cut", "stall"]
SENTINEL_FAULTS = ["kill", "freeze", "cut"]
NEAR_CACHE_BYTES = 64 * 1024 * 1024


def near_env(args):
    """The service's near-cache settings for --near-cache / --stale-if-error-ms."""
    if not args.near_cache:
        return {}
    return {"NEAR_CACHE_MAX_BYTES": str(NEAR_CACHE_BYTES),
            "NEAR_CACHE_STALE_IF_ERROR_MS": str(args.stale_if_error_ms)}


def near_mode(args):
    return "sie" if args.stale_if_error_ms > 0 else "near" if args.near_cache else "off"


class Run:
    backend_name = "cluster"

    def __init__(self, args, wait):
        self.args, self.wait = args, wait
        self.cluster = Cluster(node_timeout=args.node_timeout)
        self.proxies = {}
        self.service = None

    def start(self):
        self.cluster.start()
        if not self.cluster.wait_healthy(60):
            raise RuntimeError("the cluster did not become healthy")
        # Every node behind its own proxy: the service reaches the cluster only
        # through them (the address map), so its links can be cut and stalled.
        env = {"REDIS_CLUSTER_NODES": f'["127.0.0.1:{self.cluster.base}"]'}
        if not self.args.no_proxy:
            for p in self.cluster.ports:
                self.proxies[p] = Proxy(p)
            env = {"REDIS_CLUSTER_NODES": f'["127.0.0.1:{self.proxies[self.cluster.base].port}"]',
                   "REDIS_CLUSTER_ADDRESS_MAP": ",".join(f"127.0.0.1:{p}=127.0.0.1:{x.port}"
                                                         for p, x in self.proxies.items())}
        self.service = Service(self.args.binary, {
            **env,
            "REDIS_CLUSTER_ENABLED": "true",
            "REDIS_WAIT_REPLICAS": str(self.wait),
            "REDIS_WAIT_TIMEOUT_MS": "1000",
            "HTTP_REQUEST_TIMEOUT_MS": str(self.args.request_timeout_ms),
            **near_env(self.args),
        })

    def stop(self):
        if self.service:
            self.service.stop()
        for x in self.proxies.values():
            x.close()
        self.cluster.stop()

    def wait_healthy(self, timeout):
        return self.cluster.wait_healthy(timeout)

    # Each fault: inject, then return once the fault's own action is over
    # (the node is back, the reshard is done); recovery is measured on the load.
    def fault_kill(self):
        m = self.cluster.masters_now()[1]
        self.cluster.kill(m["port"])
        if not self.cluster.wait_promoted(m["id"], 60):
            raise RuntimeError(f"no replica of {m['port']} was promoted")
        self.cluster.restart(m["port"])
        return f"SIGKILL master :{m['port']}, restarted after its replica's promotion"

    def fault_freeze(self):
        m = self.cluster.masters_now()[2]
        self.cluster.kill(m["port"], sig=19)  # SIGSTOP
        if not self.cluster.wait_promoted(m["id"], 60):
            self.cluster.cont(m["port"])
            raise RuntimeError(f"no replica of frozen {m['port']} was promoted")
        time.sleep(1)
        self.cluster.cont(m["port"])
        return f"SIGSTOP master :{m['port']} past node-timeout ({self.args.node_timeout} ms), then SIGCONT"

    def fault_reshard(self):
        ms = self.cluster.masters_now()
        src, dst = ms[0], ms[1]
        r = subprocess.run(["redis-cli", "--cluster", "reshard", f"127.0.0.1:{src['port']}",
                            "--cluster-from", src["id"], "--cluster-to", dst["id"],
                            "--cluster-slots", str(self.args.reshard_slots), "--cluster-yes",
                            "--cluster-pipeline", "100"],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError("reshard failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])
        return f"{self.args.reshard_slots} slots :{src['port']} -> :{dst['port']} (redis-cli --cluster reshard)"

    def fault_restart(self):
        # The rolling restart an operator does: node by node, a master first
        # hands its slots to its replica (CLUSTER FAILOVER), then restarts.
        for p in self.cluster.ports:
            me = next((n for n in self.cluster.nodes() if n["port"] == p), None)
            if me and me["role"] == "master" and me["slots"]:
                rep = self.cluster.replica_of(me["id"])
                if rep is None:
                    raise RuntimeError(f"master :{p} has no replica to hand over to")
                self.cluster.cli(rep["port"], "cluster", "failover")
                deadline = time.time() + 30
                while time.time() < deadline:
                    now = next((n for n in self.cluster.nodes() if n["port"] == p), None)
                    if now and now["role"] == "replica":
                        break
                    time.sleep(0.1)
                else:
                    raise RuntimeError(f"the replica of :{p} did not take over")
            # SHUTDOWN writes the AOF out; the node comes back as a replica and resyncs.
            self.cluster.cli(p, "shutdown")
            time.sleep(0.2)
            self.cluster.restart(p)
            if not self.cluster.wait_healthy(60):
                raise RuntimeError(f"the cluster did not settle after restarting :{p}")
        return "every node restarted in turn, a master after handing over to its replica (CLUSTER FAILOVER)"

    def fault_cut(self):
        m = self.cluster.masters_now()[0]
        for _ in range(3):
            self.proxies[m["port"]].cut()
            time.sleep(1)
        return f"service links to master :{m['port']} reset 3 times, 1 s apart"

    def fault_stall(self):
        m = self.cluster.masters_now()[0]
        self.proxies[m["port"]].stall(self.args.stall_s)
        time.sleep(self.args.stall_s)
        return f"service links to master :{m['port']} stalled {self.args.stall_s} s (no bytes either way)"

    def phase(self, name):
        load = Load(self.service.port, self.service.token, self.args.rate, self.args.keys, f"chaos:{name}:{self.wait}",
                    stale_bound_ms=self.args.stale_if_error_ms, read_keys=self.args.hot_keys,
                    connections=self.args.connections)
        done = threading.Event()
        result = {}

        def inject():
            time.sleep(self.args.warmup_s)
            result["t_fault"] = time.monotonic()
            try:
                result["what"] = getattr(self, "fault_" + name)()
            except Exception as e:  # reported, and the run fails
                result["error"] = str(e)
            result["t_action_done"] = time.monotonic()
            if not self.wait_healthy(90):
                result["error"] = (result.get("error", "") + f" {self.backend_name} not healthy after the fault").strip()
            done.set()

        async def drive():
            stop = asyncio.Event()

            async def watch():
                # Load runs until the fault is over and no call has failed for `settle_s`.
                while True:
                    await asyncio.sleep(0.2)
                    now = time.monotonic()
                    if done.is_set():
                        fails = [c[1] for c in load.calls if not c[3]]
                        quiet_since = max(fails) if fails else result["t_fault"]
                        if now - max(quiet_since, result["t_action_done"]) >= self.args.settle_s:
                            break
                    if "t_fault" in result and now - result["t_fault"] > self.args.max_phase_s:
                        break
                stop.set()

            threading.Thread(target=inject, daemon=True).start()
            await asyncio.gather(load.run(stop_event=stop), watch())
            # Stopped by the cap while calls still failed: the service did not recover.
            fails = [c[1] for c in load.calls if not c[3]]
            if fails and time.monotonic() - max(fails) < self.args.settle_s:
                result["error"] = (result.get("error") or "") + \
                    f" calls still failing {self.args.max_phase_s:g} s after the fault (no recovery)"
                result["error"] = result["error"].strip()
            counts = await load.verify()
            load.pool.close()
            return counts

        found, lost, unacked = asyncio.run(drive())
        s = load.summary()
        t_fault = result.get("t_fault", 0)
        recovery = max(0.0, s["last_fail_done"] - t_fault) if s["last_fail_done"] else 0.0
        # Reads and writes apart (not in the table): when each kind last failed, from the fault.
        by_kind = {}
        for kind in ("r", "w"):
            f = [c[1] for c in load.calls if c[2] == kind and not c[3]]
            by_kind[kind] = (len(f), round(max(f) - t_fault, 2) if f else 0.0)
        # Reads from the fault on, of keys read back before it (warm: a near
        # cache may hold them) and of the others (cold).
        warm = [ok for due, _, ok, first in load.reads if due >= t_fault and first is not None and first < t_fault]
        cold = [ok for due, _, ok, first in load.reads if due >= t_fault and (first is None or first >= t_fault)]
        # Unmarked stale reads of keys whose last acknowledged write was lost
        # (WAIT 0): the failover's loss, not an answer from a stale copy.
        lost_keys = {k for k, _, _, _ in load.lost_detail}
        stale_on_lost = sum(1 for i, _, _, _ in load.stale_read_detail if load.key(i) in lost_keys)
        mode = near_mode(self.args)
        error = result.get("error")
        if load.stale_beyond_bound:
            error = ((error or "") + f" {load.stale_beyond_bound} answers marked stale were older than "
                     f"{self.args.stale_if_error_ms} ms or gave no age, e.g. {load.stale_detail[:3]}").strip()
        if self.args.expect_stale and not load.stale_marked:
            error = ((error or "") + " no read was answered from a stale copy (--expect-stale)").strip()
        return {"fault": name, "label": name if mode == "off" else f"{name}+{mode}", "near": mode,
                "near_cache_max_bytes": NEAR_CACHE_BYTES if self.args.near_cache else 0,
                "stale_if_error_ms": self.args.stale_if_error_ms,
                "wait": self.wait, "what": result.get("what", ""), "error": error,
                "calls": s["calls"], "failed": s["failed"], "longest_window_s": s["longest_window_s"],
                "recovery_s": round(recovery, 2), "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"],
                "p999_ms": s["p999_ms"], "max_ms": s["max_ms"], "stale_reads": load.stale_reads,
                "reads_failed": by_kind["r"][0], "last_read_fail_s": by_kind["r"][1],
                "writes_failed": by_kind["w"][0], "last_write_fail_s": by_kind["w"][1],
                "stale_reads_of_lost_keys": stale_on_lost,
                "stale_read_examples": [(load.key(i), g, f, round(d - t_fault, 2))
                                        for i, g, f, d in load.stale_read_detail[:5]],
                "keys": self.args.keys, "hot_keys": min(self.args.hot_keys or self.args.keys, self.args.keys),
                "stale_marked": load.stale_marked, "stale_beyond_bound": load.stale_beyond_bound,
                "stale_marked_behind": load.stale_marked_behind, "stale_max_age_ms": load.stale_max_age_ms,
                "stale_p50_ms": round(percentile(load.stale_latency_ms, 0.5), 1),
                "stale_max_ms": round(max(load.stale_latency_ms, default=0), 1),
                "warm_reads": len(warm), "warm_reads_failed": warm.count(False),
                "cold_reads": len(cold), "cold_reads_failed": cold.count(False),
                "acked_read_back": found, "lost": lost, "unacked_written": unacked,
                "lost_examples": [(k, a, g, round(t - t_fault, 2)) for k, a, g, t in load.lost_detail[:5]]}


class SentinelRun(Run):
    """The same phases against a master, its replica and three Sentinels
    (harness.SentinelSet). The service finds the master through the
    Sentinels, which name the nodes' own addresses (REDIS_CLUSTER_ADDRESS_MAP
    applies to the cluster only), so no proxy sits in front of the nodes:
    cut closes the service's links on the master itself (CLIENT KILL)."""
    backend_name = "Sentinel set"

    def __init__(self, args, wait):
        self.args, self.wait = args, wait
        self.sentinels = SentinelSet()
        self.proxies = {}
        self.service = None
        self.cluster = None

    def start(self):
        self.sentinels.start()
        if not self.sentinels.wait_healthy(60, sentinels_saw_link=True):
            raise RuntimeError("the Sentinels did not come to monitor the master and its replica:\n"
                               + self.sentinels.logs())
        s = self.sentinels
        self.service = Service(self.args.binary, {
            "REDIS_SENTINEL_NODES": ",".join(f"127.0.0.1:{p}" for p in s.sentinel_ports),
            "REDIS_SENTINEL_MASTER": s.master_name,
            "REDIS_SENTINEL_PASSWORD": s.sentinel_password,
            "REDIS_PASSWORD": s.password,
            "REDIS_WAIT_REPLICAS": str(self.wait),
            "REDIS_WAIT_TIMEOUT_MS": "1000",
            "HTTP_REQUEST_TIMEOUT_MS": str(self.args.request_timeout_ms),
            **near_env(self.args),
        })

    def stop(self):
        if self.service:
            self.service.stop()
        self.sentinels.stop()

    def wait_healthy(self, timeout):
        return self.sentinels.wait_healthy(timeout)

    def _master(self):
        m = self.sentinels.master_now()
        if m is None:
            raise RuntimeError("the Sentinels agree on no master")
        return m

    def fault_kill(self):
        s = self.sentinels
        m = self._master()
        s.kill(m)
        if not s.wait_promoted(m, 60):
            raise RuntimeError(f"the Sentinels did not promote :{s.other(m)} after :{m} was killed")
        s.restart(m)
        return (f"SIGKILL master :{m}, restarted once the Sentinels promoted :{s.other(m)}; "
                f"they turn it into its replica")

    def fault_freeze(self):
        s = self.sentinels
        m = self._master()
        s.kill(m, sig=19)  # SIGSTOP
        try:
            if not s.wait_promoted(m, 60):
                raise RuntimeError(f"the Sentinels did not promote :{s.other(m)} while :{m} was frozen")
        finally:
            s.cont(m)
        return (f"SIGSTOP master :{m} until the Sentinels promoted :{s.other(m)} "
                f"(down-after-milliseconds {s.down_after_ms}), then SIGCONT")

    def fault_cut(self):
        m = self._master()
        closed = []
        for _ in range(3):
            closed.append(self.sentinels.kill_clients(m, "yooni-cache"))
            time.sleep(1)
        if not all(closed):
            raise RuntimeError(f"a cut found no link of the service on :{m} ({closed})")
        return (f"service links to master :{m} closed 3 times, 1 s apart ({'/'.join(map(str, closed))} links): "
                f"CLIENT KILL ID of every client named yooni-cache, no proxy (Sentinel names the nodes' own "
                f"addresses); the Sentinels' and the replica's links stay")


# (heading, row field); "stale" counts unmarked answers older than the
# acknowledged write, "marked" answers marked as stale copies, "beyond" those
# older than the bound; "warm r fail" failed reads, from the fault on, of keys
# read back before it (of how many).
COLUMNS = [("fault", "label"), ("WAIT", "wait"), ("calls", "calls"), ("failed", "failed"),
           ("r failed", "reads_failed"), ("last r fail s", "last_read_fail_s"),
           ("warm r fail", lambda r: f"{r['warm_reads_failed']}/{r['warm_reads']}"),
           ("window s", "longest_window_s"), ("recovery s", "recovery_s"), ("p99 ms", "p99_ms"),
           ("p999 ms", "p999_ms"), ("stale", "stale_reads"), ("marked", "stale_marked"),
           ("beyond", "stale_beyond_bound"), ("acked+read", "acked_read_back"), ("lost", "lost"),
           ("unacked", "unacked_written")]


def print_table(rows):
    cells = [[str(f(r) if callable(f) else r[f]) for _, f in COLUMNS] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, (h, _) in enumerate(COLUMNS)]
    print("  ".join(f"{h:>{w}}" for (h, _), w in zip(COLUMNS, widths)))
    for c in cells:
        print("  ".join(f"{v:>{w}}" for v, w in zip(c, widths)))
    for r in rows:
        hot = f", reads on {r['hot_keys']} keys" if r["hot_keys"] < r["keys"] else ""
        print(f"- {r['label']} (WAIT {r['wait']}{hot}): {r['what']}" + (f"  ERROR: {r['error']}" if r["error"] else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--backend", choices=["cluster", "sentinel"], default="cluster",
                    help="a 3+3 Redis Cluster, or a master, its replica and three Sentinels")
    ap.add_argument("--faults", help="comma list; default: every fault of the backend (cluster: "
                    + ",".join(FAULTS) + "; sentinel: " + ",".join(SENTINEL_FAULTS) + ")")
    ap.add_argument("--wait", default="0,1", help="REDIS_WAIT_REPLICAS values to run, e.g. 1 or 0,1")
    ap.add_argument("--rate", type=float, default=400, help="calls per second (constant)")
    ap.add_argument("--keys", type=int, default=2000)
    ap.add_argument("--node-timeout", type=int, default=3000)
    ap.add_argument("--request-timeout-ms", type=int, default=2000)
    ap.add_argument("--reshard-slots", type=int, default=2000)
    ap.add_argument("--stall-s", type=float, default=4)
    ap.add_argument("--warmup-s", type=float, default=3)
    ap.add_argument("--settle-s", type=float, default=4)
    ap.add_argument("--max-phase-s", type=float, default=120)
    ap.add_argument("--no-proxy", action="store_true", help="the service talks to the nodes directly (no cut/stall)")
    ap.add_argument("--short", action="store_true", help="the CI variant: lower rate, shorter phases")
    ap.add_argument("--hot-keys", type=int, default=0, metavar="N",
                    help="reads go to N of the keys only, each read again every N/(rate/2) s (writes still go "
                    "to every key); default: every key")
    ap.add_argument("--connections", type=int, default=0, metavar="N",
                    help="open N keep-alive connections before each phase's first call and use them in turn "
                    "(calls then reach every worker of the service); default: opened as calls need them")
    ap.add_argument("--near-cache", action="store_true",
                    help=f"the service keeps values read in its near cache (NEAR_CACHE_MAX_BYTES={NEAR_CACHE_BYTES})")
    ap.add_argument("--stale-if-error-ms", type=int, default=0, metavar="N",
                    help="NEAR_CACHE_STALE_IF_ERROR_MS=N: a read whose node cannot answer may get a copy kept "
                    "after its link died, younger than N ms (implies --near-cache)")
    ap.add_argument("--expect-stale", action="store_true",
                    help="a phase in which no read was answered from a stale copy fails (with --stale-if-error-ms "
                    "and --hot-keys: proves the stale answers were there to check)")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    if args.stale_if_error_ms < 0:
        ap.error("--stale-if-error-ms must be 0 or more")
    if args.stale_if_error_ms > 0:
        args.near_cache = True
    if args.expect_stale and args.stale_if_error_ms <= 0:
        ap.error("--expect-stale needs --stale-if-error-ms")
    args.binary = os.path.abspath(args.binary)
    if args.short:
        args.rate, args.keys, args.warmup_s, args.settle_s, args.stall_s = 150, 500, 2, 2, 3
        args.node_timeout, args.reshard_slots = 2000, 500
    known = SENTINEL_FAULTS if args.backend == "sentinel" else FAULTS
    faults = [f for f in (args.faults or ",".join(known)).split(",") if f]
    for f in faults:
        if f not in known:
            ap.error(f"unknown fault {f!r} for --backend {args.backend}; known: {', '.join(known)}")

    rows = []
    failed = False
    for wait in [int(w) for w in args.wait.split(",")]:
        run = SentinelRun(args, wait) if args.backend == "sentinel" else Run(args, wait)
        try:
            run.start()
            for f in faults:
                row = run.phase(f)
                rows.append(row)
                print(json.dumps(row), flush=True)
                if row["error"] or (wait >= 1 and row["lost"] > 0):
                    failed = True
                if row["stale_reads"] and (wait >= 1 or args.near_cache):
                    print(f"note: {row['stale_reads']} reads during {row['label']} saw an older value than "
                          f"acknowledged, unmarked ({row['stale_reads_of_lost_keys']} of keys whose acknowledged "
                          f"write was lost)", flush=True)
                if row["stale_marked_behind"]:
                    print(f"note: {row['stale_marked_behind']} answers during {row['label']} marked stale were "
                          f"older than a write acknowledged before the read", flush=True)
        except Exception as e:
            print(f"chaos: {e}", file=sys.stderr)
            if run.service:
                print(run.service.read_log(), file=sys.stderr)
            if isinstance(run, SentinelRun):
                print(run.sentinels.logs(), file=sys.stderr)
            failed = True
        finally:
            run.stop()
    print_table(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
