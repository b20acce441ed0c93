/// Options for `server.listen(_:)` (Node's `server.listen(options)`): a port (and host), or a
/// Unix socket path.
public struct ListenOptions: CustomStringConvertible {
    /// The TCP port (0 picks a free one); takes precedence over `path`.
    public var port: Int?
    /// The host to bind; without one the server listens on `::` (and `0.0.0.0`).
    public var host: String?
    /// A Unix domain socket path (a leading NUL names a Linux abstract socket).
    public var path: String?
    /// A bound TCP or Unix stream socket descriptor to listen on (Node's `{ fd }`); it wins over
    /// `port` and `path` when it is 0 or more, and a negative one counts as absent.
    public var fd: Int32?
    /// The pending-connection queue length; default 511.
    public var backlog: Int
    /// Make the socket file readable by everyone (Unix sockets only).
    public var readableAll: Bool
    /// Make the socket file writable by everyone (Unix sockets only).
    public var writableAll: Bool
    /// Listen on IPv6 only: `::` then does not accept IPv4 connections.
    public var ipv6Only: Bool
    /// Let several sockets (other servers, other loops, other processes) listen on the same port,
    /// the kernel spreading connections among them (`SO_REUSEPORT`, Node ≥ 23.1).
    public var reusePort: Bool
    /// Node's cluster flag; accepted for compatibility and otherwise without effect here.
    public var exclusive: Bool
    /// Closes the server when it fires, until the server has closed; an already fired signal
    /// closes it on the next tick, so it binds but never emits `'listening'`.
    public var signal: AbortSignal?
    /// Resolves `host` when it is a name, instead of the system resolver (Node's listen goes
    /// through `dns.lookup`, which its tests replace); asked for every address. Its error is
    /// emitted as the server's `'error'` as it is.
    public var lookup: LookupFunction?

    /// Creates listen options; every field has Node's default.
    public init(
        port: Int? = nil, host: String? = nil, path: String? = nil, backlog: Int = 511,
        readableAll: Bool = false, writableAll: Bool = false, ipv6Only: Bool = false,
        reusePort: Bool = false, exclusive: Bool = false, signal: AbortSignal? = nil,
        lookup: LookupFunction? = nil, fd: Int32? = nil
    ) {
        self.lookup = lookup
        self.fd = fd
        self.reusePort = reusePort
        self.exclusive = exclusive
        self.signal = signal
        self.port = port
        self.host = host
        self.path = path
        self.backlog = backlog
        self.readableAll = readableAll
        self.writableAll = writableAll
        self.ipv6Only = ipv6Only
    }

    /// The set fields, in the style of Node's object inspection: `{ port: 0, host: 'x' }`.
    public var description: String {
        var parts: [String] = []
        if let port { parts.append("port: \(port)") }
        if let host { parts.append("host: '\(host)'") }
        if let path { parts.append("path: '\(path.replacingNUL)'") }
        if let fd { parts.append("fd: \(fd)") }
        if backlog != 511 { parts.append("backlog: \(backlog)") }
        if readableAll { parts.append("readableAll: true") }
        if writableAll { parts.append("writableAll: true") }
        if ipv6Only { parts.append("ipv6Only: true") }
        if reusePort { parts.append("reusePort: true") }
        if exclusive { parts.append("exclusive: true") }
        return parts.isEmpty ? "{}" : "{ " + parts.joined(separator: ", ") + " }"
    }
}

extension String {
    /// NUL written as Node prints it, `\x00`.
    var replacingNUL: String { split(separator: "\0", omittingEmptySubsequences: false).joined(separator: "\\x00") }
}
