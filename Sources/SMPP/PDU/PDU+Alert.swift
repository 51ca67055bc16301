// alert_notification: SMPP v3.4 §4.12 (SMSC to ESME; it has no response). The struct, its view
// and the fields come from pdus.def (Generated/AlertNotificationLayout.swift); here only what
// the definition cannot say. Value types; any thread.

extension AlertNotification {
    /// The mandatory fields and `tlvs`, then ms_availability_status when set.
    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try writeFields(&w)
        if let msAvailabilityStatus { w.tlv(.ms_availability_status, uint8: msAvailabilityStatus) }
    }
}
