"""deploy/.env.example, deploy/Dockerfile and deploy/yooni-cache.service.

- .env.example names every setting the service knows: the list is the one
  `yooni-cache config check --json` prints (the binary's own list, so a new
  setting fails this test until it is added), and nothing else except the
  compose file's own variables. Read by the service as its .env, every line
  in it gives the default and is accepted; the lines left commented out are
  exactly those whose mere presence would change something.
- The Dockerfile: a Debian bookworm build stage running the repo's CMake
  preset, a bookworm-slim runtime with a non-root USER, HEALTHCHECK with
  `yooni-cache healthcheck`, and every shared library the binary links
  installed in the runtime stage.
- The systemd unit: `systemd-analyze verify` passes without a warning, on a
  copy whose ExecStart names the built binary (verify checks that the program
  exists; /usr/local/bin/yooni-cache is where an install puts it, not here),
  and its stop timeout exceeds SHUTDOWN_GRACE_MS.
"""

import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib as d  # noqa: E402

ENV_EXAMPLE = os.path.join(d.DEPLOY, ".env.example")
DOCKERFILE = os.path.join(d.DEPLOY, "Dockerfile")
UNIT = os.path.join(d.DEPLOY, "yooni-cache.service")
COMPOSE = os.path.join(d.DEPLOY, "docker-compose.redis-cluster.yml")


