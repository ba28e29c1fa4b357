"""deploy/docker-compose.redis-cluster.yml without a Docker engine.
(--compose PATH runs the same checks on another copy of the file, e.g. one
with other ports to try a change while 7000-7005 are taken.)

The compose file is parsed (and interpolated as compose would, with the
variables of a deploy/.env), every Redis node is started with its exact
`command:` on 127.0.0.1, the nodes' health checks are run until they pass, the
init service's script is run twice (creates the cluster, then finds it and
leaves it alone), `redis-cli --cluster check` must report 3 masters, 3
replicas and 16384 slots, a host client must reach every node at the address
the cluster announces, and the real yooni-cache starts with the service's
environment from the compose file and serves /readyz, a PUT and GET through
/api, its Docker HEALTHCHECK command and `yooni-cache cluster info`.

Substitutions, each because the value only means something inside a
container (nothing else is changed):
- `--bind 0.0.0.0` -> `--bind 127.0.0.1`: in a container "every interface"
  is the container's own; on this machine the nodes must stay on loopback.
- compose service names (redis-node-1 ...) -> 127.0.0.1 in the init's node
  list and the service's REDIS_CLUSTER_NODES and REDIS_CLUSTER_ADDRESS_MAP:
  those names are resolved by Docker's DNS, and every node runs on loopback here.
- the service's HOST 0.0.0.0 -> 127.0.0.1 (as for --bind), and its PORT 8000
  -> a free port: the service port is announced to nobody, so moving it
  changes nothing under test, and 8000 is the default of `scripts/run.sh`.
The node ports 7000-7005 are kept: they are what the cluster announces
(cluster-announce-hostname 127.0.0.1 with those ports), so the test holds
RESOURCE_LOCK redis_ports_7000 and checks they are free first.
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib as d  # noqa: E402

COMPOSE = os.path.join(d.DEPLOY, "docker-compose.redis-cluster.yml")


def node_services(compose):
    return {name: svc for name, svc in compose["services"].items()
            if isinstance(svc.get("command"), list) and svc["command"][:1] == ["redis-server"]}


def option(argv, name):
    check_index = [i for i, a in enumerate(argv) if a == name]
    d.check(len(check_index) == 1, "%s given %d times in %s" % (name, len(check_index), argv))
    return argv[check_index[0] + 1]


def to_loopback(text, service_names):
    for name in service_names:
        text = re.sub(r"(?<![\w.-])%s(?=:\d)" % re.escape(name), "127.0.0.1", text)
    return text


def check_shape(compose, raw_variables, compose_path):
    """What the seed got wrong, checked on the file itself."""
    services = compose["services"]
    nodes = node_services(compose)
    d.check(len(nodes) == 6, "expected 6 redis-server nodes, found %s" % sorted(nodes))
    for name, svc in nodes.items():
        argv = svc["command"]
        d.check(option(argv, "--cluster-enabled") == "yes", name + ": cluster mode off")
        password = option(argv, "--requirepass")
        d.check(password and option(argv, "--masterauth") == password,
                name + ": masterauth must equal requirepass, or replicas cannot sync")
        d.check(option(argv, "--cluster-preferred-endpoint-type") == "hostname"
                and option(argv, "--cluster-announce-hostname") == "127.0.0.1",
                name + ": clients must be told an endpoint the host reaches")
        port = option(argv, "--port")
        d.check(svc.get("ports") == ["127.0.0.1:%s:%s" % (port, port)],
                name + ": publish the client port on the host's loopback, same number: %s" % svc.get("ports"))
        d.check("healthcheck" in svc, name + ": no health check")
        d.check("container_name" not in svc, name + ": container_name breaks `compose -p`")
    init = services.get("redis-cluster-init")
    d.check(init is not None, "no redis-cluster-init service")
    d.check(init.get("restart") == "no", "the init is one-shot: restart must be \"no\"")
    deps = init.get("depends_on") or {}
    d.check(set(deps) == set(nodes) and all(v.get("condition") == "service_healthy" for v in deps.values()),
            "the init must wait for every node to be healthy: %s" % deps)
    app = services.get("yooni-cache")
    d.check(app is not None, "no yooni-cache service")
    d.check((app.get("depends_on") or {}).get("redis-cluster-init", {}).get("condition")
            == "service_completed_successfully", "the service must wait for the init to complete")
    d.check(app.get("build", {}).get("dockerfile") == "deploy/Dockerfile", "the service builds deploy/Dockerfile")
    # Without the password compose refuses to start (no default secret in the file).
    try:
        d.load_compose(compose_path, {k: v for k, v in raw_variables.items() if k != "REDIS_CLUSTER_PASSWORD"})
        raise d.TestFailure("the compose file starts without REDIS_CLUSTER_PASSWORD")
    except d.InterpolationError:
        pass


def main(tmp, procs):
    binary, compose_path = d.arg_binary(extra=("--compose",))
    compose_path = compose_path or COMPOSE
    variables = {"SECRET_KEY": d.secret(), "REDIS_CLUSTER_PASSWORD": d.secret(24)}
    compose = d.load_compose(compose_path, variables)
    check_shape(compose, variables, compose_path)
    service_names = list(compose["services"])
    nodes = node_services(compose)

    ports = sorted(int(option(svc["command"], "--port")) for svc in nodes.values())
    taken = [p for p in ports + [p + 10000 for p in ports] if not d.port_free(p)]
    d.check(not taken, "ports %s on 127.0.0.1 are in use (the compose file fixes 7000-7005 and their cluster "
                       "bus ports); stop what holds them, e.g. `scripts/redis-cluster stop`" % taken)

    # Nodes: the exact command line, in a directory of their own (the image's /data).
    for name, svc in sorted(nodes.items()):
        argv = list(svc["command"])
        bind = argv.index("--bind")
        d.check(argv[bind + 1] == "0.0.0.0", name + ": expected --bind 0.0.0.0 in the container")
        argv[bind + 1] = "127.0.0.1"
        data = os.path.join(tmp, name)
        os.mkdir(data)
        env = d.base_env()
        env.update(d.environment_of(svc))
        procs.start(name, argv, env, data, os.path.join(tmp, name + ".log"))

    # Their health checks, as Docker runs them (CMD-SHELL: /bin/sh -c).
    for name, svc in sorted(nodes.items()):
        test = svc["healthcheck"]["test"]
        d.check(test[0] == "CMD-SHELL", name + ": expected a CMD-SHELL health check")
        env = d.base_env()
        env.update(d.environment_of(svc))
        d.wait_until(name + " healthy", lambda: d.run(["sh", "-c", test[1]], env=env, timeout=5).returncode == 0, 15)

    # The init, twice: it creates the cluster, then must find it and do nothing.
    init = compose["services"]["redis-cluster-init"]
    init_env = d.base_env()
    init_env.update({k: to_loopback(v, service_names) for k, v in d.environment_of(init).items()})
    first = d.run(init["command"], env=init_env, timeout=120)
    d.check(first.returncode == 0, "init failed (%d):\n%s\n%s" % (first.returncode, first.stdout, first.stderr))
    d.check("cluster_state:ok on all 6 nodes" in first.stdout, "init did not confirm the state:\n" + first.stdout)
    d.check("[OK] All 16384 slots covered" in first.stdout, "init did not create the cluster:\n" + first.stdout)
    second = d.run(init["command"], env=init_env, timeout=120)
    d.check(second.returncode == 0, "init failed the 2nd time (%d):\n%s\n%s" % (second.returncode, second.stdout,
                                                                                 second.stderr))
    d.check("exists already" in second.stdout and "--cluster create" not in second.stdout
            and "Performing hash slots allocation" not in second.stdout,
            "the 2nd init did not leave the cluster alone:\n" + second.stdout)

    cli_env = d.base_env()
    cli_env["REDISCLI_AUTH"] = variables["REDIS_CLUSTER_PASSWORD"]
    check = d.run(["redis-cli", "--cluster", "check", "127.0.0.1:%d" % ports[0]], env=cli_env)
    out = check.stdout
    d.check(check.returncode == 0 and "[OK] All 16384 slots covered." in out and "[OK] All nodes agree" in out,
            "redis-cli --cluster check:\n%s%s" % (out, check.stderr))
    masters = re.findall(r"^M: ", out, re.M)
    replicas = re.findall(r"^S: ", out, re.M)
    d.check(len(masters) == 3 and len(replicas) == 3, "expected 3 masters + 3 replicas:\n" + out)
    d.check(len(re.findall(r"^\s+1 additional replica\(s\)$", out, re.M)) == 3, "every master needs one replica:\n" + out)

    # A host client follows the cluster's own redirections: the announced endpoints work from outside.
    # CLUSTER SLOTS names the announced hostname as each endpoint (with the
    # node's own IP only as metadata): what every cluster client connects to.
    # A replica shows there once it has synced with its master (the default
    # 5 s diskless sync delay, as in the containers): poll.
    endpoints = []

    def all_six_listed():
        r = d.run(["redis-cli", "-p", str(ports[0]), "--json", "cluster", "slots"], env=cli_env)
        d.check(r.returncode == 0, "CLUSTER SLOTS: %s %s" % (r.stdout, r.stderr))
        endpoints[:] = [(node[0], node[1], node[3] if len(node) > 3 else {})
                        for entry in json.loads(r.stdout) for node in entry[2:]]
        return len(endpoints) == 6
    try:
        d.wait_until("6 endpoints in CLUSTER SLOTS", all_six_listed, 20, 0.2)
    except d.TestFailure:
        pass  # the check below says what was listed
    d.check(len(endpoints) == 6 and all(host == "127.0.0.1" and "ip" in meta for host, _, meta in endpoints)
            and sorted(port for _, port, _ in endpoints) == ports,
            "CLUSTER SLOTS endpoints: %s" % endpoints)
    for i in range(12):
        key = "deploy:host:%d" % i
        s = d.run(["redis-cli", "-c", "-p", str(ports[0]), "set", key, str(i)], env=cli_env)
        g = d.run(["redis-cli", "-c", "-p", str(ports[i % len(ports)]), "get", key], env=cli_env)
        d.check(s.stdout.strip() == "OK" and g.stdout.strip() == str(i),
                "host client on %s: set %r get %r %s" % (key, s.stdout, g.stdout, g.stderr))

    # The service with the compose file's environment.
    app = compose["services"]["yooni-cache"]
    app_env = d.environment_of(app)
    d.check(app_env.get("HOST") == "0.0.0.0" and app_env.get("PORT") == "8000", "service HOST/PORT: %s" % app_env)
    port = d.free_port()
    env = d.base_env()
    env.update({k: to_loopback(v, service_names) for k, v in app_env.items()})
    env["HOST"] = "127.0.0.1"
    env["PORT"] = str(port)
    workdir = os.path.join(tmp, "service")
    os.mkdir(workdir)
    service = procs.start("yooni-cache", [binary, "serve"], env, workdir, os.path.join(tmp, "service.log"))
    d.wait_until("/readyz 200", lambda: service.poll() is None and d.http_status(port, "/readyz") == 200
                 or service.poll() is not None, 30)
    d.check(service.poll() is None, "yooni-cache exited with %s" % service.returncode)

    # The Dockerfile's HEALTHCHECK command, with the same settings.
    health = d.run([binary, "healthcheck"], env=env, cwd=workdir)
    d.check(health.returncode == 0, "yooni-cache healthcheck: %d %s %s" % (health.returncode, health.stdout,
                                                                          health.stderr))

    token = d.mint_token(binary, variables["SECRET_KEY"])
    documents = {"deploy:%d" % i: {"id": i, "name_ko": "무선 가습기 %d" % i, "tags": ["x" * 40] * (i * 10)}
                 for i in range(8)}  # some above the 1024-byte compression threshold, spread over the slots
    for key, doc in documents.items():
        status, body = d.request("PUT", port, "/api/v1/cache/%s?ttl=600" % key,
                                 json.dumps(doc, ensure_ascii=False).encode(), token)
        d.check(status == 200 and json.loads(body).get("stored") is True, "PUT %s: %d %s" % (key, status, body))
    for key, doc in documents.items():
        status, body = d.request("GET", port, "/api/v1/cache/%s" % key, token=token)
        d.check(status == 200 and json.loads(body) == doc, "GET %s: %d %s" % (key, status, body))

    info = d.run([binary, "cluster", "info", "--json"], env=env, cwd=workdir)
    d.check(info.returncode == 0, "cluster info: %d %s %s" % (info.returncode, info.stdout, info.stderr))
    doc = json.loads(info.stdout)
    d.check(doc.get("cluster_state") == "ok" and doc.get("cluster_slots_ok") == 16384
            and doc.get("cluster_known_nodes") == 6 and doc.get("cluster_size") == 3,
            "cluster info: %s" % info.stdout[:600])

    status, metrics = d.request("GET", port, "/metrics")
    d.check(status == 200 and "\nyooni_cache_cluster_state_ok 1\n" in metrics,
            "/metrics does not report the cluster ok:\n" + metrics[:2000])

    procs.stop(service)  # SIGTERM: the drain must end well before the compose stop_grace_period
    d.check(service.returncode == 0, "yooni-cache exit code after SIGTERM: %s" % service.returncode)


if __name__ == "__main__":
    sys.exit(d.run_test(main))
