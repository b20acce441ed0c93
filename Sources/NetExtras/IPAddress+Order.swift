import NetCore

/// The outcome of comparing two addresses, as Node's `SocketAddress::compare` reports it.
enum IPOrder {
    case less, same, greater
    /// An IPv4 value against an IPv6 value that is not IPv4-mapped.
    case notComparable
}

/// How `BlockList` rules compare and match addresses: on the 128-bit values alone, without
/// allocating (zone ids play no part). Comparing `(high, low)` as unsigned integers orders
/// addresses the way `memcmp` on their bytes does.
extension IPAddress {
    /// Node's `SocketAddress::compare`: same-family values compare as unsigned big-endian numbers;
    /// an IPv4 value and an IPv4-mapped IPv6 value compare by their IPv4 parts; an IPv4 value and
    /// any other IPv6 value are not comparable.
    func compare(_ other: IPAddress) -> IPOrder {
        switch (isIPv6, other.isIPv6) {
        case (false, false):
            return Self.order(ipv4Value, other.ipv4Value)
        case (true, true):
            if high != other.high { return high < other.high ? .less : .greater }
            return Self.order(low, other.low)
        case (false, true):
            guard other.isIPv4Mapped else { return .notComparable }
            return Self.order(ipv4Value, other.ipv4Value)
        case (true, false):
            guard isIPv4Mapped else { return .notComparable }
            return Self.order(ipv4Value, other.ipv4Value)
        }
    }

    /// Node's `SocketAddress::is_match`: equal bytes, or an IPv4 value and its IPv4-mapped form.
    func matches(_ other: IPAddress) -> Bool {
        compare(other) == .same
    }

    /// Node's `SocketAddress::is_in_network`: whether the first `prefix` bits of this address
    /// equal those of `network`. The prefix counts bits of the network's family; an IPv4 address
    /// is tested against an IPv6 network in its `::ffff:` form, and an IPv6 address matches an
    /// IPv4 network only when it is IPv4-mapped (even for `/0`).
    func isIn(network: IPAddress, prefix: Int) -> Bool {
        if network.isIPv6 {
            let (mh, ml) = Self.mask128(prefix)
            let (h, l) = ipv6Halves
            return (h & mh) == (network.high & mh) && (l & ml) == (network.low & ml)
        }
        if isIPv6 && !isIPv4Mapped { return false }
        let m = Self.mask32(prefix)
        return (ipv4Value & m) == (network.ipv4Value & m)
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
