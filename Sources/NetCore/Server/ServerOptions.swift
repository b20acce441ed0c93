/// Options for a `Server` (Node's `net.createServer(options)`).
public struct ServerOptions: Sendable {
    /// Accepted sockets stay writable after the peer ends (see `SocketOptions.allowHalfOpen`).
    public var allowHalfOpen = false
    /// Accepted sockets start paused: nothing is read until `resume()`.
    public var pauseOnConnect = false
    /// Disable Nagle's algorithm on accepted sockets.
    public var noDelay = false
    /// Enable keep-alive on accepted sockets.
    public var keepAlive = false
    /// The keep-alive initial delay in milliseconds for accepted sockets.
    public var keepAliveInitialDelay = 0
    /// The high-water mark of accepted sockets; `nil` (or a negative value, as in Node) means
    /// 64 KiB.
    public var highWaterMark: Int? = nil
    /// Connections from addresses this blocks are closed before any `'connection'`
    /// (Node ≥ 23.4's `blockList`).
    public var blockList: (any AddressFilter)? = nil
    /// Read a PROXY protocol header (HAProxy's, v1 and/or v2) from every accepted connection
    /// before `'connection'`, and report the client it names (see `ProxyProtocolOptions`);
    /// `nil` (the default, and Node's behaviour) reads none. Not in Node.
    public var proxyProtocol: ProxyProtocolOptions? = nil

    /// Creates options; every field has Node's default.
    public init(
        allowHalfOpen: Bool = false, pauseOnConnect: Bool = false, noDelay: Bool = false,
        keepAlive: Bool = false, keepAliveInitialDelay: Int = 0, highWaterMark: Int? = nil,
        blockList: (any AddressFilter)? = nil, proxyProtocol: ProxyProtocolOptions? = nil
    ) {
        self.blockList = blockList
        self.proxyProtocol = proxyProtocol
        self.allowHalfOpen = allowHalfOpen
        self.pauseOnConnect = pauseOnConnect
        self.noDelay = noDelay
        self.keepAlive = keepAlive
        self.keepAliveInitialDelay = keepAliveInitialDelay
        self.highWaterMark = highWaterMark
    }
}

/// Where a server listens (Node's `server.address()`): an IP endpoint, or a Unix socket path.
public enum ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IP address, family and port.
    case inet(AddressInfo)
    /// A Unix domain socket path.
    case path(String)

    /// The port, for an IP endpoint.
    public var port: Int? { if case .inet(let a) = self { return a.port } else { return nil } }
    /// `"IPv4"` or `"IPv6"`, for an IP endpoint.
    public var family: String? { if case .inet(let a) = self { return a.family } else { return nil } }
    /// The IP address or the path.
    public var address: String {
        switch self {
        case .inet(let a): return a.address
        case .path(let p): return p
        }
    }
    /// `address:port` or the path.
    public var description: String {
        switch self {
        case .inet(let a): return a.description
        case .path(let p): return p
        }
    }
}

extension Event where Source == Server, Payload == Void {
    /// The server is bound and accepting (Node's `'listening'`).
    public static var listening: Self { .init("listening") }
    /// The server has closed and its last connection ended (Node's `'close'`).
    public static var close: Self { .init("close") }
}

extension Event where Source == Server, Payload == Socket {
    /// A connection was accepted (Node's `'connection'`).
    public static var connection: Self { .init("connection") }
}

extension Event where Source == Server, Payload == NetError {
    /// Listening or accepting failed (Node's `'error'`).
    public static var error: Self { .init("error") }
}

/// The payload of a server's `'drop'` event: the ends of a connection closed because of
/// `maxConnections`.
public struct DropInfo: Sendable, Equatable {
    /// The server's address of the dropped connection.
    public var localAddress: String?
    /// The server's port of the dropped connection.
    public var localPort: Int?
    /// `"IPv4"` or `"IPv6"`.
    public var localFamily: String?
    /// The peer's address.
    public var remoteAddress: String?
    /// The peer's port.
    public var remotePort: Int?
    /// `"IPv4"` or `"IPv6"`.
    public var remoteFamily: String?
}

extension Event where Source == Server, Payload == DropInfo {
    /// A connection was accepted and closed at once because the server already has
    /// `maxConnections` (Node's `'drop'`).
    public static var drop: Self { .init("drop") }
}
