// Fuzzes Buffer's text codecs. The input is read twice: as text decoded with hex, base64 and
// base64url (whatever bytes come out must encode and decode back to themselves, and
// byteLength must agree), and as raw bytes turned into text in every encoding and, where the
// encoding is lossless, back into the same bytes.
import NetCore

/// Runs one input; traps (so libFuzzer reports it) when a check fails.
func testOneInput(_ input: UnsafeBufferPointer<UInt8>) -> Int32 {
    let raw = Buffer(copying: UnsafeRawBufferPointer(input))
    let text = String(decoding: input, as: UTF8.self)
    for encoding in BufferEncoding.allCases {
        let decoded = Buffer(text, encoding: encoding)
        precondition(Buffer.byteLength(text, encoding: encoding) == decoded.count, "byteLength(\(encoding))")
        let printed = raw.toString(encoding)
        switch encoding {
        case .hex, .base64, .base64url:
            precondition(Buffer(decoded.toString(encoding), encoding: encoding) == decoded, "\(encoding) of decoded text")
            precondition(Buffer(printed, encoding: encoding) == raw, "\(encoding) round trip of raw bytes")
        case .latin1:
            precondition(Buffer(printed, encoding: .latin1) == raw, "latin1 round trip")
        case .utf16le:
            precondition(Buffer(printed, encoding: .utf16le).count <= raw.count, "utf16le grew")
        case .utf8, .ascii:
            break
        }
        // Ranges never trap, whatever the bounds.
        let cut = input.isEmpty ? 0 : Int(input[0]) - 128
        _ = raw.toString(encoding, start: cut, end: input.count - cut)
        _ = raw.subarray(cut, -cut).toString(encoding)
    }
    return 0
}
