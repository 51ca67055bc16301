"""Helpers for the cluster tests (issue 15): a real redis-server on a free port, and smppd nodes
that share it. Every node of a test gets the same accounts (the cluster's rule) and its own
node number and data directory."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import upstream

REDIS_READY_TIMEOUT = 10.0


class RedisServer:
    """One redis-server on 127.0.0.1: a port probed free (kept across restarts, so the nodes
    reconnect to it), no persistence unless asked for."""

    def __init__(self, workdir: Path, *, port: int | None = None, appendonly: bool = False):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or upstream.free_port()
        self.appendonly = appendonly
        self.proc: subprocess.Popen | None = None
        self.binary = shutil.which("redis-server")
        assert self.binary, "redis-server is not installed (.ci/run installs it)"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "RedisServer":
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes" if self.appendonly else "no", "--dir", str(self.workdir),
                "--daemonize", "no", "--loglevel", "warning"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + REDIS_READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"redis-server exited with {self.proc.returncode}"
            if self.ping():
                return self
            time.sleep(0.02)
        raise AssertionError(f"redis-server on {self.port} did not answer PING in {REDIS_READY_TIMEOUT}s")

    def ping(self) -> bool:
        try:
            return self.command("PING") == "PONG"
        except OSError:
            return False

    def command(self, *args: str):
        """One command over a fresh connection (RESP); the reply as str / int / list / None."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args)
            s.sendall(out)
            f = s.makefile("rb")
            return _read_reply(f)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _read_reply(f):
    line = f.readline()
    if not line:
        raise OSError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise OSError(f"unexpected reply {line!r}")


def cluster_table(redis: RedisServer, node: int, **keys) -> dict:
    """The [cluster] table of one node."""
    table = {"redis": redis.address, "node": node, "lease-ms": 1500}
    table.update({k.replace("_", "-"): v for k, v in keys.items()})
    return table


def node(smppd, redis: RedisServer, number: int, accounts: list[dict], *, cluster: dict | None = None,
         extra: dict | None = None, **kw):
    """One smppd node of the cluster (started; waits for its first connection to Redis)."""
    tables = dict(extra or {})
    tables["cluster"] = cluster_table(redis, number, **(cluster or {}))
    kw.setdefault("allow_errors", [])
    kw["allow_errors"] = list(kw["allow_errors"]) + [r"event=cluster-"]
    d = smppd(accounts=accounts, extra=tables, name=f"smppd[node{number}]", **kw)
    d.wait_for_event("cluster-connected", timeout=10)
    return d
