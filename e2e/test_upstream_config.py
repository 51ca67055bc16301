"""The [[carrier]] and [[route]] sections (issue 12, docs/upstream.md): every mistake stops
start-up with exit 78 and a message naming the key; a config that routes nothing upstream
starts as before; a route to an unreachable SMPP upstream still starts and reports the carrier."""

import re
from pathlib import Path

import pytest

import harness
import msgkit
import upstream

ROOT = Path(__file__).resolve().parents[1]
SMPP = '[[carrier]]\nname = "up"\nkind = "smpp"\nsystem-id = "gw"\npassword = "pw"\nport = 1\n'
ROUTE = '[[route]]\ncarriers = ["up"]\n'


@pytest.mark.parametrize("toml,key", [
    ('[[carrier]]\nkind = "smpp"\n', "carrier[0].name"),
    ('[[carrier]]\nname = "up"\n', "carrier[0] (up).kind"),
    ('[[carrier]]\nname = "up"\nkind = "carrier-pigeon"\n', "carrier[0] (up).kind"),
    ('[[carrier]]\nname = "up"\nkind = "smpp"\n' + ROUTE, "carrier[0] (up).system-id"),
    (SMPP + 'window = 0\n' + ROUTE, "carrier[0] (up).window"),
    (SMPP.replace('password = "pw"', 'password = "ninechars"') + ROUTE, "carrier[0] (up).password"),
    (SMPP + 'system-type = "thirteen-char"\n' + ROUTE, "carrier[0] (up).system-type"),
    (SMPP.replace('name = "up"', 'name = "' + "n" * 65 + '"') + ROUTE, "carrier[0].name"),
    (SMPP + 'bind-mode = "both"\n' + ROUTE, "carrier[0] (up).bind-mode"),
    (SMPP + 'url = "http://x"\n' + ROUTE, "carrier[0] (up).url"),
    (SMPP.replace("port = 1", 'port = "x"') + ROUTE, "carrier[0] (up).port"),
    (SMPP.replace("port = 1", "port = 70000") + ROUTE, "carrier[0] (up).port"),
    ('[[carrier]]\nname = "h"\nkind = "http"\n' + '[[route]]\ncarriers = ["h"]\n', "carrier[0] (h).url"),
    ('[[carrier]]\nname = "h"\nkind = "http"\nurl = "ftp://x"\n[[route]]\ncarriers = ["h"]\n', "carrier[0] (h).url"),
    ('[[carrier]]\nname = "h"\nkind = "http"\nurl = "http://127.0.0.1:1/"\nusername = "u"\n[[route]]\ncarriers = ["h"]\n',
     "carrier[0] (h).username"),
    (SMPP + SMPP + ROUTE, "duplicate carrier name"),
    ('[[carrier]]\nname = "simulator"\nkind = "smpp"\n', "carrier[0] (simulator).name"),
    ('[[carrier]]\nname = "sim"\nkind = "simulator"\n', "carrier[0] (sim).name"),
    ('[[carrier]]\nname = "simulator"\nkind = "simulator"\nworkerz = 2\n', "carrier[0] (simulator).workerz"),
    (SMPP, "[[route]]"),
    (SMPP + '[[route]]\ncarriers = ["nope"]\n', "route[0].carriers"),
    (SMPP + '[[route]]\ncarriers = []\n', "route[0].carriers"),
    (SMPP + '[[route]]\ncarriers = ["up"]\nprefixes = ["44x"]\n', "route[0].prefixes"),
    (SMPP + '[[route]]\ncarriers = ["up"]\ncolour = "red"\n', "route[0].colour"),
    ('[[route]]\ncarriers = "up"\n', "route[0].carriers"),
    (SMPP.replace("port = 1", 'host = "no-such-host.invalid"\nport = 1') + ROUTE, "carrier (up).host"),
    ('[carrier]\nworkers = 2\n' + SMPP, None),   # TOML itself refuses a table and an array of the same name
])
def test_bad_upstream_config_refused_naming_the_key(smppd_bin, tmp_path, toml, key):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    proc = harness.run_tool(smppd_bin, ["--config", str(cfg), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                                        "--data-dir", str(tmp_path / "data")], cwd=tmp_path)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 78, f"exit {proc.returncode} for:\n{toml}\nstderr:\n{err}"
    if key:
        assert key in err, f"stderr does not name {key!r}:\n{err}"
    assert "event=listening" not in err


def test_unreachable_upstream_starts_and_reports_it(smppd):
    """A route to an SMPP upstream that refuses connections: smppd starts, logs the failed
    connects and reports the carrier; messages wait (parked or queued) rather than fail."""
    port = upstream.free_port()   # nothing listens there
    d = smppd(accounts=[msgkit.ACME], carriers=[upstream.smpp_carrier("up", port, **{"breaker-failures": 2})],
              routes=[{"carriers": ["up"]}], allow_errors=[r"event=upstream-"])
    d.wait_for_event("upstream-connect-failed", timeout=10, carrier="up")
    d.wait_for_event("upstream-circuit-open", timeout=10, carrier="up")
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        mid = c.submit_ok(msgkit.ORDINARY, b"waits")
        q = c.query(mid, source_addr=msgkit.ACME_DEFAULT)
        assert q.status == 0
    carriers = msgkit.admin(d, "GET", "/v1/carriers").json()
    up = next(x for x in carriers["carriers"] if x["name"] == "up")
    assert up["kind"] == "smpp" and up["connections"] == 0 and up["circuit"] in ("open", "half-open"), up
    assert carriers["parked"] + carriers["unanswered"] >= 1, carriers
    m = msgkit.metrics(d)
    assert msgkit.metric(m, "smppd_upstream_circuit", carrier="up", state=up["circuit"]) == 1


def _toml_blocks(text: str) -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```", text, flags=re.S | re.M)


@pytest.mark.parametrize("doc", ["docs/upstream.md", "README.md"])
def test_documented_forwarding_examples_load(smppd, test_cert, doc):
    """The [[carrier]]/[[route]] examples in the docs start a daemon as written, with only the
    host names pointed at 127.0.0.1 and the CA file at a real one (the daemon looks names up
    at start and reads the CA file)."""
    text = (ROOT / doc).read_text()
    blocks = [b for b in _toml_blocks(text) if "[[carrier]]" in b]
    assert blocks, f"{doc} lost its forwarding example"
    for block in blocks:
        block = re.sub(r'^host = ".*"$', 'host = "127.0.0.1"', block, flags=re.M)
        block = re.sub(r'^ca-file = ".*"$', f'ca-file = "{test_cert[0]}"', block, flags=re.M)
        block = re.sub(r'^url = "https://[^/"]*', 'url = "https://127.0.0.1:1', block, flags=re.M)
        d = smppd(config_text=lambda data_dir: harness.toml_dumps({"server": {
                      "listen": "127.0.0.1:0", "admin": "127.0.0.1:0", "data-dir": str(data_dir)}}) + "\n" + block,
                  allow_errors=[r"event=upstream-"])
        carriers = {c["name"]: c["kind"] for c in msgkit.admin(d, "GET", "/v1/carriers").json()["carriers"]}
        assert carriers.get("simulator") == "simulator" and len(carriers) >= 2, carriers
        d.stop()
