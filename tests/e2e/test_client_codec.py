"""Checks of the suite's own tools, without a daemon: the SMPP encoder/decoder against
hand-written hex (SMPP v3.4 sections 3.2 and 4.1) and against smpplib, the TOML writer,
the logfmt reader. If these fail, the end-to-end results mean nothing."""

import ssl
import tomllib

import pytest
import smpplib.smpp

import harness
import smpp

# bind_transceiver, seq 1, system_id "acme", password "secret", system_type "",
# interface_version 0x34, addr_ton 0, addr_npi 0, address_range "" -- written by hand.
BIND_TRX_HEX = (
    "00000021"  # command_length 33
    "00000009"  # bind_transceiver
    "00000000"  # command_status
    "00000001"  # sequence_number
    "61636d6500"  # "acme\0"
    "73656372657400"  # "secret\0"
    "00"  # system_type ""
    "34"  # interface_version 3.4
    "00" "00"  # addr_ton, addr_npi
    "00"  # address_range ""
)
ENQUIRE_LINK_HEX = "00000010" "00000015" "00000000" "00000002"


def test_bind_transceiver_matches_hand_written_hex():
    assert smpp.bind("transceiver", 1, "acme", "secret").hex() == BIND_TRX_HEX


def test_bind_modes_use_spec_command_ids():
    assert smpp.bind("transmitter", 7, "a", "b")[4:8].hex() == "00000002"
    assert smpp.bind("receiver", 7, "a", "b")[4:8].hex() == "00000001"
    assert smpp.bind("transceiver", 7, "a", "b")[4:8].hex() == "00000009"


def test_enquire_link_matches_hand_written_hex():
    assert smpp.enquire_link(2).hex() == ENQUIRE_LINK_HEX
    assert smpp.enquire_link_resp(2).hex() == "00000010" "80000015" "00000000" "00000002"
    assert smpp.unbind(3).hex() == "00000010" "00000006" "00000000" "00000003"
    assert smpp.generic_nack(9, smpp.ESME_RINVCMDID).hex() == "00000010" "80000000" "00000003" "00000009"


def test_decode_bind_resp_with_interface_version_tlv():
    raw = bytes.fromhex("0000001c" "80000009" "00000000" "00000001" "736d73632d3100" "0210000134")
    pdu = smpp.decode_pdu(raw)
    assert (pdu.command_id, pdu.status, pdu.sequence) == (smpp.BIND_TRANSCEIVER_RESP, 0, 1)
    resp = smpp.decode_bind_resp(pdu)
    assert resp.system_id == "smsc-1"
    assert resp.tlvs == {smpp.TLV_SC_INTERFACE_VERSION: b"\x34"}


def test_decode_error_bind_resp_without_body():
    pdu = smpp.decode_pdu(bytes.fromhex("00000010" "80000002" "0000000e" "00000005"))
    assert pdu.status == smpp.ESME_RINVPASWD
    assert smpp.decode_bind_resp(pdu).system_id is None


def test_split_pdus_keeps_partial_tail():
    buf = bytearray(bytes.fromhex(ENQUIRE_LINK_HEX) + bytes.fromhex(BIND_TRX_HEX)[:20])
    pdus = smpp.split_pdus(buf)
    assert [p.command_id for p in pdus] == [smpp.ENQUIRE_LINK]
    assert len(buf) == 20
    buf += bytes.fromhex(BIND_TRX_HEX)[20:]
    assert [p.sequence for p in smpp.split_pdus(buf)] == [1]
    assert not buf


def test_split_pdus_rejects_lost_framing():
    with pytest.raises(smpp.DecodeError):
        smpp.split_pdus(bytearray(bytes.fromhex("00000008" "00000015")))


def test_cstring_limits():
    assert smpp.cstring("x" * 15, 16) == b"x" * 15 + b"\x00"
    with pytest.raises(ValueError):
        smpp.cstring("x" * 16, 16)
    with pytest.raises(ValueError):
        smpp.cstring(b"a\x00b", 16)


