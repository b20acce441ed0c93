/// An IPv4 or IPv6 address, parsed once and then carried as a value: connect, listen, lookup
/// checks, accept and address filters all take this type, so no address text is read twice.
///
/// ```swift
/// let a = IPAddress("192.0.2.1")        // IPv4
/// let b = IPAddress("FE80::1%eth0")     // IPv6, zone "eth0"; prints as "fe80::1%eth0"
/// IPAddress("01.2.3.4")                 // nil: Node's `net.isIP` refuses leading zeros
/// ```
///
/// Parsing (``init(_:)``) accepts exactly what Node's `net.isIP` accepts; printing
/// (``description``) writes what Node prints for an address (libuv's `inet_ntop`). The value is
/// a fixed-size 128-bit number plus the zone text, if any: an address without a zone never
/// allocates.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// Bytes 0–7 of an IPv6 address in network order, read as a big-endian number; 0 for IPv4.
    package let high: UInt64
    /// Bytes 8–15 of an IPv6 address in network order, read as a big-endian number; for IPv4,
    /// the 32-bit address in the low end (`1.2.3.4` is `0x0102_0304`).
    package let low: UInt64
    /// Whether this is an IPv6 address.
    public let isIPv6: Bool
    /// The IPv6 zone id written after `%` (`eth0` in `fe80::1%eth0`), or `nil`. Always `nil`
    /// for IPv4.
    public let zone: String?

    /// An IPv4 address from its 32-bit value in host order (`0x0102_0304` is `1.2.3.4`).
    public init(ipv4 value: UInt32) {
        high = 0
        low = UInt64(value)
        isIPv6 = false
        zone = nil
    }

    /// An IPv6 address from its 16 bytes as two big-endian halves (bytes 0–7, bytes 8–15), with
    /// an optional zone id.
    public init(ipv6High high: UInt64, low: UInt64, zone: String? = nil) {
        self.high = high
        self.low = low
        isIPv6 = true
        self.zone = zone
    }

    /// `0.0.0.0`, the IPv4 any-address.
    public static let anyIPv4 = IPAddress(ipv4: 0)
    /// `::`, the IPv6 any-address.
    public static let anyIPv6 = IPAddress(ipv6High: 0, low: 0)

    /// 4 or 6, as Node numbers families (`net.isIP`, `socket.remoteFamily` without the `IPv`).
    public var family: Int { isIPv6 ? 6 : 4 }

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { !isIPv6 }

    /// The 32-bit IPv4 value (the low 32 bits): meaningful for IPv4 and IPv4-mapped addresses.
    public var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// Whether this is an IPv6 address of the form `::ffff:a.b.c.d`.
    public var isIPv4Mapped: Bool { isIPv6 && high == 0 && (low >> 32) == 0xFFFF }

    /// Whether this is an IPv6 link-local address, `fe80::/10` (`fe80` … `febf`), which Node's
    /// `listen` skips among a host name's addresses.
    public var isIPv6LinkLocal: Bool { isIPv6 && (high >> 54) == 0x3FA }

    /// The 128 bits as IPv6 holds them (two big-endian halves): an IPv4 value in its
    /// `::ffff:a.b.c.d` form.
    package var ipv6Halves: (high: UInt64, low: UInt64) {
        isIPv6 ? (high, low) : (0, (0xFFFF << 32) | low)
    }

    /// The same address without its zone id.
    public var withoutZone: IPAddress {
        zone == nil ? self : IPAddress(ipv6High: high, low: low)
    }

    /// The text Node prints for the address, followed by `%` and the zone id when there is one:
    /// dotted decimal for IPv4; for IPv6 lowercase hex without leading zeros, the first longest
    /// run of two or more zero groups written `::`, and a dotted tail for `::a.b.c.d` (six
    /// leading zero groups) and `::ffff:a.b.c.d`.
    public var description: String {
        let text = String(unsafeUninitializedCapacity: 45) { IPAddressFormat.write(self, into: $0) }
        guard let zone else { return text }
        return text + "%" + zone
    }
}

/// Writing an address as text into a buffer, without intermediate allocations.
enum IPAddressFormat {
    /// Writes the address (no zone) into `out`, which holds at least 45 bytes; returns the
    /// number of bytes written.
    static func write(_ a: IPAddress, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var n = 0
        if !a.isIPv6 {
            writeIPv4(a.ipv4Value, into: out, at: &n)
            return n
        }
        // The first longest run of zero groups, if at least two long.
        var bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
        for i in 0..<8 {
            if group(a, i) == 0 {
                if curBase < 0 { curBase = i; curLen = 1 } else { curLen += 1 }
            } else if curBase >= 0 {
                if bestBase < 0 || curLen > bestLen { bestBase = curBase; bestLen = curLen }
                curBase = -1
            }
        }
        if curBase >= 0 && (bestBase < 0 || curLen > bestLen) { bestBase = curBase; bestLen = curLen }
        if bestBase >= 0 && bestLen < 2 { bestBase = -1 }

        var i = 0
        while i < 8 {
            if bestBase >= 0 && i >= bestBase && i < bestBase + bestLen {
                if i == bestBase { put(UInt8(ascii: ":"), into: out, at: &n) }
                i += 1
                continue
            }
            if i != 0 { put(UInt8(ascii: ":"), into: out, at: &n) }
            if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && group(a, 5) == 0xFFFF)) {
                writeIPv4(a.ipv4Value, into: out, at: &n)
                return n
            }
            writeHex(group(a, i), into: out, at: &n)
            i += 1
        }
        if bestBase >= 0 && bestBase + bestLen == 8 { put(UInt8(ascii: ":"), into: out, at: &n) }
        return n
    }

    /// IPv6 group `i` (0…7) of `a`.
    @inline(__always)
    private static func group(_ a: IPAddress, _ i: Int) -> Int {
        let half = i < 4 ? a.high : a.low
        return Int((half >> UInt64(48 - 16 * (i % 4))) & 0xFFFF)
    }

    @inline(__always)
    private static func put(_ byte: UInt8, into out: UnsafeMutableBufferPointer<UInt8>, at n: inout Int) {
        out[n] = byte
        n += 1
    }

    private static func writeIPv4(_ v: UInt32, into out: UnsafeMutableBufferPointer<UInt8>, at n: inout Int) {
        for shift in stride(from: 24, through: 0, by: -8) {
            let octet = Int((v >> UInt32(shift)) & 0xFF)
            if octet >= 100 { put(UInt8(ascii: "0") + UInt8(octet / 100), into: out, at: &n) }
            if octet >= 10 { put(UInt8(ascii: "0") + UInt8(octet / 10 % 10), into: out, at: &n) }
            put(UInt8(ascii: "0") + UInt8(octet % 10), into: out, at: &n)
            if shift != 0 { put(UInt8(ascii: "."), into: out, at: &n) }
        }
    }

    private static func writeHex(_ value: Int, into out: UnsafeMutableBufferPointer<UInt8>, at n: inout Int) {
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let d = (value >> shift) & 0xF
            if d != 0 || started || shift == 0 {
                started = true
                put(d < 10 ? UInt8(ascii: "0") + UInt8(d) : UInt8(ascii: "a") + UInt8(d - 10), into: out, at: &n)
            }
        }
    }
}
