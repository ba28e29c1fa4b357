"""Shared helpers of the deployment tests (tests/deploy/*_test.py).

Every process a test starts goes through Processes: it is killed when the test
ends, however it ends (exception, assertion, SIGTERM from ctest), and also if
the test process itself is SIGKILLed (PR_SET_PDEATHSIG), so no redis-server
outlives a test run.
"""

import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(REPO, "deploy")

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Runs in the child between fork and exec: the kernel sends SIGKILL to the
    # child when the test process dies, even by SIGKILL (ctest timeout).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


class Processes:
    """Children started by a test; stop_all() ends each one by its own pid."""

    def __init__(self):
        self.children = []  # (name, Popen, log path)

    def start(self, name, argv, env, cwd, log_path):
        log = open(log_path, "wb")
        try:
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        finally:
            log.close()
        self.children.append((name, proc, log_path))
        return proc

    def stop(self, proc, grace=15.0):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self):
        for _, proc, _ in reversed(self.children):
            if proc.poll() is None:
                proc.kill()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass

    def logs(self, lines=15):
        out = []
        for name, _, path in self.children:
            try:
                with open(path, "rb") as f:
                    tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
            except OSError:
                tail = []
            out.append("--- %s (last %d lines) ---\n%s" % (name, lines, "\n".join(tail)))
        return "\n".join(out)


def run_test(main):
    """Runs main(tmp, procs), prints PASS or the failure with the children's logs."""
    tmp = tempfile.mkdtemp(prefix="yooni-deploy-")
    procs = Processes()

    def on_term(signum, frame):
        raise SystemExit("stopped by signal %d" % signum)

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    code = 0
    try:
        main(tmp, procs)
        print("PASS (%.1f s)" % (time.monotonic() - started))
    except TestFailure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        print(procs.logs(), file=sys.stderr)
        code = 1
    except BaseException as e:  # noqa: B902 - report anything, then clean up
        import traceback
        traceback.print_exc()
        print(procs.logs(), file=sys.stderr)
        code = 1
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return code


def run(argv, env=None, cwd=None, input_text=None, timeout=60):
    return subprocess.run(argv, env=env, cwd=cwd, input=input_text, capture_output=True, text=True,
                          timeout=timeout)


def base_env():
    """A clean environment: only what finding programs needs, so no setting of
    the machine's environment leaks into the service under test."""
    return {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "LANG": "C.UTF-8"}


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As servers bind (redis-server, the service): a connection of a previous
    # run lingering in TIME_WAIT does not make the port busy.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_cluster_ports(count):
    """count consecutive ports p.. with their cluster bus ports (+10000) free,
    below the ephemeral range so that no outgoing connection takes one."""
    import random
    for _ in range(200):
        base = random.randrange(20000, 30000 - count)
        if all(port_free(p) and port_free(p + 10000) for p in range(base, base + count)):
            return list(range(base, base + count))
    raise TestFailure("no %d free consecutive ports (and bus ports) on 127.0.0.1" % count)


def wait_until(what, predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TestFailure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def request(method, port, path, body=None, token=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def http_status(port, path):
    try:
        return request("GET", port, path, timeout=2)[0]
    except OSError:
        return None


# ---- docker compose variable interpolation ----------------------------------
# Compose replaces ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error},
# ${NAME?error} and $NAME in string values after parsing the YAML; $$ is a
# literal $. The tests need the values compose would pass, so they apply the
# same rules with the variables a deploy/.env would give.

_INTERPOLATION = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


class InterpolationError(Exception):
    pass


def interpolate_text(text, variables):
    def replace(m):
        if m.group(1):
            return "$"
        name = m.group(2) or m.group(5)
        op, arg = m.group(3), m.group(4)
        value = variables.get(name)
        if op in (":-", ":?"):
            missing = value is None or value == ""
        else:
            missing = value is None
        if op in (":-", "-") and missing:
            return arg
        if op in (":?", "?") and missing:
            raise InterpolationError("%s: %s" % (name, arg))
        return value if value is not None else ""
    return _INTERPOLATION.sub(replace, text)


def interpolate(node, variables):
    if isinstance(node, str):
        return interpolate_text(node, variables)
    if isinstance(node, list):
        return [interpolate(v, variables) for v in node]
    if isinstance(node, dict):
        return {k: interpolate(v, variables) for k, v in node.items()}
    return node


def compose_variables(path):
    """Names the compose file takes from the environment or deploy/.env."""
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("$$", "")
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


def load_compose(path, variables):
    import yaml
    with open(path, encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    return interpolate(raw, variables)


def environment_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "NAME=value" list form
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def config_check_json(binary, env=None, dotenv=None):
    """`yooni-cache config check --json` in an empty directory (or one with `dotenv` as .env)."""
    d = tempfile.mkdtemp(prefix="yooni-config-")
    try:
        if dotenv is not None:
            shutil.copyfile(dotenv, os.path.join(d, ".env"))
        e = base_env()
        e.update(env or {})
        r = run([binary, "config", "check", "--json"], env=e, cwd=d)
        try:
            doc = json.loads(r.stdout)
        except ValueError:
            doc = None
        return r, doc
    finally:
        shutil.rmtree(d, ignore_errors=True)


def mint_token(binary, secret_key, role="admin"):
    e = base_env()
    e["SECRET_KEY"] = secret_key
    r = run([binary, "token", "--sub", "deploy-test", "--role", role, "--ttl", "600"], env=e)
    check(r.returncode == 0 and r.stdout.strip(), "token: %s %s" % (r.stdout, r.stderr))
    return r.stdout.strip()


def secret(n=48):
    import secrets
    return secrets.token_urlsafe(n)


def arg_binary(extra=()):
    """--binary PATH, plus optional path options named in `extra` (returned after it, None when absent)."""
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True, help="the built yooni-cache")
    for name in extra:
        p.add_argument(name, default=None)
    args = p.parse_args()
    binary = os.path.abspath(args.binary)
    if not extra:
        return binary
    return (binary,) + tuple(getattr(args, name.lstrip("-").replace("-", "_")) for name in extra)
