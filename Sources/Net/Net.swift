// The umbrella module: `import Net` gives the whole of Node's `net` API, with Node's defaults.
@_exported import NetCore
@_exported import NetExtras

/// Node's defaults for NetCore: happy eyeballs (`autoSelectFamily`) as the connect strategy.
///
/// Nothing installs it: NetCore looks this type up by its mangled name through the Swift runtime
/// (see `ConnectDefaults` in NetCore), so every connect of a program that links this module uses
/// it, whichever call came first — `Socket().connect(…)` before any function here included.
/// Keep its name and module in step with `ConnectDefaults.providerTypeName`.
enum NodeDefaults: ConnectStrategyProvider {
    static var connectStrategy: any ConnectStrategy { AutoSelectFamily.shared }
}

/// Creates a server (Node's `net.createServer(options, connectionListener)`); call `listen`
/// next. `connectionListener` is added for `'connection'`.
public func createServer(
    _ options: ServerOptions = ServerOptions(), loop: EventLoop = .default,
    connectionListener: ((Socket) -> Void)? = nil
) -> Server {
    return Server(options, loop: loop, connectionListener: connectionListener)
}

/// Creates a socket and connects it to `host:port` (Node's `net.createConnection(port, host,
/// connectListener)`). Throws what `Socket.connect` throws; later failures arrive as `'error'`.
@discardableResult
public func createConnection(
    port: Int, host: String = "localhost", loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    return try Socket(loop: loop).connect(port: port, host: host, onConnect: onConnect)
}

/// Creates a socket with options and connects it (Node's `net.createConnection(options,
/// connectListener)`). A nonzero `options.timeout` is set on the new socket with `setTimeout`
/// first, so a negative one throws `ERR_OUT_OF_RANGE` before the other options are checked; then
/// throws what `Socket.connect(_:onConnect:)` throws.
@discardableResult
public func createConnection(
    _ options: SocketConnectOptions, loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    let socket = Socket(options.socketOptions, loop: loop)
    try socket.applyTimeoutOption(options)
    return try socket.connect(options, onConnect: onConnect)
}

/// The same as `createConnection(port:host:loop:onConnect:)` (Node's `net.connect`).
@discardableResult
public func connect(
    port: Int, host: String = "localhost", loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    return try createConnection(port: port, host: host, loop: loop, onConnect: onConnect)
}

/// The same as `createConnection(_:loop:onConnect:)` (Node's `net.connect(options)`).
@discardableResult
public func connect(
    _ options: SocketConnectOptions, loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    return try createConnection(options, loop: loop, onConnect: onConnect)
}

/// Creates a socket and connects it to the Unix domain socket at `path` (Node's
/// `net.createConnection(path, connectListener)`); a path starting with NUL names a Linux
/// abstract socket. `onConnect` is added for `'connect'`; failures (`ENOENT`, `ECONNREFUSED`,
/// `EINVAL` for a path too long) arrive as `'error'`.
@discardableResult
public func createConnection(
    path: String, loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    return try Socket(loop: loop).connect(path: path, onConnect: onConnect)
}

/// The same as `createConnection(path:loop:onConnect:)` (Node's `net.connect(path)`).
@discardableResult
public func connect(
    path: String, loop: EventLoop = .default, onConnect: (() -> Void)? = nil
) throws(NetError) -> Socket {
    return try createConnection(path: path, loop: loop, onConnect: onConnect)
}

/// Whether connects to a host name try every address, alternating IPv6 and IPv4, when their
/// options do not say (Node's `net.getDefaultAutoSelectFamily()`); true unless changed.
public func getDefaultAutoSelectFamily() -> Bool {
    return AutoSelectFamily.shared.defaultEnabled
}

/// Sets the process default for `autoSelectFamily` (Node's `net.setDefaultAutoSelectFamily`);
/// `false` makes connects use the first address found, as before Node 20.
public func setDefaultAutoSelectFamily(_ value: Bool) {
    AutoSelectFamily.shared.defaultEnabled = value
}

/// The process default for `autoSelectFamilyAttemptTimeout` in milliseconds (Node's
/// `net.getDefaultAutoSelectFamilyAttemptTimeout()`); 250 unless changed.
public func getDefaultAutoSelectFamilyAttemptTimeout() -> Int {
    return AutoSelectFamily.shared.defaultAttemptTimeout
}

/// Sets the process default for `autoSelectFamilyAttemptTimeout` (Node's
/// `net.setDefaultAutoSelectFamilyAttemptTimeout`): how long each happy-eyeballs attempt but the
/// last gets before the next address is tried. Values under 10 become 10. Throws
/// `ERR_OUT_OF_RANGE` for a value outside 1…2147483647.
public func setDefaultAutoSelectFamilyAttemptTimeout(_ value: Int) throws(NetError) {
    try AutoSelectFamily.shared.setDefaultAttemptTimeout(value)
}
