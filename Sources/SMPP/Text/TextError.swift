// TextError: why message bytes are not valid text in their data_coding, or a String cannot
// be carried in one (C-SUB-3). Returned, never thrown, by the transcoding functions.

/// Why message bytes could not be decoded, or a String could not be encoded.
public enum TextError: Error, Hashable, Sendable {
    /// The data_coding has no charset (C-SUB-3); nothing was converted.
    case unsupportedCoding(DataCoding)
    /// A byte not allowed in the coding (ASCII above 0x7F), at this byte offset.
    case invalidByte(offset: Int)
    /// UCS-2 input with an odd number of bytes.
    case oddLength
    /// A UCS-2 surrogate without its partner; offset of its first byte.
    case unpairedSurrogate(offset: Int)
    /// The String holds a scalar the coding cannot carry (e.g. "é" in ASCII).
    case unrepresentable(Unicode.Scalar)
}
