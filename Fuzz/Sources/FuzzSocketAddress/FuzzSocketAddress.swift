// Fuzzes SocketAddress.parse with the input as UTF-8 text. Checks: a parsed address has a port
// in range and an address of its family, and building it again from its parts gives it back.
import NetExtras

/// Runs one input; traps (so libFuzzer reports it) when a check fails.
func testOneInput(_ input: UnsafeBufferPointer<UInt8>) -> Int32 {
    let text = String(decoding: input, as: UTF8.self)
    guard let a = SocketAddress.parse(text) else { return 0 }
    precondition((0...65535).contains(a.port), "port \(a.port) from \(text.debugDescription)")
    precondition(isIP(a.address) == (a.family == .ipv4 ? 4 : 6), "\(a) from \(text.debugDescription)")
    let rebuilt = try? SocketAddress(address: a.address, family: a.family, port: a.port)
    precondition(rebuilt == a, "\(a) does not rebuild from its parts (from \(text.debugDescription))")
    _ = a.description
    return 0
}
