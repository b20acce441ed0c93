// Fuzzes StringDecoder across chunk boundaries. Input: byte 0 picks the encoding, byte 1 the
// number of cuts (0…7), the next bytes the chunk lengths; the rest is the data, fed in those
// chunks and then end(). Checks: for every encoding but UTF-8, and for UTF-8 data that is valid,
// the text equals decoding all the data at once (`toString`).
import NetCore

/// Runs one input; traps (so libFuzzer reports it) when a check fails.
func testOneInput(_ input: UnsafeBufferPointer<UInt8>) -> Int32 {
    guard input.count >= 2 else { return 0 }
    let encodings = BufferEncoding.allCases
    let encoding = encodings[Int(input[0]) % encodings.count]
    let cuts = Int(input[1] % 8)
    guard input.count >= 2 + cuts else { return 0 }
    let lengths = input[2..<(2 + cuts)].map(Int.init)
    let body = Buffer(input[(2 + cuts)...])
    var decoder = StringDecoder(encoding)
    var text = ""
    var at = 0
    for n in lengths + [body.count] {
        let end = Swift.min(body.count, at + n)
        text += decoder.write(body.subarray(at, end))
        at = end
    }
    text += decoder.end()
    let whole = body.toString(encoding)
    if encoding != .utf8 || body.withUnsafeBytes({ String(validating: $0, as: UTF8.self) != nil }) {
        precondition(text == whole, "\(encoding) decoded in chunks \(lengths) differs from decoding at once")
    }
    return 0
}
