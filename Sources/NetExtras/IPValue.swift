/// A parsed IP address kept as a fixed-size value, so that matching never allocates.
///
/// The 128 bits are two big-endian halves: `high` holds bytes 0–7 and `low` bytes 8–15 of the
/// address in network order, so comparing `(high, low)` as unsigned integers orders addresses the
/// way `memcmp` on the raw bytes does. An IPv4 address keeps its 32 bits in the low end of `low`
/// (`high == 0`), which again compares as the unsigned big-endian number.
struct IPValue: Hashable, Sendable {
    var high: UInt64
    var low: UInt64
    var isIPv6: Bool

    /// An IPv4 address from its 32-bit big-endian value (`1.2.3.4` is `0x0102_0304`).
    init(ipv4: UInt32) {
        high = 0
        low = UInt64(ipv4)
        isIPv6 = false
    }

    /// An IPv6 address from its two big-endian halves.
    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        isIPv6 = true
    }

    /// The IPv4 value (the low 32 bits), meaningful for IPv4 and IPv4-mapped IPv6 values.
    var ipv4: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// True for an IPv6 value of the form `::ffff:a.b.c.d`.
    var isIPv4Mapped: Bool { isIPv6 && high == 0 && (low >> 32) == 0xFFFF }

    /// The 16 bytes as IPv6 would hold them: an IPv4 value becomes `::ffff:a.b.c.d`.
    var mappedHigh: UInt64 { isIPv6 ? high : 0 }
    var mappedLow: UInt64 { isIPv6 ? low : (0xFFFF << 32) | low }
}

/// The outcome of comparing two addresses, as Node's `SocketAddress::compare` reports it.
enum IPOrder {
    case less, same, greater
    /// An IPv4 value against an IPv6 value that is not IPv4-mapped.
    case notComparable
}

extension IPValue {
    /// Node's `SocketAddress::compare`: same-family values compare as unsigned big-endian numbers;
    /// an IPv4 value and an IPv4-mapped IPv6 value compare by their IPv4 parts; an IPv4 value and
    /// any other IPv6 value are not comparable.
    func compare(_ other: IPValue) -> IPOrder {
        switch (isIPv6, other.isIPv6) {
        case (false, false):
            return Self.order(ipv4, other.ipv4)
        case (true, true):
            if high != other.high { return high < other.high ? .less : .greater }
            return Self.order(low, other.low)
        case (false, true):
            guard other.isIPv4Mapped else { return .notComparable }
            return Self.order(ipv4, other.ipv4)
        case (true, false):
            guard isIPv4Mapped else { return .notComparable }
            return Self.order(ipv4, other.ipv4)
        }
    }

    /// Node's `SocketAddress::is_match`: equal bytes, or an IPv4 value and its IPv4-mapped form.
    func matches(_ other: IPValue) -> Bool {
        compare(other) == .same
    }

    /// Node's `SocketAddress::is_in_network`: whether the first `prefix` bits of this address
    /// equal those of `network`. The prefix counts bits of the network's family; an IPv4 address
    /// is tested against an IPv6 network in its `::ffff:` form, and an IPv6 address matches an
    /// IPv4 network only when it is IPv4-mapped (even for `/0`).
    func isIn(network: IPValue, prefix: Int) -> Bool {
        if network.isIPv6 {
            let (mh, ml) = Self.mask128(prefix)
            return (mappedHigh & mh) == (network.high & mh) && (mappedLow & ml) == (network.low & ml)
        }
        if isIPv6 && !isIPv4Mapped { return false }
        let m = Self.mask32(prefix)
        return (ipv4 & m) == (network.ipv4 & m)
    }

    private static func order<T: BinaryInteger>(_ a: T, _ b: T) -> IPOrder {
        a < b ? .less : (a == b ? .same : .greater)
    }

    /// The top `prefix` bits of 32 set (`prefix` in 0…32).
    static func mask32(_ prefix: Int) -> UInt32 {
        if prefix <= 0 { return 0 }
        if prefix >= 32 { return .max }
        return ~(UInt32.max >> UInt32(prefix))
    }

    /// The top `prefix` bits of 128 set, as two halves (`prefix` in 0…128).
    static func mask128(_ prefix: Int) -> (UInt64, UInt64) {
        func top(_ bits: Int) -> UInt64 {
            if bits <= 0 { return 0 }
            if bits >= 64 { return .max }
            return ~(UInt64.max >> UInt64(bits))
        }
        return (top(prefix), top(prefix - 64))
    }
}
