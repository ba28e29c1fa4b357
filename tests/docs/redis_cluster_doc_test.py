#!/usr/bin/python3
"""Runs every command of docs/redis-cluster.md and docs/redis-cluster.ko.md
and checks that it answers what the document shows.

The documents' conventions (both languages show the same commands and the
same answers, in the same order):

  ```sh              a command block: run, in order, in a shell on a terminal
                     (a pty: programs format their output as they do for a
                     person), stdout and stderr together, as on a screen
  ```text            right after a command block: its whole answer; a command
                     block with no ```text block after it must print nothing
  ```sh serve        the service in the foreground (scripts/local-cluster.sh):
                     started in the background here; its stdout must begin
                     with the ```text block after it (its stderr holds the
                     timestamped log lines, which the documents leave out)
  ```sh after-serve  runs after Ctrl-C in the service's terminal: the service
                     gets SIGINT first and must exit with code 0
  ```sh no-run       not run (cloud endpoints, Docker)

In an answer, … stands for text that differs from run to run (node ids,
memory sizes, ops/s, timings) and matches any characters within its line.
Lines are otherwise compared exactly, after trailing blanks are dropped.

The commands run in a temporary working copy: the repository's scripts/,
a copy of the binary under test as build/release/yooni-cache (what the README's
build makes), YOONI_CACHE_BIN pointing at it (so scripts/local-cluster.sh does not
build), and TMPDIR in the temporary directory (its path is shown as /tmp, the
default, in the answers). The local cluster uses the documented ports
7000-7005 (and 17000-17005) and the service 8000: they must be free.
Everything started is stopped at the end, also when a check fails.

usage: redis_cluster_doc_test.py --binary build/debug/yooni-cache [--source DIR] [--show]
  --show  print every command's real answer (to write the documents) and
          go on past mismatches
"""

import argparse
import errno
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

DOCS = ("docs/redis-cluster.md", "docs/redis-cluster.ko.md")
PORTS = list(range(7000, 7006)) + list(range(17000, 17006)) + [8000]
BLOCK_TIMEOUT = 120      # seconds for one command block
TOTAL_DEADLINE = 270     # seconds; ctest's TIMEOUT is 300: leave time to clean up
# Settings the service reads: not inherited from the caller's environment.
SETTING = re.compile(r"^(REDIS_|CACHE_|HTTP_|AUTH_|API_TOKENS$|API_KEY_PREFIXES$|METRICS_TOKEN$|SECRET_KEY$|HOST$|"
                     r"PORT$|WORKER_THREADS$|SHUTDOWN_GRACE_MS$|LOG_LEVEL$|YOONI_)", re.IGNORECASE)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Failure(Exception):
    pass


class Interrupted(Exception):
    pass


# ------------------------------------------------------------------ documents

FENCE = re.compile(r"^ *```(.*)$")  # also inside list items


def fenced_blocks(path):
    """[(info words, body, line number)] of every fenced block."""
    blocks, info, body, start = [], None, [], 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = FENCE.match(line)
            if info is None:
                if m:
                    info, body, start = m.group(1).split(), [], number
            elif line.strip() == "```":
                blocks.append((info, "\n".join(body), start))
                info = None
            else:
                body.append(line)
    if info is not None:
        raise Failure(f"{path}:{start}: unclosed ``` block")
    return blocks


def steps_of(path):
    """[(kind, command, expected or None, line)] in document order."""
    blocks = fenced_blocks(path)
    steps = []
    for i, (info, body, line) in enumerate(blocks):
        if not info or info[0] != "sh":
            continue
        flags = set(info[1:])
        unknown = flags - {"serve", "after-serve", "no-run"}
        if unknown:
            raise Failure(f"{path}:{line}: unknown flag(s) {' '.join(sorted(unknown))} after ```sh")
        kind = "no-run" if "no-run" in flags else "serve" if "serve" in flags else \
            "after-serve" if "after-serve" in flags else "run"
        expected = None
        if i + 1 < len(blocks) and blocks[i + 1][0] == ["text"]:
            expected = blocks[i + 1][1]
        if kind == "serve" and expected is None:
            raise Failure(f"{path}:{line}: a ```sh serve block needs the ```text block it prints")
        steps.append((kind, body, expected, line))
    return steps


