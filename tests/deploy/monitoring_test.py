"""deploy/prometheus/ and deploy/grafana/ against the service's real /metrics.

- `promtool check rules` and `promtool test rules` (the unit tests in
  yooni-cache-rules.test.yml: each alert fires on one series and stays quiet
  on others);
- the Grafana dashboard is valid JSON with unique panel ids, and each of its
  queries is valid PromQL (promtool checks them as recording rules, with the
  dashboard variables replaced by plain values);
- every metric name in the rules and the dashboard (recorded yooni_cache:*
  names aside, which the rules define) is exposed by a running yooni-cache on
  a real 3-master Redis Cluster (free loopback ports), whose /metrics also
  passes `promtool check metrics`.
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib as d  # noqa: E402

PROMETHEUS = os.path.join(d.DEPLOY, "prometheus")
RULES = os.path.join(PROMETHEUS, "yooni-cache-rules.yml")
RULE_TESTS = os.path.join(PROMETHEUS, "yooni-cache-rules.test.yml")
DASHBOARD = os.path.join(d.DEPLOY, "grafana", "yooni-cache-dashboard.json")

# Words of PromQL that are not metric names.
KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
    "Inf", "NaN", "inf", "nan", "atan2",
}


def metric_names(expr):
    """The metric names a PromQL expression reads. Strings, label matchers,
    ranges, offsets and grouping clauses are removed first; what is left that
    is not a keyword or followed by "(" (a function or aggregation) is a name."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"'(?:[^'\\]|\\.)*'", "''", e)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\boffset\s+-?\w+", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    names = set()
    for m in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", e):
        if m.group(0) in KEYWORDS or e[m.end():].lstrip().startswith("("):
            continue
        names.add(m.group(0))
    return names


def rule_expressions():
    import yaml
    with open(RULES, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    exprs, recorded = [], set()
    for group in doc["groups"]:
        for rule in group["rules"]:
            exprs.append((rule.get("alert") or rule.get("record"), rule["expr"]))
            if "record" in rule:
                recorded.add(rule["record"])
    return exprs, recorded


def dashboard_expressions():
    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)  # a syntax error fails here
    exprs, ids = [], []

    def walk(panels):
        for p in panels:
            ids.append(p.get("id"))
            for t in p.get("targets", []):
                d.check(t.get("expr", "").strip(), "panel %r has a target without expr" % p.get("title"))
                exprs.append((p.get("title"), t["expr"]))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))
    d.check(exprs, "the dashboard has no queries")
    d.check(len(ids) == len(set(ids)) and None not in ids, "panel ids are missing or repeated: %s" % ids)
    for var in dash.get("templating", {}).get("list", []):
        q = var.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.match(r"^label_values\((\w+),\s*\w+\)$", q or "")
        if var.get("type") == "query":
            d.check(m, "template variable %s: unexpected query %r" % (var.get("name"), q))
            exprs.append(("variable " + var["name"], m.group(1)))
    return exprs


def as_plain_promql(expr):
    """Dashboard queries with Grafana's variables replaced, for promtool."""
    e = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$instance", ".*")
    d.check("$" not in e, "unknown dashboard variable in %r" % expr)
    return e


def start_cluster(procs, tmp):
    ports = d.free_cluster_ports(3)
    for port in ports:
        data = os.path.join(tmp, "node-%d" % port)
        os.mkdir(data)
        procs.start("redis-%d" % port,
                    ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                     "--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no"],
                    d.base_env(), data, os.path.join(tmp, "redis-%d.log" % port))
    for port in ports:
        d.wait_until("redis on %d" % port,
                     lambda: d.run(["redis-cli", "-p", str(port), "ping"], timeout=5).stdout.strip() == "PONG", 10)
    r = d.run(["redis-cli", "--cluster", "create"] + ["127.0.0.1:%d" % p for p in ports]
              + ["--cluster-replicas", "0", "--cluster-yes"], timeout=60)
    d.check(r.returncode == 0, "cluster create: %s %s" % (r.stdout, r.stderr))
    for port in ports:
        d.wait_until("cluster_state:ok on %d" % port,
                     lambda: "cluster_state:ok" in d.run(["redis-cli", "-p", str(port), "cluster", "info"]).stdout, 15)
    return ports


