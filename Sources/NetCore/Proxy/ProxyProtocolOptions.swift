/// How a server reads PROXY protocol headers (`ServerOptions.proxyProtocol`): which versions,
/// from whom, how long it waits and how long a header may be.
///
/// With these options every accepted connection must start with a header. The header is read
/// before `'connection'`; the socket then reports the original client as `remoteAddress`,
/// `remotePort`, `remoteFamily` (and the address it connected to as `localAddress`/`localPort`),
/// `blockList` is applied to that client, and the first `'data'` starts right after the header.
/// A connection whose header is missing, malformed, too long or too slow, or which comes from an
/// address not in `trustedProxies`, is closed and reported as `'proxyProtocolError'`; the
/// application never sees it.
public struct ProxyProtocolOptions: Sendable {
    /// The versions taken (default: either).
    public var versions: ProxyProtocolVersions
    /// The proxies allowed to send headers: a filter whose `blocks(_:)` is true for the
    /// addresses it lists (a `BlockList` of the load balancers' addresses). Connections from any
    /// other address are refused before anything is read. `nil` (the default) trusts everyone,
    /// which is right only where nothing but the proxies can reach the port.
    public var trustedProxies: (any AddressFilter)?
    /// How long a connection may take to send its whole header, in milliseconds (default 3000).
    public var headerTimeout: Int
    /// The longest header taken, in bytes (default 4096; v2 TLVs count).
    public var maxHeaderLength: Int

    /// Creates options; see each property for its default.
    public init(
        _ versions: ProxyProtocolVersions = .either, trustedProxies: (any AddressFilter)? = nil,
        headerTimeout: Int = 3000, maxHeaderLength: Int = ProxyHeaderParser.defaultMaxLength
    ) {
        self.versions = versions
        self.trustedProxies = trustedProxies
        self.headerTimeout = headerTimeout
        self.maxHeaderLength = maxHeaderLength
    }

    /// Version 1 headers only.
    public static var v1: ProxyProtocolOptions { ProxyProtocolOptions(.v1) }
    /// Version 2 headers only.
    public static var v2: ProxyProtocolOptions { ProxyProtocolOptions(.v2) }
    /// Headers of either version.
    public static var either: ProxyProtocolOptions { ProxyProtocolOptions(.either) }

    /// The parser these options describe.
    var parser: ProxyHeaderParser { ProxyHeaderParser(versions: versions, maxLength: maxHeaderLength) }
}

extension NetError.Code {
    /// The connection's first bytes are not an acceptable PROXY protocol header.
    public static let ERR_PROXY_PROTOCOL_INVALID: Self = "ERR_PROXY_PROTOCOL_INVALID"
    /// The PROXY protocol header did not arrive within `headerTimeout`.
    public static let ERR_PROXY_PROTOCOL_TIMEOUT: Self = "ERR_PROXY_PROTOCOL_TIMEOUT"
    /// The connection ended before its PROXY protocol header was complete.
    public static let ERR_PROXY_PROTOCOL_INCOMPLETE: Self = "ERR_PROXY_PROTOCOL_INCOMPLETE"
    /// The connection came from an address not in `trustedProxies`.
    public static let ERR_PROXY_PROTOCOL_UNTRUSTED: Self = "ERR_PROXY_PROTOCOL_UNTRUSTED"
}

extension NetError {
    /// `ERR_PROXY_PROTOCOL_INVALID` for `reason`.
    static func proxyInvalid(_ reason: ProxyHeaderError) -> NetError {
        NetError(code: .ERR_PROXY_PROTOCOL_INVALID, message: reason.description.prefix(1).uppercased() + reason.description.dropFirst())
    }
}

/// The payload of a server's `'proxyProtocolError'`: why a connection was refused before
/// `'connection'`, and the connection's own ends (the proxy's address, not a client's).
public struct ProxyProtocolFailure: Sendable, Equatable {
    /// What went wrong: `ERR_PROXY_PROTOCOL_INVALID`, `_TIMEOUT`, `_INCOMPLETE` or `_UNTRUSTED`,
    /// or the read error (such as `ECONNRESET`) that ended the connection.
    public var error: NetError
    /// The address the connection came from.
    public var remoteAddress: String?
    /// The port it came from.
    public var remotePort: Int?
    /// `"IPv4"` or `"IPv6"`.
    public var remoteFamily: String?
}

extension Event where Source == Server, Payload == ProxyProtocolFailure {
    /// A connection was closed because its PROXY protocol header was missing, malformed, too
    /// long or too slow, or it came from an untrusted address (with `ServerOptions.proxyProtocol`
    /// only). Such a connection never reaches `'connection'`; the server goes on listening, and
    /// nothing is emitted as `'error'`. Without a listener the failure is dropped silently.
    public static var proxyProtocolError: Self { .init("proxyProtocolError") }
}
