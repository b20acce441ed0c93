internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// A TCP or Unix-domain server with Node's `net.Server` API and semantics: it listens,
/// emits `'connection'` with a `Socket` for each accepted connection, and `'listening'`,
/// `'close'` and `'error'`.
///
/// A listening server keeps its loop running; `close()` stops accepting and emits `'close'` once
/// every accepted connection has ended.
public final class Server: EventEmitter {
    /// The loop this server runs on.
    public let loop: EventLoop
    /// The storage behind the emitter methods (`on`, `listeners(_:)`…).
    public let listenerTable = ListenerTable()
    /// The options accepted sockets are created with.
    public let options: ServerOptions
    // Unchecked exclusivity (the attribute below) marks the state the data path touches on every chunk: it is
    // loop-confined and never accessed across a call that can re-enter (see "Threads and unsafe
    // code" in Sources/NetCore/README.md); the dynamic checks would cost a quarter of an echo.

    @exclusivity(unchecked) var handle: StreamHandle?
    /// The path a pipe server listens on (reported by `address()`).
    var pipePath: String?
    @exclusivity(unchecked) var connectionCount = 0
    /// Bumped by every `listen` and `close`, so a host lookup that finishes after the server was
    /// closed (or listened again) binds nothing.
    var listenID = 0
    var lookupInFlight = false
    var wantRef = true
    /// Whether the next TCP listen sets `SO_REUSEPORT`.
    var reusePort = false
    /// Whether `EMFILE`/`ENFILE` on accept was reported since the last good accept.
    var descriptorShortageReported = false
    /// Connections whose PROXY protocol header is being read (empty unless
    /// `options.proxyProtocol` is set).
    var proxyReaders: [ObjectIdentifier: ProxyHeaderReader] = [:]

    /// Connections beyond this many open ones are dropped as soon as they are accepted, with a
    /// `'drop'` event; `0` drops every connection, `nil` (the default) means no limit
    /// (Node's `maxConnections`, with Node ≥ 21's meaning of 0).
    public var maxConnections: Int?
    var closeEmitScheduled = false
    /// Whether accepting waits for an async reader (`Server+Async.swift`), and whether a
    /// connection is waiting in libuv meanwhile.
    var acceptHeld = false
    var acceptDeferred = false

    /// Creates a server; `connectionListener` is added for `'connection'`
    /// (Node's `net.createServer(options, connectionListener)`).
    public init(
        _ options: ServerOptions = ServerOptions(), loop: EventLoop = .default,
        connectionListener: ((Socket) -> Void)? = nil
    ) {
        var options = options
        // Node's createServer: a negative high-water mark means the default.
        if let mark = options.highWaterMark, mark < 0 { options.highWaterMark = nil }
        self.options = options
        self.loop = loop
        loop.liveEmitters += 1
        if let connectionListener { on(.connection, connectionListener) }
    }

    deinit {
        loop.assertOnLoopThread("Server.deinit")
        loop.liveEmitters -= 1
    }

    /// Whether the server is accepting connections (Node's `listening`).
    public var listening: Bool { handle != nil }

    /// The bound address (Node's `server.address()`); `nil` before listening and after close.
    ///
    /// Throws when the system cannot tell the address (`getsockname` fails), as Node does:
    /// a `NetError` with the system's code and the message `address CODE` (syscall `address`).
    public func address() throws(NetError) -> ServerAddress? {
        guard let h = handle else { return nil }
        if let pipePath { return .path(pipePath) }
        if h.kind == .pipe { return .path(h.pipeName ?? "") }
        var status: Int32 = 0
        let name = h.localName(status: &status)
        if status < 0 { throw .errno(status, syscall: "address") }
        return name.map { .inet($0) }
    }

    /// The number of open accepted connections, delivered on the next tick
    /// (Node's `getConnections(callback)`). Returns the server.
    @discardableResult
    public func getConnections(_ callback: @escaping (NetError?, Int) -> Void) -> Server {
        let n = connectionCount
        loop.nextTick { callback(nil, n) }
        return self
    }

    /// The number of open accepted connections, now.
    public var connections: Int { connectionCount }

    /// Stops accepting connections (Node's `server.close(callback)`). `'close'` is emitted once
    /// every accepted connection has ended; `callback` runs then, with `ERR_SERVER_NOT_RUNNING`
    /// if the server was not listening. Returns the server.
    @discardableResult
    public func close(_ callback: ((NetError?) -> Void)? = nil) -> Server {
        if let callback {
            if handle == nil {
                once(.close) {
                    callback(NetError(code: .ERR_SERVER_NOT_RUNNING, message: "Server is not running."))
                }
            } else {
                once(.close) { callback(nil) }
            }
        }
        listenID += 1
        lookupInFlight = false
        handle?.close()
        handle = nil
        emitCloseIfDrained()
        return self
    }

    /// Makes the listening server keep the loop alive (Node's `ref()`). Returns the server.
    @discardableResult
    public func ref() -> Server {
        wantRef = true
        handle?.ref()
        return self
    }

    /// Lets the loop end while the server listens (Node's `unref()`); remembered before
    /// `listen`. Returns the server.
    @discardableResult
    public func unref() -> Server {
        wantRef = false
        handle?.unref()
        return self
    }

    // MARK: Connections

