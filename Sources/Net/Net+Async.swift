// The async face of `import Net`: awaitable connect and listen with Node's defaults.
//
// The labels differ from the callback face's on purpose (`host:port:` rather than `port:host:`),
// so that `try Net.connect(port:)` inside async code still means the callback face's connect.

/// Connects to `host:port` and returns the connected socket (`try await Net.connect(host:port:)`),
/// or throws the typed connect error. Host names are looked up and, as in Node, every address is
/// tried (happy eyeballs, `autoSelectFamily`); a failure after several attempts is an aggregate
/// error listing each. Cancelling the task destroys the half-made connection and throws
/// `NetError.aborted`. Runs the loop on a thread of its own if no thread runs it.
public func connect(
    host: String, port: Int, options: SocketOptions = SocketOptions(), loop: EventLoop = .default
) async throws(NetError) -> AsyncSocket {
    return try await AsyncSocket.connect(host: host, port: port, options: options, loop: loop)
}

/// Connects with Node's connect options (`localAddress`, `family`, `autoSelectFamily`…) and
/// returns the connected socket.
public func connect(
    options: SocketConnectOptions, loop: EventLoop = .default
) async throws(NetError) -> AsyncSocket {
    return try await AsyncSocket.connect(options, loop: loop)
}

/// Connects to the Unix domain socket at `unixDomainSocketPath` and returns the connected socket.
public func connect(unixDomainSocketPath: String, loop: EventLoop = .default) async throws(NetError) -> AsyncSocket {
    return try await AsyncSocket.connect(path: unixDomainSocketPath, loop: loop)
}

/// Listens on `host:port` and returns the listening server once it listens; accept with
/// `for try await connection in server.connections`. Throws the listen error (`EADDRINUSE`…).
public func listen(
    host: String? = nil, port: Int = 0, backlog: Int = 511,
    options: ServerOptions = ServerOptions(), loop: EventLoop = .default
) async throws(NetError) -> AsyncServer {
    return try await AsyncServer.listen(host: host, port: port, backlog: backlog, options: options, loop: loop)
}

/// Listens on the Unix domain socket at `unixDomainSocketPath` and returns the listening server.
public func listen(
    unixDomainSocketPath: String, backlog: Int = 511,
    options: ServerOptions = ServerOptions(), loop: EventLoop = .default
) async throws(NetError) -> AsyncServer {
    return try await AsyncServer.listen(path: unixDomainSocketPath, backlog: backlog, options: options, loop: loop)
}
