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


# --- messaging PDUs (v3.4 4.4-4.9, 4.5 submit_multi, 4.7 data_sm, 5.3 TLVs), hand-written hex ---

def test_submit_sm_with_sar_and_payload_tlvs_hex():
    raw = smpp.submit_sm(3, "+12125551234", b"", source_addr="123", registered_delivery=1, data_coding=8,
                         tlvs=smpp.sar_tlvs(0x0102, 3, 2) + smpp.tlv(smpp.TLV_MESSAGE_PAYLOAD, b"AB"))
    want = ("00000046" "00000004" "00000000" "00000003"
            "00" "01" "01" "31323300"                      # service_type, src ton/npi, "123"
            "01" "01" "2b313231323535353132333400"          # dst ton/npi, "+12125551234"
            "00" "00" "00" "00" "00"                        # esm, pid, prio, sched "", validity ""
            "01" "00" "08" "00" "00"                        # reg_delivery, replace, dcs, default id, sm_length 0
            "020c00020102" "020e000103" "020f000102"        # sar ref 0x0102, total 3, seqnum 2
            "042400024142")                                 # message_payload "AB"
    assert raw.hex() == want


def test_concat_udh_hex():
    assert smpp.concat_udh(0x42, 3, 1).hex() == "0500034203" "01"
    assert smpp.concat_udh(0x1234, 2, 2, ref16=True).hex() == "060804123402" "02"
    assert smpp.ucs2("😀").hex() == "d83dde00"


RECEIPT_TEXT = b"id:a1 sub:001 dlvrd:001 submit date:2611270101 done date:2611270101 stat:DELIVRD err:000 text:hi"


def test_decode_deliver_sm_receipt_hex():
    # deliver_sm, seq 9: service_type "", src 1/1 "16465551234", dst 1/1 "12125550100", esm 0x04,
    # pid 0, prio 0, sched "", validity "", reg 0, replace 0, dcs 0, default 0, sm_length, text,
    # TLVs receipted_message_id "a1\0", message_state 2, network_error_code 03 0000.
    body = ("00" "0101" "313634363535353132333400" "0101" "313231323535353031303000"
            "04" "00" "00" "00" "00" "00" "00" "00" "00" + f"{len(RECEIPT_TEXT):02x}" + RECEIPT_TEXT.hex()
            + "001e0003613100" "0427000102" "04230003030000")
    raw = bytes.fromhex(f"{16 + len(body) // 2:08x}" "00000005" "00000000" "00000009" + body)
    d = smpp.decode_deliver_sm(smpp.decode_pdu(raw))
    assert (d.sequence, d.source_addr, d.destination_addr, d.esm_class) == (9, "16465551234", "12125550100", 4)
    assert d.is_receipt and d.short_message == RECEIPT_TEXT
    assert d.receipted_message_id == "a1" and d.message_state == 2
    assert d.tlvs[smpp.TLV_NETWORK_ERROR_CODE] == b"\x03\x00\x00"
    import msgkit
    r = msgkit.check_receipt(d, message_id="a1", stat="DELIVRD", original_source="+12125550100",
                             original_dest="16465551234", text="hi",
                             submitted_near=msgkit.parse_receipt_date("2611270101"))
    assert (r.dlvrd, r.err) == ("001", "000")
    # our own encoder makes the same bytes
    tl = bytes.fromhex("001e0003613100" "0427000102" "04230003030000")
    assert smpp.deliver_sm(9, "16465551234", "12125550100", RECEIPT_TEXT, esm_class=4, tlvs=tl) == raw


def test_receipt_regex_rejects_near_misses():
    import msgkit
    good = RECEIPT_TEXT.decode()
    assert msgkit.RECEIPT_RE.match(good)
    for bad in (good.replace("sub:001", "sub:1"), good.replace("stat:DELIVRD", "stat:DELIVERED"),
                good.replace("err:000", "err:0"), good.replace("2611270101 done", "26112701 done"),
                good.replace("text:hi", "text:" + "x" * 21), good.replace("dlvrd:001", "dlvrd:1")):
        assert not msgkit.RECEIPT_RE.match(bad), bad


def test_deliver_sm_resp_hex():
    assert smpp.deliver_sm_resp(9).hex() == "00000011" "80000005" "00000000" "00000009" "00"
    assert smpp.deliver_sm_resp(10, 0x14).hex() == "00000011" "80000005" "00000014" "0000000a" "00"


