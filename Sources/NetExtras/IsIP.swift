// Node's `net.isIP`, `net.isIPv4` and `net.isIPv6` as module-level functions.
//
// Node tests strings against two regular expressions (lib/internal/net.js); these functions
// accept exactly the same strings with a scanner over the UTF-8 bytes that neither allocates nor
// uses regular expressions.

/// Whether `input` is an IPv4 address in dotted-decimal form (Node's `net.isIPv4`).
///
/// Exactly four decimal fields separated by dots, each 0–255 and written without leading zeros
/// (`0`–`9`, `10`–`99`, `100`–`255`). Nothing else is allowed: no surrounding spaces, no
/// trailing dot, no port, no shorthand such as `127.1`.
///
/// ```swift
/// isIPv4("127.0.0.1")   // true
/// isIPv4("127.000.0.1") // false
/// ```
public func isIPv4(_ input: String) -> Bool {
    IPText.withUTF8(input) { IPText.parseIPv4($0, 0, $0.count) != nil }
}

/// Whether `input` is an IPv6 address in any RFC 4291 text form (Node's `net.isIPv6`).
///
/// Eight groups of one to four hex digits (either case) separated by colons, with at most one
/// `::` standing for one or more zero groups (Node also accepts it standing for none, as in
/// `1:2:3:4:5:6:7::`), optionally ending in a dotted IPv4 address for the last 32 bits
/// (`::ffff:192.0.2.1`), optionally followed by a zone id: `%` and one or more of
/// `0-9 a-z A-Z - . :` (`fe80::1%eth0`).
///
/// ```swift
/// isIPv6("::1")            // true
/// isIPv6("fe80::1%eth0")   // true
/// isIPv6("1::2::3")        // false
/// ```
public func isIPv6(_ input: String) -> Bool {
    IPText.withUTF8(input) { bytes in
        var end = 0
        while end < bytes.count && bytes[end] != UInt8(ascii: "%") { end += 1 }
        if end < bytes.count {
            // A zone id: one or more of [0-9a-zA-Z-.:].
            guard end + 1 < bytes.count else { return false }
            for i in (end + 1)..<bytes.count where !isZoneByte(bytes[i]) { return false }
        }
        return IPText.parseIPv6(bytes, 0, end) != nil
    }
}

/// The IP version of `input`: `4` for an IPv4 address, `6` for an IPv6 address, `0` otherwise
/// (Node's `net.isIP`). The rules are those of ``isIPv4(_:)`` and ``isIPv6(_:)``.
///
/// ```swift
/// isIP("127.0.0.1")  // 4
/// isIP("::1")        // 6
/// isIP("localhost")  // 0
/// ```
public func isIP(_ input: String) -> Int {
    if isIPv4(input) { return 4 }
    if isIPv6(input) { return 6 }
    return 0
}

@inline(__always)
private func isZoneByte(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"):
        return true
    default:
        return false
    }
}
