internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// An IP endpoint as Node reports it: the address text, `"IPv4"` or `"IPv6"`, and the port
/// (Node's `{ address, family, port }` from `socket.address()`).
public struct AddressInfo: Sendable, Hashable, CustomStringConvertible {
    /// The IP address text (`127.0.0.1`, `::1`).
    public var address: String
    /// `"IPv4"` or `"IPv6"`.
    public var family: String
    /// The port number.
    public var port: Int

    /// Creates an address record.
    public init(address: String, family: String, port: Int) {
        self.address = address
        self.family = family
        self.port = port
    }

    /// `address:port`, with IPv6 addresses in brackets.
    public var description: String { family == "IPv6" ? "[\(address)]:\(port)" : "\(address):\(port)" }
}

/// Conversions between IP text, `sockaddr` and `AddressInfo`, on libuv's own helpers.
enum InetAddress {
    /// 4 or 6 when `text` is an IPv4 or IPv6 literal that libuv can use, else 0.
    static func family(of text: String) -> Int {
        var storage = in6_addr()
        if uv_inet_pton(AF_INET, text, &storage) == 0 { return 4 }
        let bare = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        if uv_inet_pton(AF_INET6, bare, &storage) == 0 { return 6 }
        return 0
    }

    /// A socket address for an IP literal and port, or nil when `ip` is not one.
    static func sockaddr(ip: String, port: Int) -> sockaddr_storage? {
        var storage = sockaddr_storage()
        let ok: Bool = withUnsafeMutablePointer(to: &storage) { p in
            switch family(of: ip) {
            case 4: return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_addr(ip, Int32(port), $0) } == 0
            case 6: return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_addr(ip, Int32(port), $0) } == 0
            default: return false
            }
        }
        return ok ? storage : nil
    }

    /// The address, family and port of a socket address, or nil for other families.
    static func info(_ sa: UnsafePointer<sockaddr>) -> AddressInfo? {
        let family = cuv_sockaddr_family(sa)
        let port = Int(cuv_sockaddr_port(sa))
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> AddressInfo? in
            let base = buf.baseAddress!
            switch family {
            case AF_INET:
                let r = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_name($0, base, 64) }
                return r == 0 ? AddressInfo(address: String(cString: base), family: "IPv4", port: port) : nil
            case AF_INET6:
                let r = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_name($0, base, 64) }
                return r == 0 ? AddressInfo(address: String(cString: base), family: "IPv6", port: port) : nil
            default:
                return nil
            }
        }
    }

    /// Reads a name with `getsockname`/`getpeername`-shaped libuv calls.
    static func name(
        _ get: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<Int32>) -> Int32
    ) -> AddressInfo? {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { sa in
                get(sa, &length) == 0 ? info(sa) : nil
            }
        }
    }
}
