// The limits pdus.def gives, checked for every command_id it describes, with inputs built from
// the definition itself (DefinedLayouts, generated with the codec): each bounded field is
// accepted at its longest and refused one octet past it with its own status and name.
@testable import SMPP
import Testing

@Suite struct DefinedLimitsTests {
    /// A body for `fields` that decodes: every string empty but the one at `index`, which gets
    /// `length` characters; octets 0, no short_message, the shortest valid list.
    static func body(_ fields: [DefinedField], stretching index: Int? = nil, to length: Int = 0) -> [UInt8] {
        var b: [UInt8] = []
        for (i, field) in fields.enumerated() {
            switch field {
            case .cString, .time:
                b += [UInt8](repeating: UInt8(ascii: "1"), count: i == index ? length : 0) + [0]
            case .octet, .shortMessage:
                b.append(0)
            case .list(let count):
                // One distribution list named "A" for submit_multi; no entries for the response.
                b += count.description == "number_of_dests" ? [1, 2, UInt8(ascii: "A"), 0] : [0]
            }
        }
        return b
    }

    @Test func everyDefinedBodyDecodesWithItsFieldsEmpty() {
        for layout in DefinedLayouts.all {
            for id in layout.commandIDs {
                let e = decodeError(fixLength(header(id.rawValue) + Self.body(layout.fields)))
                #expect(e == nil, "\(layout.name) as \(id.name): \(String(describing: e))")
            }
        }
    }

    @Test func everyBoundedFieldIsTakenAtItsLimitAndRefusedPastIt_C_ERR_2() {
        var checked = 0
        for layout in DefinedLayouts.all {
            for id in layout.commandIDs {
                for (i, field) in layout.fields.enumerated() {
                    let spec: FieldSpec, longest: Int
                    switch field {
                    case .cString(let s): (spec, longest) = (s, s.maxLength - 1)   // maxLength counts the NUL
                    case .time(let s): (spec, longest) = (s, 16)   // SMPP times are empty or 16 characters
                    default: continue
                    }
                    let atLimit = fixLength(header(id.rawValue) + Self.body(layout.fields, stretching: i, to: longest))
                    #expect(decodeError(atLimit) == nil, "\(id.name) \(spec.name) of \(longest)")
                    let past = fixLength(header(id.rawValue) + Self.body(layout.fields, stretching: i, to: longest + 1))
                    let e = decodeError(past)
                    #expect(e?.status == spec.tooLongStatus && e?.fieldName == spec.name.description,
                            "\(id.name) \(spec.name) of \(longest + 1): \(String(describing: e))")
                    checked += 1
                }
            }
        }
        // 12 layouts, 17 command_ids, 49 bounded fields: a table that shrank by accident shows here.
        #expect(checked == 49, "bounded fields checked: \(checked)")
    }
}
