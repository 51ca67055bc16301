// Byte-exact PDU vectors, assembled by hand from the SMPP v3.4 field tables (chapter 4), not
// produced by our encoder. `a` is ASCII without a NUL, `c` a C-Octet String (ASCII + NUL).
// Each vector's command_length was counted by hand; `vectorLengthsMatchCommandLength` checks
// the count against the assembled bytes.

func a(_ s: String) -> [UInt8] { Array(s.utf8) }
func c(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }

/// The 59-character text of the benchmark's typical submit_sm.
let typicalText = "Hello from smppd! This is a typical 59 character message ok"
let receiptText = "id:msg-0001 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:Hello from smppd! Th"

enum Vectors {
    // §4.1.1 bind_transmitter: system_id, password, system_type, interface_version, addr_ton,
    // addr_npi, address_range. 16 + 12 + 9 + 1 + 3 + 1 = 42.
    static let bindTransmitter = hex("0000002A 00000002 00000000 00000001") + c("smppclient1") + c("password") + c("")
        + hex("34 01 01") + c("")
    // §4.1.3 bind_receiver, address_range "^44" (16 + 12 + 9 + 1 + 3 + 4 = 45).
    static let bindReceiver = hex("0000002D 00000001 00000000 00000002") + c("smppclient1") + c("password") + c("")
        + hex("34 00 00") + c("^44")
    // §4.1.5 bind_transceiver, system_type "VMA" (16 + 12 + 9 + 4 + 3 + 1 = 45).
    static let bindTransceiver = hex("0000002D 00000009 00000000 00000003") + c("smppclient1") + c("password") + c("VMA")
        + hex("34 01 01") + c("")
    // §4.1.2 bind_transmitter_resp with sc_interface_version TLV (16 + 6 + 5 = 27).
    static let bindTransmitterResp = hex("0000001B 80000002 00000000 00000001") + c("SMPPD") + hex("0210 0001 34")
    // §4.1.4 bind_receiver_resp, error ESME_RINVPASWD with the body omitted (16).
    static let bindReceiverRespError = hex("00000010 80000001 0000000E 00000002")
    // §4.1.6 bind_transceiver_resp without TLVs (16 + 6 = 22).
    static let bindTransceiverResp = hex("00000016 80000009 00000000 00000003") + c("SMPPD")
    // §4.1.7 outbind (16 + 6 + 7 = 29).
    static let outbind = hex("0000001D 0000000B 00000000 00000004") + c("smppd") + c("secret")
    // §4.2 unbind / unbind_resp.
    static let unbind = hex("00000010 00000006 00000000 00000007")
    static let unbindResp = hex("00000010 80000006 00000000 00000007")
    // §4.3 generic_nack with ESME_RINVCMDID.
    static let genericNack = hex("00000010 80000000 00000003 00000009")
    // §4.4.1 submit_sm, the benchmark's typical 116-octet PDU: E.164 source and destination,
    // 59-character ASCII text, registered_delivery 1.
    // 16 + 1 + 2 + 13 + 2 + 13 + 3 + 1 + 1 + 4 + 1 + 59 = 116.
    static let submitSM = hex("00000074 00000004 00000000 0000000A") + c("") + hex("01 01") + c("447700900123")
        + hex("01 01") + c("447700900456") + hex("00 00 00") + c("") + c("") + hex("01 00 00 00") + hex("3B") + a(typicalText)
    // submit_sm with service_type, relative validity_period, priority 1, sar_* TLVs and an
    // unknown vendor TLV 0x1401 (kept and skipped).
    // 16 + 4 + 2 + 13 + 2 + 13 + 3 + 1 + 17 + 4 + 1 + 8 + 6 + 5 + 5 + 7 = 107.
    static let submitSMWithTLVs = hex("0000006B 00000004 00000000 0000000B") + c("CMT") + hex("01 01") + c("447700900123")
        + hex("01 01") + c("447700900456") + hex("00 00 01") + c("") + c("000001000000000R") + hex("01 00 00 00")
        + hex("08") + a("part one")
        + hex("020C 0002 1234") + hex("020E 0001 02") + hex("020F 0001 01") + hex("1401 0003") + a("abc")
    // §4.4.2 submit_sm_resp (16 + 9 = 25).
    static let submitSMResp = hex("00000019 80000004 00000000 0000000A") + c("msg-0001")
    // submit_sm_resp, ESME_RSUBMITFAIL, body omitted.
    static let submitSMRespError = hex("00000010 80000004 00000045 0000000A")
    // §4.5.1 submit_multi to one SME address and one distribution list.
    // 16 + 1 + 2 + 9 + 1 + 16 + 9 + 3 + 1 + 1 + 4 + 1 + 2 = 66.
    static let submitMulti = hex("00000042 00000021 00000000 0000000C") + c("") + hex("01 01") + c("12345678")
        + hex("02") + hex("01 01 01") + c("447700900123") + hex("02") + c("friends")
        + hex("00 00 00") + c("") + c("") + hex("00 00 00 00") + hex("02") + a("hi")
    // §4.5.2 submit_multi_resp with one unsuccessful destination (ESME_RINVDSTADR).
    // 16 + 3 + 1 + 2 + 13 + 4 = 39.
    static let submitMultiResp = hex("00000027 80000021 00000000 0000000C") + c("m1") + hex("01")
        + hex("01 01") + c("447700900456") + hex("0000000B")
    // §4.6.1 deliver_sm delivery receipt (C-DLV-1): esm_class 0x04, the receipt text, and the
    // TLVs receipted_message_id, message_state DELIVERED (2), network_error_code GSM/0.
    // 16 + 1 + 2 + 13 + 2 + 13 + 3 + 1 + 1 + 4 + 1 + 120 + 13 + 5 + 7 = 202.
    static let deliverSMReceipt = hex("000000CA 00000005 00000000 0000000D") + c("") + hex("01 01") + c("447700900456")
        + hex("01 01") + c("447700900123") + hex("04 00 00") + c("") + c("") + hex("00 00 00 00") + hex("78") + a(receiptText)
        + hex("001E 0009") + c("msg-0001") + hex("0427 0001 02") + hex("0423 0003 03 0000")
    // §4.6.2 deliver_sm_resp, message_id NULL (16 + 1 = 17).
    static let deliverSMResp = hex("00000011 80000005 00000000 0000000D") + c("")
    // §4.7.1 data_sm with message_payload and source_port.
    // 16 + 4 + 2 + 13 + 2 + 13 + 3 + 9 + 6 = 68.
    static let dataSM = hex("00000044 00000103 00000000 0000000E") + c("WAP") + hex("01 01") + c("447700900123")
        + hex("01 01") + c("447700900456") + hex("00 01 04") + hex("0424 0005") + a("hello") + hex("020A 0002 0B84")
    // §4.7.2 data_sm_resp with delivery_failure_reason (16 + 3 + 5 = 24).
    static let dataSMResp = hex("00000018 80000103 00000000 0000000E") + c("d1") + hex("0425 0001 00")
    // §4.8.1 query_sm (16 + 9 + 2 + 13 = 40).
    static let querySM = hex("00000028 00000003 00000000 0000000F") + c("msg-0001") + hex("01 01") + c("447700900123")
    // §4.8.2 query_sm_resp: final_date, message_state DELIVERED, error_code 0 (16 + 9 + 17 + 2 = 44).
    static let querySMResp = hex("0000002C 80000003 00000000 0000000F") + c("msg-0001") + c("240101120100000+")
        + hex("02 00")
    // §4.9.1 cancel_sm (16 + 1 + 9 + 2 + 13 + 2 + 13 = 56).
    static let cancelSM = hex("00000038 00000008 00000000 00000010") + c("") + c("msg-0001") + hex("01 01")
        + c("447700900123") + hex("01 01") + c("447700900456")
    // §4.9.2 cancel_sm_resp.
    static let cancelSMResp = hex("00000010 80000008 00000000 00000010")
    // §4.10.1 replace_sm (16 + 9 + 2 + 13 + 1 + 1 + 1 + 1 + 1 + 5 = 50).
    static let replaceSM = hex("00000032 00000007 00000000 00000011") + c("msg-0001") + hex("01 01") + c("447700900123")
        + c("") + c("") + hex("01 00") + hex("05") + a("hello")
    // §4.10.2 replace_sm_resp, ESME_RREPLACEFAIL.
    static let replaceSMResp = hex("00000010 80000007 00000013 00000011")
    // §4.11 enquire_link / enquire_link_resp.
    static let enquireLink = hex("00000010 00000015 00000000 00000012")
    static let enquireLinkResp = hex("00000010 80000015 00000000 00000012")
    // §4.12.1 alert_notification with ms_availability_status (16 + 2 + 13 + 2 + 6 + 5 = 44).
    static let alertNotification = hex("0000002C 00000102 00000000 00000013") + hex("01 01") + c("447700900123")
        + hex("01 01") + c("12345") + hex("0422 0001 00")

