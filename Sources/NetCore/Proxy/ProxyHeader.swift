/// A PROXY protocol header (HAProxy's protocol, versions 1 and 2): what a load balancer in front
/// of a server says about the connection it relays, before the connection's own bytes.
///
/// A server with `ServerOptions.proxyProtocol` reads one from each accepted connection; a client
/// that relays connections writes one with `encoded()` (see `Socket.writeProxyHeader`).
public struct ProxyHeader: Sendable, Hashable {
    /// The protocol version of a header.
    public enum Version: Sendable, Hashable {
        /// The text form: `PROXY TCP4 192.0.2.1 192.0.2.2 56324 443\r\n`.
        case v1
        /// The binary form: a 12-byte signature, a 4-byte head, addresses, then TLVs.
        case v2
    }

    /// The version the header was written in.
    public var version: Version
    /// The original client's address and port; `nil` when the header does not describe the
    /// connection (v2 `LOCAL`, v1 `UNKNOWN`, a family other than IPv4/IPv6): then the
    /// connection's own addresses stand.
    public var source: ProxyEndpoint?
    /// The address and port the original client connected to; `nil` exactly when `source` is.
    public var destination: ProxyEndpoint?

    /// Creates a header. `source` and `destination` are both given or both `nil` (a header for a
    /// connection the proxy made itself, such as a health check: v2 `LOCAL`, v1 `UNKNOWN`).
    public init(version: Version, source: ProxyEndpoint? = nil, destination: ProxyEndpoint? = nil) {
        self.version = version
        if let source, let destination, source.address.isIPv6 == destination.address.isIPv6 {
            self.source = source
            self.destination = destination
        } else {
            self.source = nil
            self.destination = nil
        }
    }

    /// Whether the header names the original endpoints (v1 `TCP4`/`TCP6`, v2 `PROXY` over IPv4
    /// or IPv6).
    public var carriesAddresses: Bool { source != nil }
}

/// An IP address and port named in a PROXY protocol header.
public struct ProxyEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The address (never with a zone id).
    public var address: IPAddress
    /// The port, 0…65535.
    public var port: Int

    /// Creates an endpoint; the port is clamped to 0…65535 and a zone id is dropped.
    public init(address: IPAddress, port: Int) {
        self.address = address.withoutZone
        self.port = Swift.min(65535, Swift.max(0, port))
    }

    /// The endpoint as `AddressInfo` (what `remoteAddress`, `remotePort`, `remoteFamily` report).
    public var info: AddressInfo { AddressInfo(address, port: port) }

    /// `address:port`, with IPv6 addresses in brackets.
    public var description: String { info.description }
}

// MARK: - Encoding

extension ProxyHeader {
    /// The 12 bytes every v2 header starts with.
    public static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// The header as it goes on the wire: a v1 line, or a v2 block with no TLVs.
    public func encoded() -> [UInt8] {
        switch version {
        case .v1: return encodedV1()
        case .v2: return encodedV2()
        }
    }

    private func encodedV1() -> [UInt8] {
        guard let s = source, let d = destination else { return Array("PROXY UNKNOWN\r\n".utf8) }
        let proto = s.address.isIPv6 ? "TCP6" : "TCP4"
        return Array("PROXY \(proto) \(s.address) \(d.address) \(s.port) \(d.port)\r\n".utf8)
    }

    private func encodedV2() -> [UInt8] {
        var out = ProxyHeader.v2Signature
        guard let s = source, let d = destination else {
            // LOCAL, family UNSPEC, no address block.
            out += [0x20, 0x00, 0x00, 0x00]
            return out
        }
        let v6 = s.address.isIPv6
        out += [0x21, v6 ? 0x21 : 0x11]
        let length = v6 ? 36 : 12
        out += [UInt8(length >> 8), UInt8(length & 0xFF)]
        for a in [s.address, d.address] { out += ProxyHeader.bytes(of: a) }
        for p in [s.port, d.port] { out += [UInt8(p >> 8), UInt8(p & 0xFF)] }
        return out
    }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    static func bytes(of a: IPAddress) -> [UInt8] {
        if a.isIPv4 {
            let v = a.ipv4Value
            return [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
        }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for word in [a.high, a.low] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((word >> UInt64(shift)) & 0xFF)) }
        }
        return out
    }
}