def env_example(binary, tmp):
    r, defaults = d.config_check_json(binary)
    d.check(r.returncode == 0 and defaults, "config check --json: %s %s" % (r.stdout[:300], r.stderr))
    settings = defaults["settings"]

    active, commented, previous = {}, {}, ""
    with open(ENV_EXAMPLE, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = re.match(r"^(#?)([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
            if m:
                target = commented if m.group(1) else active
                name = m.group(2)
                d.check(name not in active and name not in commented, ".env.example:%d: %s twice" % (number, name))
                d.check(previous.startswith("# "), ".env.example:%d: %s has no comment above it" % (number, name))
                target[name] = m.group(3)
            previous = line
    compose_only = d.compose_variables(COMPOSE) - set(settings)
    named = set(active) | set(commented)
    missing = sorted(set(settings) - named)
    extra = sorted(named - set(settings) - compose_only)
    d.check(not missing, ".env.example lacks settings: %s" % missing)
    d.check(not extra, ".env.example names what is no setting: %s" % extra)
    for name in sorted(set(settings) & named):
        value = active.get(name, commented.get(name))
        d.check(value == settings[name]["value"], ".env.example: %s=%s, the default is %r"
                % (name, value, settings[name]["value"]))

    # As the service's .env: accepted, every active line read from it, the
    # effective values the defaults, and no warning about unknown names.
    r, loaded = d.config_check_json(binary, dotenv=ENV_EXAMPLE)
    d.check(r.returncode == 0 and loaded, "config check refuses .env.example: %s %s" % (r.stdout[:300], r.stderr))
    for name, entry in loaded["settings"].items():
        want = ".env" if name in active else "default"
        d.check(entry["source"] == want, "%s: source %s, expected %s" % (name, entry["source"], want))
        d.check(entry["value"] == settings[name]["value"], "%s: %r with .env.example, default %r"
                % (name, entry["value"], settings[name]["value"]))
    text = r.stdout + r.stderr
    d.check("unknown" not in text.lower(), "config check warns about .env.example: %s" % text[-500:])

    # Equal values are not enough: REDIS_HOST=localhost, say, would turn
    # Redis on. With .env.example the backend must still be the memory store,
    # which the Redis commands refuse with exit 2 (and no connection attempt).
    workdir = os.path.join(tmp, "dotenv")
    os.mkdir(workdir)
    shutil.copyfile(ENV_EXAMPLE, os.path.join(workdir, ".env"))
    r = d.run([binary, "stats", "--timeout", "300"], env=d.base_env(), cwd=workdir)
    d.check(r.returncode == 2 and "memory store" in r.stderr,
            "with .env.example the service no longer runs on its memory backend: %d %s" % (r.returncode, r.stderr))
    return settings


def dockerfile(binary):
    with open(DOCKERFILE, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())  # join continuation lines
    stages, current = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            current = {"from": rest.strip(), "lines": []}
            stages.append(current)
        elif current is not None:
            current["lines"].append((word, rest.strip()))
    d.check(len(stages) >= 2, "Dockerfile: expected a build and a runtime stage")
    build, runtime = stages[0], stages[-1]
    d.check(re.match(r"^debian:bookworm(\s+AS\s+\w+)?$", build["from"], re.I),
            "build stage: %s, expected debian:bookworm" % build["from"])
    d.check(any(w == "RUN" and "cmake --preset" in r for w, r in build["lines"]),
            "build stage does not run the repo's CMake preset")
    d.check(runtime["from"] == "debian:bookworm-slim", "runtime stage: %s" % runtime["from"])
    users = [r for w, r in runtime["lines"] if w == "USER"]
    d.check(users and users[-1].split(":")[0] not in ("root", "0"), "runtime USER: %s" % users)
    checks = [r for w, r in runtime["lines"] if w == "HEALTHCHECK"]
    d.check(len(checks) == 1 and re.search(r'CMD \["yooni-cache", "healthcheck"', checks[0]),
            "runtime HEALTHCHECK: %s" % checks)
    d.check(any(w == "COPY" and r.startswith("--from=") for w, r in runtime["lines"]),
            "runtime stage does not copy the binary from the build stage")

    # Every library the binary links comes from a package the runtime installs
    # (libc, libgcc and libstdc++ are part of bookworm-slim itself).
    installed = " ".join(r for w, r in runtime["lines"] if w == "RUN")
    r = d.run(["ldd", binary])
    d.check(r.returncode == 0, "ldd: " + r.stderr)
    for path in re.findall(r"=> (/\S+)", r.stdout):
        owner = None
        for candidate in (path, path.replace("/lib/", "/usr/lib/", 1)):
            q = d.run(["dpkg-query", "-S", candidate])
            if q.returncode == 0:
                owner = q.stdout.split(":")[0]
                break
        d.check(owner, "no Debian package owns %s" % path)
        if owner in ("libc6", "libgcc-s1", "libstdc++6"):
            continue
        d.check(re.search(r"(?<![\w.-])%s(?![\w.-])" % re.escape(owner), installed),
                "the runtime stage does not install %s (for %s)" % (owner, path))


def seconds(text):
    """A systemd time span (\"20s\", \"1min 30s\", \"20\") in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "ms": 0.001}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text):
        d.check(unit in units, "unknown time unit in %r" % text)
        total += float(number) * units[unit]
    return total


def unit(binary, settings, tmp):
    with open(UNIT, encoding="utf-8") as f:
        text = f.read()
    keys = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
    d.check(keys.get("ExecStart", "").startswith("/usr/local/bin/yooni-cache "), "ExecStart: %s" % keys.get("ExecStart"))
    d.check("EnvironmentFile" in keys, "no EnvironmentFile")
    grace_s = int(settings["SHUTDOWN_GRACE_MS"]["value"]) / 1000.0
    stop_s = seconds(keys.get("TimeoutStopSec", "90s"))
    d.check(stop_s > grace_s, "TimeoutStopSec %ss must exceed SHUTDOWN_GRACE_MS (%ss)" % (stop_s, grace_s))
    # The compose file's stop_grace_period too.
    with open(COMPOSE, encoding="utf-8") as f:
        m = re.search(r"stop_grace_period:\s*(\S+)", f.read())
    d.check(m and seconds(m.group(1)) > grace_s, "compose stop_grace_period must exceed SHUTDOWN_GRACE_MS")

    copy = os.path.join(tmp, "yooni-cache.service")
    with open(copy, "w", encoding="utf-8") as f:
        f.write(re.sub(r"^ExecStart=/usr/local/bin/yooni-cache", "ExecStart=" + binary, text, flags=re.M))
    r = d.run(["systemd-analyze", "verify", copy], cwd=tmp)
    d.check(r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(),
            "systemd-analyze verify: %d\n%s%s" % (r.returncode, r.stdout, r.stderr))


def main(tmp, procs):
    binary = d.arg_binary()
    for tool in ("systemd-analyze", "ldd", "dpkg-query"):
        d.check(shutil.which(tool), "%s not found (scripts/bootstrap.sh installs it)" % tool)
    settings = env_example(binary, tmp)
    dockerfile(binary)
    unit(binary, settings, tmp)


if __name__ == "__main__":
    sys.exit(d.run_test(main))
