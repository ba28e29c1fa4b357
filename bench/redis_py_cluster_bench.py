#!/usr/bin/python3
"""Throughput of redis-py's asyncio RedisCluster (the Python system's client),
the anchor of bench/cluster_bench.cpp: CALLERS coroutines issue GET or SET of a
SIZE-byte value on random keys of a KEYSPACE ("key:%012d", the keys
cluster_bench uses and fills), for SECONDS after a warm-up.

usage: redis_py_cluster_bench.py HOST:PORT [CALLERS=50] [SECONDS=10] [SIZE=100]
                                 [OP=get|set] [KEYSPACE=100000] [WARMUP_MS=1000]

Prints a summary and one "RESULT key=value ..." line; CPU is the process's
(user + system) over the measured window. Debian 12's python3-redis (4.3.4).
"""
import asyncio
import os
import random
import sys
import time

from redis.asyncio.cluster import RedisCluster


def usage(why):
    sys.stderr.write(f"redis_py_cluster_bench: {why}\n{__doc__}")
    sys.exit(2)


def parse(argv):
    if len(argv) < 2 or ":" not in argv[1]:
        usage("a seed HOST:PORT is needed")
    host, port = argv[1].rsplit(":", 1)
    defaults = ["50", "10", "100", "get", "100000", "1000"]
    args = argv[2:] + defaults[len(argv) - 2:]
    try:
        callers, seconds, size = int(args[0]), float(args[1]), int(args[2])
        op, keyspace, warmup_ms = args[3], int(args[4]), int(args[5])
    except ValueError:
        usage("bad number")
    if op not in ("get", "set"):
        usage("OP is get or set")
    return host, int(port), callers, seconds, size, op, keyspace, warmup_ms


def cpu():
    t = os.times()
    return t.user, t.system


async def main():
    host, port, callers, seconds, size, op, keyspace, warmup_ms = parse(sys.argv)
    value = b"x" * size
    rc = RedisCluster(host=host, port=port)
    await rc.initialize()
    counts = [0] * callers
    stats = {"errors": 0, "hits": 0, "misses": 0}
    stop = False

    async def caller(i):
        nonlocal stop
        rnd = random.Random(os.urandom(8))
        n = 0
        while not stop:
            key = "key:%012d" % rnd.randrange(keyspace)
            try:
                if op == "get":
                    got = await rc.get(key)
                    stats["hits" if got is not None else "misses"] += 1
                else:
                    await rc.set(key, value)
            except Exception as e:  # counted, and shown once
                if stats["errors"] == 0:
                    sys.stderr.write(f"redis_py_cluster_bench: {type(e).__name__}: {e}\n")
                stats["errors"] += 1
                continue
            n += 1
            counts[i] = n

    tasks = [asyncio.create_task(caller(i)) for i in range(callers)]
    await asyncio.sleep(warmup_ms / 1000)
    ops0, hits0, misses0, cpu0, t0 = sum(counts), stats["hits"], stats["misses"], cpu(), time.perf_counter()
    await asyncio.sleep(seconds)
    ops1, hits1, misses1, cpu1, t1 = sum(counts), stats["hits"], stats["misses"], cpu(), time.perf_counter()
    stop = True
    await asyncio.gather(*tasks)
    await rc.close()

    ops, wall = ops1 - ops0, t1 - t0
    user, system = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    rate = ops / wall
    per100k = (user + system) * 1e5 / ops if ops else 0.0
    print(f"redis-py {getattr(__import__('redis'), '__version__', '?')} asyncio RedisCluster {op.upper()} "
          f"{size} B, {callers} coroutines, keyspace {keyspace}")
    print(f"  {ops} ops in {wall:.2f} s: {rate:.0f} ops/s")
    print(f"  CPU {user:.2f} s user + {system:.2f} s sys; {per100k:.3f} CPU s per 100k ops")
    if op == "get":
        print(f"  hits {hits1 - hits0}, misses {misses1 - misses0}")
    print(f"  errors {stats['errors']}")
    print(f"RESULT op={op.upper()} size={size} callers={callers} ops={ops} seconds={wall:.3f} ops_s={rate:.0f} "
          f"cpu_user={user:.3f} cpu_sys={system:.3f} cpu_per_100k={per100k:.4f} hits={hits1 - hits0} "
          f"misses={misses1 - misses0} errors={stats['errors']}")
    return 1 if stats["errors"] or ops == 0 else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