def scrape_names(text):
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0))
    return names


def main(tmp, procs):
    binary = d.arg_binary()

    r = d.run(["promtool", "check", "rules", RULES])
    d.check(r.returncode == 0, "promtool check rules:\n%s%s" % (r.stdout, r.stderr))
    r = d.run(["promtool", "test", "rules", os.path.basename(RULE_TESTS)], cwd=PROMETHEUS)
    d.check(r.returncode == 0 and "SUCCESS" in r.stdout, "promtool test rules:\n%s%s" % (r.stdout, r.stderr))

    rules, recorded = rule_expressions()
    panels = dashboard_expressions()

    # The dashboard's queries through promtool's parser, as recording rules.
    check_file = os.path.join(tmp, "dashboard-queries.yml")
    with open(check_file, "w", encoding="utf-8") as f:
        json.dump({"groups": [{"name": "dashboard", "rules": [
            {"record": "dashboard:query_%d" % i, "expr": as_plain_promql(e)}
            for i, (_, e) in enumerate(panels)]}]}, f)
    r = d.run(["promtool", "check", "rules", check_file])
    d.check(r.returncode == 0, "a dashboard query is not valid PromQL:\n%s%s" % (r.stdout, r.stderr))

    used = {}
    for where, expr in rules + panels:
        names = metric_names(expr)
        d.check(names, "no metric name found in %s: %r" % (where, expr))
        for name in names:
            used.setdefault(name, where)
    for name, where in sorted(used.items()):
        if ":" in name:
            d.check(name in recorded, "%s (%s) is recorded by no rule" % (name, where))
        else:
            d.check(name.startswith("yooni_cache_"), "%s (%s) is not a yooni-cache metric" % (name, where))

    # A live scrape of the service on a real cluster.
    ports = start_cluster(procs, tmp)
    port = d.free_port()
    env = d.base_env()
    env.update({"REDIS_CLUSTER_ENABLED": "true", "REDIS_CLUSTER_NODES": "127.0.0.1:%d" % ports[0],
                "PORT": str(port), "SECRET_KEY": d.secret(), "WORKER_THREADS": "2"})
    workdir = os.path.join(tmp, "service")
    os.mkdir(workdir)
    service = procs.start("yooni-cache", [binary, "serve"], env, workdir, os.path.join(tmp, "service.log"))
    d.wait_until("/readyz 200", lambda: service.poll() is not None or d.http_status(port, "/readyz") == 200, 30)
    d.check(service.poll() is None, "yooni-cache exited with %s" % service.returncode)
    token = d.mint_token(binary, env["SECRET_KEY"])
    d.request("PUT", port, "/api/v1/cache/monitoring:probe", b'{"probe": true}', token)
    d.request("GET", port, "/api/v1/cache/monitoring:probe", token=token)
    d.request("GET", port, "/api/v1/cache/monitoring:missing", token=token)
    # The cluster figures come with the client's topology refresh; wait for them.
    body = d.wait_until("cluster metrics", lambda: (lambda b: b if "yooni_cache_cluster_slots{" in b else None)(
        d.request("GET", port, "/metrics")[1]), 15, 0.2)
    r = d.run(["promtool", "check", "metrics"], input_text=body)
    d.check(r.returncode == 0, "promtool check metrics:\n%s%s" % (r.stdout, r.stderr))
    exposed = scrape_names(body)
    missing = sorted("%s (%s)" % (n, w) for n, w in used.items() if ":" not in n and n not in exposed)
    d.check(not missing, "used but not exposed at /metrics: %s" % missing)
    print("%d metric names used by %d rules and %d dashboard queries, all exposed"
          % (len([n for n in used if ":" not in n]), len(rules), len(panels)))
    procs.stop(service)


if __name__ == "__main__":
    sys.exit(d.run_test(main))
