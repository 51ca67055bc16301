"""Fixtures for the end-to-end suite: the smppd binary, daemon factories, test certificates.

Run from the repository root:  SMPPD_BIN=$PWD/.build/release/smppd python3 -m pytest -q e2e
(test_smppbench.py also runs the smppbench next to SMPPD_BIN, or SMPPBENCH_BIN.)
Daemons started through a factory are stopped with SIGTERM at the end of their scope and
must exit 0 with no unexpected error lines; a failing test gets their logs attached.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

import harness

# 500 concurrent sessions need > 1000 descriptors here and in the daemon (which inherits it).
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
_want = 8192 if _hard == resource.RLIM_INFINITY else min(8192, _hard)
if _soft != resource.RLIM_INFINITY and _soft < _want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_want, _hard))

_test_started = 0.0


@pytest.fixture(scope="session")
def smppd_bin() -> str:
    path = os.environ.get("SMPPD_BIN")
    if not path:
        pytest.fail("SMPPD_BIN is not set: build the daemon (swift build -c release --product smppd) and run "
                    "SMPPD_BIN=$PWD/.build/release/smppd python3 -m pytest -q e2e", pytrace=False)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"SMPPD_BIN={path!r} is not an executable file", pytrace=False)
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def smppbench_bin(smppd_bin) -> str:
    """The release load generator: SMPPBENCH_BIN, else the smppbench next to SMPPD_BIN (the same
    `swift build -c release` output directory; .ci/run builds both products)."""
    path = os.environ.get("SMPPBENCH_BIN") or os.path.join(os.path.dirname(smppd_bin), "smppbench")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"no smppbench executable at {path!r}: build it (swift build -c release --product smppbench) "
                    "or set SMPPBENCH_BIN", pytrace=False)
    return os.path.abspath(path)


class DaemonFactory:
    """Starts daemons in fresh temporary directories and stops every one of them at teardown."""

    def __init__(self, binary: str, tmp_path_factory, label: str):
        self.binary = binary
        self.tmp_path_factory = tmp_path_factory
        self.label = label
        self.daemons: list[harness.Daemon] = []

    def workdir(self) -> Path:
        return self.tmp_path_factory.mktemp(self.label)

    def __call__(self, *, accounts=None, server=None, timeouts=None, auth=None, messages=None,
                 delivery=None, carrier=None, extra=None, carriers=None, routes=None, config_text=None,
                 use_config: bool = True, args=(), plaintext: bool = False, data_dir=True,
                 name: str | None = None, allow_errors=(), start: bool = True,
                 workdir: Path | None = None, wrapper=()) -> harness.Daemon:
        """accounts/server/timeouts/auth/messages/delivery/carrier feed harness.make_config; `config_text` (a string, or
        a callable taking the data dir) replaces it; use_config=False runs with flags only."""
        workdir = workdir or self.workdir()
        daemon = harness.Daemon(self.binary, workdir, args=args, data_dir=data_dir,
                                name=name or f"smppd[{workdir.name}]", allow_errors=allow_errors, wrapper=wrapper)
        if use_config:
            if config_text is None:
                config_text = harness.make_config(daemon.data_dir or workdir / "var", server=server,
                                                  timeouts=timeouts, auth=auth, accounts=accounts,
                                                  messages=messages, delivery=delivery, carrier=carrier,
                                                  extra=extra, carriers=carriers, routes=routes)
            elif callable(config_text):
                config_text = config_text(daemon.data_dir or workdir / "var")
            daemon.config_text = config_text
        self.daemons.append(daemon)
        if start:
            daemon.start(plaintext=plaintext)
        return daemon

    def teardown(self) -> None:
        errors = []
        for d in self.daemons:
            if d.proc is None:
                continue
            try:
                if d.running():
                    d.stop()
                elif not d.checked:
                    d.stop()  # already exited: asserts it exited 0 and checks its log
            except AssertionError as exc:
                errors.append(str(exc))
            finally:
                d.kill()
        if errors:
            pytest.fail("daemon teardown:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def smppd(smppd_bin, tmp_path_factory):
    """Function-scoped factory: a fresh daemon per call, for tests that disturb the daemon."""
    factory = DaemonFactory(smppd_bin, tmp_path_factory, "fn")
    yield factory
    factory.teardown()


@pytest.fixture(scope="module")
def module_smppd(smppd_bin, tmp_path_factory):
    """Module-scoped factory: one daemon shared by the tests of a module that do not interfere."""
    factory = DaemonFactory(smppd_bin, tmp_path_factory, "mod")
    yield factory
    factory.teardown()


@pytest.fixture(scope="session")
def test_cert(tmp_path_factory) -> tuple[Path, Path]:
    """(cert, key) PEM paths of a self-signed certificate made with the openssl CLI."""
    return harness.make_cert(tmp_path_factory.mktemp("certs"), "smppd-e2e")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    global _test_started
    _test_started = time.monotonic()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    for d in harness.all_daemons():
        if d.proc is None:
            continue
        if d.running() or (d.stopped_at is not None and d.stopped_at >= _test_started):
            state = "running" if d.running() else f"exited {d.returncode}"
            rep.sections.append((f"{d.name} pid {d.pid} ({state}) log", d.log_text(tail=400)))
