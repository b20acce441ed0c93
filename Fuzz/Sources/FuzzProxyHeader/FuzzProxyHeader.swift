// Fuzzes the PROXY protocol header parser with the input as a connection's first bytes.
// Checks: the parser never reads past what it was given, asks for more only with a larger count,
// answers the same for the header's own bytes as for the header followed by anything, answers
// "more" for every cut inside a header, and a header it reads encodes into bytes it reads back
// to the same header.
import NetCore

let parsers = [ProxyHeaderParser(), ProxyHeaderParser(versions: .v1), ProxyHeaderParser(versions: .v2, maxLength: 300)]

/// Runs one input; traps (so libFuzzer reports it) when a check fails.
func testOneInput(_ input: UnsafeBufferPointer<UInt8>) -> Int32 {
    let bytes = Array(input)
    for parser in parsers {
        switch parser.parse(bytes) {
        case .needMore(let atLeast):
            precondition(atLeast > bytes.count, "asked for \(atLeast) bytes having \(bytes.count)")
        case .failed:
            break
        case .header(let header, let length):
            precondition(length > 0 && length <= bytes.count && length <= parser.maxLength)
            precondition(parser.parse(bytes[..<length]) == .header(header, length: length), "the header depends on the bytes after it")
            for cut in [0, length / 2, length - 1] {
                guard case .needMore = parser.parse(bytes[..<cut]) else { preconditionFailure("a cut header at \(cut) of \(length) was not 'more'") }
            }
            precondition((header.source == nil) == (header.destination == nil))
            let again = ProxyHeader(version: header.version, source: header.source, destination: header.destination).encoded()
            precondition(ProxyHeaderParser().parse(again) == .header(header, length: again.count), "\(header) does not encode back")
        }
    }
    return 0
}
