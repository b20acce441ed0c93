// Node's `net.isIP`, `net.isIPv4` and `net.isIPv6` as module-level functions.
//
// Node tests strings against two regular expressions (lib/internal/net.js); these functions
// accept exactly the same strings. They ask NetCore's `IPAddress` parser, the one every connect,
// listen and lookup check uses, through its allocation-free byte scanner.

import NetCore

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
    IPAddress.family(of: input) == 4
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
    IPAddress.family(of: input) == 6
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
    IPAddress.family(of: input)
}