def test_query_and_cancel_sm_hex():
    assert smpp.query_sm(4, "a1", "123").hex() == ("00000019" "00000003" "00000000" "00000004"
                                                  "613100" "01" "01" "31323300")
    assert smpp.cancel_sm(5, "a1").hex() == ("0000001a" "00000008" "00000000" "00000005"
                                            "00" "613100" "0101" "00" "0101" "00")


def test_decode_query_sm_resp_hex():
    raw = bytes.fromhex("00000026" "80000003" "00000000" "00000004" "613100"
                        "3236313132373031303130303030302b00" "02" "00")
    q = smpp.decode_query_sm_resp(smpp.decode_pdu(raw))
    assert q == smpp.QuerySmResp("a1", "261127010100000+", 2, 0)
    err = smpp.decode_pdu(bytes.fromhex("00000010" "80000003" "00000067" "00000004"))
    assert err.status == smpp.ESME_RQUERYFAIL and smpp.decode_query_sm_resp(err) is None


def test_data_sm_hex_and_resp():
    raw = smpp.data_sm(6, "+1234567890", b"hi", registered_delivery=1)
    assert raw.hex() == ("0000002b" "00000103" "00000000" "00000006"
                         "00" "0101" "00" "0101" "2b3132333435363738393000"
                         "00" "01" "00" "04240002" "6869")
    resp = smpp.decode_pdu(bytes.fromhex("00000013" "80000103" "00000000" "00000006" "616200"))
    assert smpp.decode_data_sm_resp(resp).message_id == "ab"


def test_submit_multi_hex_and_resp():
    raw = smpp.submit_multi(7, ["+12345678", "+87654321"], b"x")
    assert raw.hex() == ("0000003a" "00000021" "00000000" "00000007"
                         "00" "0101" "00" "02"
                         "01" "0101" "2b313233343536373800"
                         "01" "0101" "2b383736353433323100"
                         "000000" "00" "00" "0000" "00" "00" "01" "78")
    resp = smpp.decode_pdu(bytes.fromhex("0000001d" "80000021" "00000000" "00000007" "613100" "01"
                                         "0101" "313200" "0000000b"))
    got = smpp.decode_submit_multi_resp(resp)
    assert got.message_id == "a1" and got.unsuccess == [(1, 1, "12", smpp.ESME_RINVDSTADR)]


def test_submit_sm_agrees_with_smpplib():
    import smpplib.client  # noqa: F401
    p = smpplib.smpp.make_pdu("submit_sm", client=_smpplib_client(), source_addr_ton=1, source_addr_npi=1,
                              source_addr="12125550100", dest_addr_ton=1, dest_addr_npi=1,
                              destination_addr="16465551234", short_message=b"hello", registered_delivery=1,
                              esm_class=0, data_coding=0)
    p.sequence = 12
    ours = smpp.submit_sm(12, "16465551234", b"hello", source_addr="12125550100", registered_delivery=1)
    assert ours.hex() == p.generate().hex()


def test_messaging_config_keys(tmp_path):
    text = harness.make_config(tmp_path, server={"admin-token": "t", "message-id-format": "decimal"},
                               messages={"hold-ms": 5}, delivery={"window": 2, "response-timeout-ms": 300},
                               carrier={"seed": 7},
                               accounts=[harness.account("a", "b", credits=3, submit_rate=5, mo_rate=20)])
    doc = tomllib.loads(text)
    assert doc["server"]["admin-token"] == "t" and doc["server"]["message-id-format"] == "decimal"
    assert doc["messages"] == {"hold-ms": 5}
    assert doc["delivery"] == {"window": 2, "response-timeout-ms": 300}
    assert doc["carrier"] == {**harness.FAST_CARRIER, "seed": 7}
    assert doc["carrier"]["latency-max-ms"] == 50
    acct = doc["account"][0]
    assert (acct["credits"], acct["submit-rate"], acct["mo-rate"]) == (3, 5, 20)


def test_prometheus_parser():
    import msgkit
    s = msgkit.parse_metrics('# HELP x y\n# TYPE x counter\nsmppd_pdus_in_total{command="submit_sm",status="ESME_ROK"} 3\n'
                             'smppd_connections 0\nh_bucket{le="+Inf"} 2\n')
    assert msgkit.metric(s, "smppd_pdus_in_total", command="submit_sm") == 3
    assert msgkit.metric(s, "smppd_connections") == 0 and msgkit.metric(s, "h_bucket", le="+Inf") == 2
