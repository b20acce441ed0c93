// The umbrella module: `import Net` gives the whole of Node's `net` API, with Node's defaults.
@_exported import NetCore
@_exported import NetExtras

/// Creates a server (Node's `net.createServer(options, connectionListener)`); call `listen`
/// next. `connectionListener` is added for `'connection'`.
public func createServer(
    _ options: ServerOptions = ServerOptions(), loop: EventLoop = .default,
    connectionListener: ((Socket) -> Void)? = nil
) -> Server {
    Server(options, loop: loop, connectionListener: connectionListener)
}

/// Creates a socket and connects it to `host:port` (Node's `net.createConnection(port, host,
/// connectListener)`). Throws what `Socket.connect` throws; later failures arrive as `'error'`.
@discardableResult
public func createConnection(
    port: Int, host: String = "localhost", loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    try Socket(loop: loop).connect(port: port, host: host, onConnect: onConnect)
}

/// Creates a socket with options and connects it (Node's `net.createConnection(options,
/// connectListener)`).
@discardableResult
public func createConnection(
    _ options: SocketConnectOptions, loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    try Socket(options.socketOptions, loop: loop).connect(options, onConnect: onConnect)
}

/// The same as `createConnection(port:host:loop:onConnect:)` (Node's `net.connect`).
@discardableResult
public func connect(
    port: Int, host: String = "localhost", loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    try createConnection(port: port, host: host, loop: loop, onConnect: onConnect)
}

/// The same as `createConnection(_:loop:onConnect:)` (Node's `net.connect(options)`).
@discardableResult
public func connect(
    _ options: SocketConnectOptions, loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    try createConnection(options, loop: loop, onConnect: onConnect)
}

/// Creates a socket and connects it to the Unix domain socket at `path` (Node's
/// `net.createConnection(path, connectListener)`); a path starting with NUL names a Linux
/// abstract socket. `onConnect` is added for `'connect'`; failures (`ENOENT`, `ECONNREFUSED`,
/// `EINVAL` for a path too long) arrive as `'error'`.
@discardableResult
public func createConnection(
    path: String, loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    try Socket(loop: loop).connect(path: path, onConnect: onConnect)
}

/// The same as `createConnection(path:loop:onConnect:)` (Node's `net.connect(path)`).
@discardableResult
public func connect(
    path: String, loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    try createConnection(path: path, loop: loop, onConnect: onConnect)
}