# ------------------------------------------------------------------ matching

def screen(raw):
    """What a terminal shows of `raw`: CR LF as LF, a bare CR returns to the
    line's start (progress spinners), escape sequences dropped, trailing
    blanks and blank last lines dropped."""
    text = ANSI.sub("", raw.replace("\r\n", "\n"))
    lines = []
    for line in text.split("\n"):
        if "\r" in line:
            parts = [p for p in line.split("\r")]
            line = parts[-1] if parts[-1] else next((p for p in reversed(parts) if p), "")
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def line_pattern(expected_line):
    return re.compile(".*?".join(re.escape(part) for part in expected_line.rstrip().split("…")), re.DOTALL)


def mismatch(expected_lines, actual_lines, prefix=False):
    """None when they match, else a description of the first difference."""
    if prefix:
        actual_lines = actual_lines[:len(expected_lines)]
    for n, (e, a) in enumerate(zip(expected_lines, actual_lines), 1):
        if not line_pattern(e).fullmatch(a):
            return f"line {n}:\n  shown:  {e}\n  real:   {a}"
    if len(expected_lines) != len(actual_lines):
        return f"{len(expected_lines)} line(s) shown, {len(actual_lines)} printed"
    return None


# ------------------------------------------------------------------ running

def run_in_pty(script, env, cwd, timeout):
    """Runs `bash -c script` on a fresh terminal; (exit code, output)."""
    master, slave = pty.openpty()
    try:
        import fcntl
        import struct
        import termios
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    except OSError:
        pass
    proc = subprocess.Popen(["bash", "-c", script], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"no end after {timeout} s; output so far:\n" + b"".join(chunks).decode("utf-8", "replace"))
            ready, _, _ = select.select([master], [], [], min(left, 0.5))
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError as e:  # EIO: every writer closed the terminal
                if e.errno == errno.EIO:
                    break
                raise
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            kill_group(proc, signal.SIGKILL)
            proc.wait()
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def kill_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def read_env(path):
    with open(path, "rb") as f:
        items = f.read().split(b"\0")
    env = {}
    for item in items:
        if b"=" in item:
            k, v = item.split(b"=", 1)
            env[k.decode()] = v.decode("utf-8", "replace")
    for k in ("_", "SHLVL", "PWD", "OLDPWD"):
        env.pop(k, None)
    return env