    func onConnection(status: Int32) {
        guard let h = handle else { return }
        // Not accepting now: libuv keeps the connection and stops watching until we accept it.
        if acceptHeld && status >= 0 { acceptDeferred = true; return }
        if status < 0 {
            acceptFailed(status)
            return
        }
        let (client, r) = h.accept()
        guard let client else {
            acceptFailed(r)
            return
        }
        guard keepsDescriptor(client) else {
            // Shed: too close to the descriptor limit (see `keepsDescriptor`).
            client.close()
            return
        }
        if let limit = maxConnections, connectionCount + proxyReaders.count >= limit {
            drop(client)
            return
        }
        if let proxy = options.proxyProtocol {
            // The header layer (Proxy/Server+ProxyProtocol.swift) calls `admit` once it is read.
            readProxyHeader(client, proxy)
            return
        }
        admit(client)
    }

    /// Turns an accepted handle into a socket and emits `'connection'`. With a PROXY protocol
    /// `header`, the socket reports the client it names and `rest` (the bytes that followed the
    /// header) is its first data.
    func admit(_ client: StreamHandle, header: ProxyHeader? = nil, rest: Buffer? = nil) {
        if let filter = options.blockList,
           let peer = header?.source?.address ?? client.peerAddress?.address, filter.blocks(peer) {
            // Refused before it becomes a socket: no 'connection', no 'drop' (as Node).
            client.close()
            emitCloseIfDrained()
            return
        }
        let socketOptions = SocketOptions(allowHalfOpen: options.allowHalfOpen, highWaterMark: options.highWaterMark)
        let socket = Socket(acceptedBy: self, handle: client, options: socketOptions)
        if let source = header?.source, let destination = header?.destination {
            socket.adoptProxiedAddresses(remote: source.info, local: destination.info)
        }
        if options.noDelay { socket.setNoDelay(true) }
        if options.keepAlive { socket.setKeepAlive(true, initialDelay: options.keepAliveInitialDelay) }
        if options.pauseOnConnect { socket.pause() }
        connectionCount += 1
        emit(.connection, socket)
        if let rest, rest.count > 0, !socket.destroyed { socket.onRead(rest) }
        socket.startReadingIfWanted()
    }

    /// Accepting failed. Running out of descriptors is reported once until an accept succeeds
    /// again (libuv sheds the waiting connection meanwhile, so the loop never spins); the server
    /// keeps listening either way.
    private func acceptFailed(_ status: Int32) {
        let shortage = status == Int32(UV_EMFILE.rawValue) || status == Int32(UV_ENFILE.rawValue)
        if shortage {
            if descriptorShortageReported { return }
            descriptorShortageReported = true
        }
        emitError(.errno(status, syscall: "accept"))
    }

    /// Whether a connection just accepted may stay, judged by its descriptor. Descriptors are
    /// handed out lowest first, so one within `descriptorHeadroom` of the limit means the table
    /// is nearly full: that connection is shed (closed at once) and the shortage reported once,
    /// as `accept EMFILE`; once accepted descriptors are well below the limit again, a later
    /// shortage is reported anew. Shedding before the table is full keeps libuv's own `EMFILE`
    /// path out of reach, which matters with several loops in one process: libuv sheds there by
    /// closing a spare descriptor and accepting into it, and another loop's thread can take that
    /// descriptor in between, after which libuv retries the accept without end and its loop
    /// serves nothing. A few descriptors per loop of headroom leaves that race nothing to win.
    private func keepsDescriptor(_ client: StreamHandle) -> Bool {
        let fd = Int(cuv_fileno(client.raw))
        let limit = Server.descriptorLimit
        if fd >= limit - Server.descriptorHeadroom {
            acceptFailed(Int32(UV_EMFILE.rawValue))
            return false
        }
        if fd < limit - Server.descriptorHeadroom - 14 { descriptorShortageReported = false }
        return true
    }

    /// Descriptors kept free below the limit (see `keepsDescriptor`).
    static let descriptorHeadroom = 8

    /// The soft `RLIMIT_NOFILE`, read once when first needed.
    private static let descriptorLimit: Int = {
        var r = rlimit()
        let ok = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &r) == 0
        return ok && r.rlim_cur < UInt(Int.max) ? Int(r.rlim_cur) : Int.max
    }()

    /// Closes a connection over `maxConnections` and tells `'drop'` listeners about it.
    private func drop(_ client: StreamHandle) {
        let local = client.localName
        let remote = client.peerName
        client.close()
        emit(.drop, DropInfo(
            localAddress: local?.address, localPort: local?.port, localFamily: local?.family,
            remoteAddress: remote?.address, remotePort: remote?.port, remoteFamily: remote?.family))
    }

    /// An accepted socket was destroyed.
    func connectionEnded() {
        connectionCount -= 1
        emitCloseIfDrained()
    }

    func emitCloseIfDrained() {
        guard handle == nil, connectionCount == 0, proxyReaders.isEmpty, !closeEmitScheduled, !lookupInFlight else { return }
        closeEmitScheduled = true
        loop.nextTick { [self] in
            closeEmitScheduled = false
            emit(.close)
            // Listening again (bound, or resolving its host) keeps the listeners.
            if handle == nil && !lookupInFlight { dropAllListeners() }
        }
    }

    /// Emits `'error'`; with no listener (`.errorMonitor` ones do not count) the loop's `onUnhandledError` hook hears it instead.
    func emitError(_ error: NetError) {
        if !emit(.error, error) {
            loop.reportUnhandled(error, source: "Server")
        }
    }

    /// Logs the warning at `warning` level through the loop's `logger` (replace the logger to
    /// send it elsewhere).
    public func maxListenersExceeded(_ warning: MaxListenersExceededWarning) {
        warning.log(to: loop.logger)
    }
}