    /// Every vector, named.
    static let all: [(name: String, bytes: [UInt8])] = [
        ("bind_transmitter", bindTransmitter), ("bind_receiver", bindReceiver), ("bind_transceiver", bindTransceiver),
        ("bind_transmitter_resp", bindTransmitterResp), ("bind_receiver_resp_error", bindReceiverRespError),
        ("bind_transceiver_resp", bindTransceiverResp), ("outbind", outbind), ("unbind", unbind),
        ("unbind_resp", unbindResp), ("generic_nack", genericNack), ("submit_sm", submitSM),
        ("submit_sm_tlvs", submitSMWithTLVs), ("submit_sm_resp", submitSMResp), ("submit_sm_resp_error", submitSMRespError),
        ("submit_multi", submitMulti), ("submit_multi_resp", submitMultiResp), ("deliver_sm_receipt", deliverSMReceipt),
        ("deliver_sm_resp", deliverSMResp), ("data_sm", dataSM), ("data_sm_resp", dataSMResp), ("query_sm", querySM),
        ("query_sm_resp", querySMResp), ("cancel_sm", cancelSM), ("cancel_sm_resp", cancelSMResp),
        ("replace_sm", replaceSM), ("replace_sm_resp", replaceSMResp), ("enquire_link", enquireLink),
        ("enquire_link_resp", enquireLinkResp), ("alert_notification", alertNotification),
    ]
}