class Service:
    """A ```sh serve block: the service in the background, stdout collected."""

    def __init__(self, script, env, cwd, log_path):
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(["bash", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.log, env=env, cwd=cwd, start_new_session=True)
        self.out = b""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            with self.lock:
                self.out += chunk

    def lines(self):
        with self.lock:
            return screen(self.out.decode("utf-8", "replace"))

    def stop(self, sig=signal.SIGINT, wait=20):
        """Ctrl-C (SIGINT to the foreground process group); SIGKILL if it lingers."""
        if self.proc.poll() is None:
            kill_group(self.proc, sig)
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                kill_group(self.proc, signal.SIGKILL)
                self.proc.wait()
        self.reader.join(timeout=5)
        self.log.close()
        return self.proc.returncode


def port_taken(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def check(source, binary, show):
    all_steps = [steps_of(os.path.join(source, d)) for d in DOCS]
    en, ko = all_steps
    if [s[:3] for s in en] != [s[:3] for s in ko]:
        for a, b in zip(en + [None] * len(ko), ko + [None] * len(en)):
            if a is None or b is None or a[:3] != b[:3]:
                where = f"{DOCS[0]}:{a[3] if a else 'end'} vs {DOCS[1]}:{b[3] if b else 'end'}"
                raise Failure(f"the two documents differ in their commands or answers at {where}")
    runnable = [s for s in en if s[0] != "no-run"]
    if not runnable:
        raise Failure("no command block found")
    busy = [p for p in PORTS if port_taken(p)]
    if busy:
        raise Failure(f"port(s) in use: {busy}: the documents use 7000-7005 (cluster bus +10000) and 8000")

    top = tempfile.mkdtemp(prefix="yooni-docs-")
    work, tmp = os.path.join(top, "work"), os.path.join(top, "tmp")
    os.makedirs(os.path.join(work, "build", "release"))
    os.makedirs(tmp)
    shutil.copytree(os.path.join(source, "scripts"), os.path.join(work, "scripts"))
    # A copy: a rebuild of the binary meanwhile must not change it under the run.
    binary_copy = os.path.join(work, "build", "release", "yooni-cache")
    shutil.copy2(binary, binary_copy)
    env = {k: v for k, v in os.environ.items() if not SETTING.match(k)}
    env.update({"TMPDIR": tmp, "YOONI_CACHE_BIN": binary_copy, "TERM": "dumb",
                "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": os.environ.get("HOME", top)})
    service, failures, started = None, [], time.monotonic()

    def normalized(lines):
        return [line.replace(tmp, "/tmp") for line in lines]

    try:
        for kind, command, expected, line in en:
            where = f"{DOCS[0]}:{line}"
            if kind == "no-run":
                continue
            if time.monotonic() - started > TOTAL_DEADLINE:
                raise Failure(f"{where}: the whole run took more than {TOTAL_DEADLINE} s")
            expected_lines = expected.split("\n") if expected is not None else []
            while expected_lines and not expected_lines[-1].strip():
                expected_lines.pop()
            if kind == "serve":
                if service:
                    raise Failure(f"{where}: a second ```sh serve block while the service runs")
                service = Service(command, env, work, os.path.join(top, "service.log"))
                deadline = time.monotonic() + BLOCK_TIMEOUT
                while True:
                    actual = normalized(service.lines())
                    problem = mismatch(expected_lines, actual, prefix=True)
                    if problem is None or service.proc.poll() is not None or time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
                if show:
                    print(f"----- {where} (serve)\n$ {command}\n" + "\n".join(actual), flush=True)
                if problem is not None:
                    with open(os.path.join(top, "service.log"), encoding="utf-8", errors="replace") as f:
                        log = f.read()[-3000:]
                    raise Failure(f"{where}: the service's output is not the one shown: {problem}\n"
                                  f"stdout:\n" + "\n".join(actual) + f"\nstderr (end):\n{log}")
                continue
            if kind == "after-serve":
                if not service:
                    raise Failure(f"{where}: ```sh after-serve without a running service")
                code = service.stop()
                service = None
                if code != 0:
                    raise Failure(f"{where}: the service exited with {code} after Ctrl-C (SIGINT), not 0")
            env_file = os.path.join(top, "env.out")
            script = f"{command}\n__rc=$?\nenv -0 > {env_file}\nexit $__rc\n"
            if os.path.exists(env_file):
                os.remove(env_file)
            code, raw = run_in_pty(script, env, work, BLOCK_TIMEOUT)
            actual = normalized(screen(raw))
            if os.path.exists(env_file):
                env = read_env(env_file)
            if show:
                print(f"----- {where} (exit {code})\n$ {command}\n" + "\n".join(actual), flush=True)
            problem = mismatch(expected_lines, actual)
            if code != 0:
                problem = f"exit code {code}" + (f"; {problem}" if problem else "")
            if problem:
                message = f"{where}: {problem}\ncommand:\n{command}\nreal answer:\n" + "\n".join(actual)
                if not show:
                    raise Failure(message)
                failures.append(message)
        if service:
            raise Failure("the service is still running at the end: the documents must stop it (```sh after-serve)")
    finally:
        if service:
            service.stop()
        # The cluster of the documents lives in TMPDIR: stop it and remove it.
        subprocess.run([os.path.join(work, "scripts", "redis-cluster"), "stop", "--clean"], env=env, cwd=work,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        shutil.rmtree(top, ignore_errors=True)
    if failures:
        raise Failure("\n\n".join(failures))
    return len(runnable)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the yooni-cache binary under test")
    parser.add_argument("--source", default=os.path.dirname(os.path.dirname(here)), help="the repository")
    parser.add_argument("--show", action="store_true", help="print every real answer; go on past mismatches")
    args = parser.parse_args()

    def interrupted(signum, frame):
        raise Interrupted(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, interrupted)
    began = time.monotonic()
    try:
        count = check(args.source, args.binary, args.show)
    except (Failure, Interrupted) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print(f"ok: {count} command blocks of {' and '.join(DOCS)} answer as shown ({time.monotonic() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