def test_submit_sm_layout():
    raw = smpp.submit_sm(5, "+12125551234", b"hi")
    pdu = smpp.decode_pdu(raw)
    body = pdu.body
    service_type, pos = smpp.read_cstring(body, 0, 6)
    assert service_type == b""
    assert body[pos:pos + 2] == b"\x01\x01"
    source, pos = smpp.read_cstring(body, pos + 2, 21)
    assert source == b""
    assert body[pos:pos + 2] == b"\x01\x01"
    dest, pos = smpp.read_cstring(body, pos + 2, 21)
    assert dest == b"+12125551234"
    assert body[pos:pos + 3] == b"\x00\x00\x00"  # esm_class, protocol_id, priority_flag
    sched, pos = smpp.read_cstring(body, pos + 3, 17)
    validity, pos = smpp.read_cstring(body, pos, 17)
    assert (sched, validity) == (b"", b"")
    assert body[pos:pos + 5] == b"\x00\x00\x00\x00\x02"  # reg_delivery, replace, dcs, default_msg_id, sm_length
    assert body[pos + 5:] == b"hi"


def _smpplib_client():
    return smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)


@pytest.mark.parametrize("mode", ["transmitter", "receiver", "transceiver"])
def test_bind_agrees_with_smpplib(mode):
    """Two independent encoders produce the same bytes."""
    import smpplib.client  # noqa: F401  (registers smpplib.client for _smpplib_client)
    p = smpplib.smpp.make_pdu(f"bind_{mode}", client=_smpplib_client(), system_id="acme", password="secret",
                              system_type="", interface_version=0x34, addr_ton=0, addr_npi=0, address_range="")
    p.sequence = 41
    assert smpp.bind(mode, 41, "acme", "secret").hex() == p.generate().hex()


def test_our_decoder_reads_smpplib_enquire_link_resp():
    import smpplib.client  # noqa: F401
    p = smpplib.smpp.make_pdu("enquire_link_resp", client=_smpplib_client())
    p.sequence = 77
    pdu = smpp.decode_pdu(p.generate())
    assert (pdu.command_id, pdu.sequence, pdu.body) == (smpp.ENQUIRE_LINK_RESP, 77, b"")


def test_names():
    assert smpp.command_name(smpp.BIND_TRANSCEIVER_RESP) == "bind_transceiver_resp"
    assert smpp.status_name(0x0E) == "ESME_RINVPASWD"
    assert smpp.status_name(0x12345) == "0x00012345"


def test_client_hello_is_a_tls_handshake_record():
    hello = smpp.client_hello_bytes()
    assert hello[0] == 0x16 and hello[5] == 0x01  # handshake record, ClientHello


def test_tls11_context_offers_tls11():
    """The TLS 1.1 refusal test is only meaningful if our client can offer TLS 1.1."""
    ctx = smpp.client_context(max_version=ssl.TLSVersion.TLSv1_1)
    assert ctx.maximum_version == ssl.TLSVersion.TLSv1_1
    assert ctx.minimum_version <= ssl.TLSVersion.TLSv1_1


def test_config_writer_produces_valid_toml(tmp_path):
    text = harness.make_config(tmp_path / "data", timeouts={"bind-ms": 500},
                               accounts=[harness.account("acme", "se\"cret", max_sessions=2,
                                                         bind_modes=["receiver"], allowed_ips=[])])
    doc = tomllib.loads(text)
    assert doc["server"]["listen"] == "127.0.0.1:0"
    assert doc["server"]["system-id"] == harness.SERVER_SYSTEM_ID
    assert doc["timeouts"]["bind-ms"] == 500
    assert doc["account"][0] == {"system-id": "acme", "password": 'se"cret', "numbers": ["+12125550100"],
                                 "default-number": "+12125550100", "max-sessions": 2,
                                 "bind-modes": ["receiver"], "allowed-ips": []}


def test_logfmt_reader():
    line = ('ts=2026-11-26T23:59:59.123Z level=info event=listening proto=tls addr=127.0.0.1:40123 '
            'msg="hello \\"world\\"" empty=')
    kv = harness.parse_logfmt(line)
    assert kv["event"] == "listening" and kv["addr"] == "127.0.0.1:40123"
    assert kv["msg"] == 'hello "world"' and kv["empty"] == ""
    assert harness.peer_matches("127.0.0.1:5555", 5555)
    assert harness.peer_matches("[::ffff:127.0.0.1]:5555", 5555)
    assert not harness.peer_matches("127.0.0.1:55555", 5555)


def test_fingerprint_normalisation():
    hexd = "ab" * 32
    assert harness.normalize_fingerprint("SHA256:" + ":".join(["AB"] * 32)) == hexd
    assert harness.normalize_fingerprint("sha256=" + hexd) == hexd
    assert harness.normalize_fingerprint(hexd.upper()) == hexd
