"""A real HAProxy (2.6, Debian's `haproxy` package) in front of test daemons: TCP mode, TLS
passed through untouched, `send-proxy-v2` to each smppd, `balance leastconn`.

`Haproxy(workdir, backends).start()` writes the config, runs `haproxy -f cfg -db` (foreground,
no daemon) on a probed-free port of 127.0.0.1 and returns once that port is in LISTEN state in
/proc/net/tcp (polled with a deadline; nothing connects to it, so no stray backend connection
reaches smppd). `stop()` ends it. A missing haproxy binary fails the test: .ci/run installs it.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

START_TIMEOUT = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS just handed out on `host` and took back (probed free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a socket listens on host:port (IPv4), from /proc/net/tcp (state 0A = LISTEN)."""
    want = f"{socket.htonl(int.from_bytes(socket.inet_aton(host), 'big')):08X}:{port:04X}"
    try:
        rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(r.split()[1] == want and r.split()[3] == "0A" for r in rows)


class Haproxy:
    """One haproxy process forwarding 127.0.0.1:<port> to `backends` ([(host, port)]).
    `check`: health checks that send a PROXY v2 LOCAL header (`check-send-proxy`), every
    `check_inter_ms`."""

    def __init__(self, workdir: Path, backends: list[tuple[str, int]], *, check: bool = False,
                 check_inter_ms: int = 200):
        self.binary = shutil.which("haproxy")
        assert self.binary, ("haproxy is not installed (apt-get install haproxy; .ci/run installs it): "
                             "the balancer tests need a real HAProxy 2.6")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.backends = list(backends)
        self.check = check
        self.check_inter_ms = check_inter_ms
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.config_path = self.workdir / "haproxy.cfg"
        self.log_path = self.workdir / "haproxy.log"

    def config(self) -> str:
        checks = f" check check-send-proxy inter {self.check_inter_ms}" if self.check else ""
        servers = "\n".join(f"    server smppd{i} {host}:{port} send-proxy-v2{checks}"
                            for i, (host, port) in enumerate(self.backends))
        return f"""global
    maxconn 512

defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s

# TLS passes through: haproxy sees bytes, smppd terminates TLS after reading the header.
frontend smpp
    bind 127.0.0.1:{self.port}
    default_backend smppd

backend smppd
    balance leastconn
{servers}
"""

    def start(self) -> "Haproxy":
        self.port = free_port()
        self.config_path.write_text(self.config())
        check = subprocess.run([self.binary, "-c", "-f", str(self.config_path)], capture_output=True, timeout=30)
        assert check.returncode == 0, f"haproxy -c refused the config:\n{self.config()}\n{check.stdout!r}{check.stderr!r}"
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary, "-f", str(self.config_path), "-db"], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not listening(self.port):
            if self.proc.poll() is not None:
                raise AssertionError(f"haproxy exited with {self.proc.returncode} before listening:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"haproxy not listening on 127.0.0.1:{self.port} within {START_TIMEOUT}s:\n{self.log()}")
            time.sleep(0.02)  # polling the LISTEN state, bounded by the deadline
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> "Haproxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
