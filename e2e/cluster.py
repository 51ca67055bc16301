"""Helpers for the cluster tests (issue 15): a real redis-server on a free port, or a primary with
replicas and three Sentinels (SentinelTopology), and smppd nodes that share it. Every node of a
test gets the same accounts (the cluster's rule) and its own node number and data directory."""

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

    def __init__(self, workdir: Path, *, port: int | None = None, appendonly: bool = False,
                 extra_args: list[str] | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or upstream.free_port()
        self.appendonly = appendonly
        self.extra_args = list(extra_args or [])
        self.proc: subprocess.Popen | None = None
        self.binary = shutil.which("redis-server")
        assert self.binary, "redis-server is not installed (.ci/run installs it)"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "RedisServer":
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes" if self.appendonly else "no", "--dir", str(self.workdir),
                "--daemonize", "no", "--loglevel", "warning"] + self.extra_args
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

    def cluster_keys(self) -> dict:
        """What a node's [cluster] table says to reach this server."""
        return {"redis": self.address}

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


class SentinelTopology:
    """A primary, `replicas` replicas of it and three Sentinels (quorum 2, down-after 1 s,
    failover-timeout 3 s), each on a free port of 127.0.0.1. start() returns once every replica
    is in sync and every sentinel sees the replicas and the two other sentinels (a failover
    needs them), polled, never slept for."""

    SENTINELS = 3

    def __init__(self, workdir: Path, *, replicas: int = 2, master: str = "mymaster"):
        self.workdir = Path(workdir)
        self.master = master
        # No diskless-sync delay (5 s by default): a replica re-pointed by a failover syncs at once.
        fast = ["--repl-diskless-sync-delay", "0"]
        self.servers = [RedisServer(self.workdir / "r0", extra_args=fast)]
        for i in range(replicas):
            self.servers.append(RedisServer(self.workdir / f"r{i + 1}", extra_args=fast + [
                "--replicaof", "127.0.0.1", str(self.servers[0].port)]))
        self.sentinel_ports = [upstream.free_port() for _ in range(self.SENTINELS)]
        self.sentinel_procs: list[subprocess.Popen] = []

    @property
    def sentinel_addresses(self) -> list[str]:
        return [f"127.0.0.1:{p}" for p in self.sentinel_ports]

    def cluster_keys(self) -> dict:
        return {"sentinels": self.sentinel_addresses, "master-name": self.master}

    def start(self) -> "SentinelTopology":
        for s in self.servers:
            s.start()
        primary = self.servers[0].port
        for i, port in enumerate(self.sentinel_ports):
            conf = self.workdir / f"sentinel{i}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\nprotected-mode no\ndaemonize no\nloglevel notice\n"
                            f"dir {self.workdir}\nlogfile {self.workdir / f'sentinel{i}.log'}\n"
                            f"sentinel monitor {self.master} 127.0.0.1 {primary} 2\n"
                            f"sentinel down-after-milliseconds {self.master} 1000\n"
                            f"sentinel failover-timeout {self.master} 3000\n"
                            f"sentinel parallel-syncs {self.master} 1\n")
            self.sentinel_procs.append(subprocess.Popen([self.servers[0].binary, str(conf), "--sentinel"],
                                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        replicas = len(self.servers) - 1

        def ready():
            if not all("master_link_status:up" in (s.command("INFO", "replication") or "") for s in self.servers[1:]):
                return False
            for port in self.sentinel_ports:
                try:
                    if len(sentinel_command(port, "SENTINEL", "replicas", self.master)) != replicas:
                        return False
                    if len(sentinel_command(port, "SENTINEL", "sentinels", self.master)) != self.SENTINELS - 1:
                        return False
                except (OSError, RuntimeError):
                    return False
            return True
        _wait(ready, 30, "replicas in sync and every sentinel seeing the replicas and the other sentinels")
        return self

    def named_primary(self) -> int | None:
        """The primary's port as the first sentinel that answers names it."""
        for port in self.sentinel_ports:
            try:
                answer = sentinel_command(port, "SENTINEL", "get-master-addr-by-name", self.master)
                if answer:
                    return int(answer[1])
            except (OSError, RuntimeError):
                continue
        return None

    def server(self, port: int) -> RedisServer:
        return next(s for s in self.servers if s.port == port)

    def kill_primary(self) -> RedisServer:
        """kill -9 of the server the sentinels name as primary; returns it."""
        victim = self.server(self.named_primary())
        victim.kill()
        return victim

    def wait_failover(self, old: RedisServer, timeout: float = 20) -> RedisServer:
        """Waits until every live sentinel names another primary and that server says it is
        master; returns it."""
        def promoted():
            names = set()
            for port in self.sentinel_ports:
                try:
                    answer = sentinel_command(port, "SENTINEL", "get-master-addr-by-name", self.master)
                except (OSError, RuntimeError):
                    continue
                names.add(int(answer[1]) if answer else None)
            if len(names) != 1 or old.port in names or None in names:
                return False
            try:
                return self.server(names.pop()).command("ROLE")[0] == "master"
            except (OSError, RuntimeError, StopIteration):
                return False
        _wait(promoted, timeout, "the sentinels to promote a replica")
        return self.server(self.named_primary())

    def stop(self) -> None:
        for p in self.sentinel_procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        for s in self.servers:
            s.stop()


def sentinel_command(port: int, *args: str):
    """One command to the sentinel on `port` over a fresh connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args)
        s.sendall(out)
        return _read_reply(s.makefile("rb"))


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def cluster_table(redis, node: int, **keys) -> dict:
    """The [cluster] table of one node (`redis`: a RedisServer or a SentinelTopology)."""
    table = {**redis.cluster_keys(), "node": node, "lease-ms": 1500}
    table.update({k.replace("_", "-"): v for k, v in keys.items()})
    return table


def node(smppd, redis, number: int, accounts: list[dict], *, cluster: dict | None = None,
         extra: dict | None = None, **kw):
    """One smppd node of the cluster (started; waits for its first connection to Redis)."""
    tables = dict(extra or {})
    tables["cluster"] = cluster_table(redis, number, **(cluster or {}))
    kw.setdefault("allow_errors", [])
    kw["allow_errors"] = list(kw["allow_errors"]) + [r"event=cluster-"]
    d = smppd(accounts=accounts, extra=tables, name=f"smppd[node{number}]", **kw)
    d.wait_for_event("cluster-connected", timeout=10)
    return d
