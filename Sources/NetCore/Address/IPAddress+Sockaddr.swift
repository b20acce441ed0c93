internal import CUV
#if canImport(Glibc)
import Glibc
#endif

// Conversions between `IPAddress` and the C socket address structures, done on the value's
// bits: no text is formatted or parsed on the way. Pointers are only borrowed for the length of
// each call.

extension IPAddress {
    /// The address of an IPv4 socket address (its port is not part of the value).
    init(_ address: sockaddr_in) {
        self.init(ipv4: UInt32(bigEndian: address.sin_addr.s_addr))
    }

    /// The address of an IPv6 socket address. A nonzero scope id becomes the zone: the name of
    /// that interface, or the number when no interface has it.
    init(_ address: sockaddr_in6) {
        var raw = address.sin6_addr
        let (high, low) = withUnsafeBytes(of: &raw) { b in
            (UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        let scope = address.sin6_scope_id
        self.init(ipv6High: high, low: low, zone: scope == 0 ? nil : IPAddress.interfaceName(scope))
    }

    /// The address and port of an `AF_INET` or `AF_INET6` socket address; `nil` for any other
    /// family.
    static func endpoint(_ sa: UnsafePointer<sockaddr>) -> (address: IPAddress, port: Int)? {
        let port = Int(cuv_sockaddr_port(sa))
        switch cuv_sockaddr_family(sa) {
        case AF_INET:
            return (sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPAddress($0.pointee) }, port)
        case AF_INET6:
            return (sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { IPAddress($0.pointee) }, port)
        default:
            return nil
        }
    }

    /// The IPv4 socket address for this address and `port` (the low 32 bits for an IPv6 value).
    func sockaddrIn(port: Int) -> sockaddr_in {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
        sa.sin_addr.s_addr = ipv4Value.bigEndian
        return sa
    }

    /// The IPv6 socket address for this address and `port`; an IPv4 value is written in its
    /// `::ffff:` form. The zone id becomes the scope id as libuv's `uv_ip6_addr` finds it
    /// (`if_nametoindex`; an unknown interface is 0).
    func sockaddrIn6(port: Int) -> sockaddr_in6 {
        var sa = sockaddr_in6()
        sa.sin6_family = sa_family_t(AF_INET6)
        sa.sin6_port = UInt16(truncatingIfNeeded: port).bigEndian
        let (h, l) = ipv6Halves
        withUnsafeMutableBytes(of: &sa.sin6_addr) { b in
            b.storeBytes(of: h.bigEndian, toByteOffset: 0, as: UInt64.self)
            b.storeBytes(of: l.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        if let zone { sa.sin6_scope_id = if_nametoindex(zone) }
        return sa
    }

    /// Runs `body` with a socket address of this address's family for `port`.
    func withSockaddr<R>(port: Int, _ body: (UnsafePointer<sockaddr>) -> R) -> R {
        if isIPv6 {
            var sa = sockaddrIn6(port: port)
            return withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        }
        var sa = sockaddrIn(port: port)
        return withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
    }

    /// The name of interface `index`, or its number as text when it has none.
    private static func interfaceName(_ index: UInt32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(IF_NAMESIZE) + 1) { buf in
            guard let base = buf.baseAddress, if_indextoname(index, base) != nil else { return String(index) }
            return String(cString: base)
        }
    }
}

extension IPAddress {
    /// Reads a socket's address with a `getsockname`/`getpeername`-shaped libuv call; `nil`
    /// when the call fails or the address is not IPv4 or IPv6.
    static func name(
        _ get: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<Int32>) -> Int32
    ) -> (address: IPAddress, port: Int)? {
        var status: Int32 = 0
        return name(get, status: &status)
    }

    /// As `name(_:)`, also giving the call's status (0, or a negative libuv error) in `status`.
    static func name(
        _ get: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<Int32>) -> Int32,
        status: inout Int32
    ) -> (address: IPAddress, port: Int)? {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                status = get(sa, &length)
                return status == 0 ? endpoint(sa) : nil
            }
        }
    }
}
