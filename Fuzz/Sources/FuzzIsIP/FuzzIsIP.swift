// Fuzzes isIP/isIPv4/isIPv6 and SocketAddress(address:family:) with the input as UTF-8 text.
// Checks: the three answers agree with each other, and an accepted address prints in a form that
// parses back to itself.
import NetExtras

/// Runs one input; traps (so libFuzzer reports it) when a check fails.
func testOneInput(_ input: UnsafeBufferPointer<UInt8>) -> Int32 {
    let text = String(decoding: input, as: UTF8.self)
    let kind = isIP(text)
    precondition([0, 4, 6].contains(kind), "isIP returned \(kind)")
    precondition((kind == 4) == isIPv4(text), "isIP and isIPv4 disagree on \(text.debugDescription)")
    precondition((kind == 6) == isIPv6(text), "isIP and isIPv6 disagree on \(text.debugDescription)")
    for family in SocketAddress.Family.allCases {
        guard let a = try? SocketAddress(address: text, family: family) else { continue }
        precondition(a.family == family)
        let again = try? SocketAddress(address: a.address, family: family)
        precondition(again?.address == a.address, "\(a.address) does not parse back (from \(text.debugDescription))")
    }
    return 0
}
