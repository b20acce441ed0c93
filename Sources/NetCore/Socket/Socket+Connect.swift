internal import CUV
#if canImport(Glibc)
import Glibc
#endif

extension Socket {
    /// Connects to `host:port` (Node's `socket.connect(port, host, connectListener)`).
    ///
    /// Throws `ERR_SOCKET_BAD_PORT` for a port outside 0…65535. Failures after that arrive as an
    /// `'error'` event followed by `'close'`. `onConnect` is added as a once-listener for
    /// `'connect'`. A socket may connect again after `'close'`.
    @discardableResult
    public func connect(
        port: Int, host: String = "localhost", onConnect: (() -> Void)? = nil
    ) throws(NetError) -> Socket {
        try connect(SocketConnectOptions(port: port, host: host), onConnect: onConnect)
    }

    /// Connects with options (Node's `socket.connect(options, connectListener)`). As in Node, the
    /// `timeout` option is not read here: `Net.createConnection(_:)` and `Net.connect(_:)` set it
    /// on the socket they create (see `SocketConnectOptions.timeout`).
    ///
    /// Throws `ERR_SOCKET_BAD_PORT` for a bad `port` or `localPort`, `ERR_INVALID_IP_ADDRESS` for
    /// a `localAddress` that is not an IP address, `ERR_INVALID_ARG_VALUE` for a `family` other
    /// than 0, 4 or 6, and `ERR_OUT_OF_RANGE` for an
    /// `autoSelectFamilyAttemptTimeout` outside 1…2147483647, and `ERR_INVALID_ARG_VALUE` for
    /// `hints` other than `AI_ADDRCONFIG`, `AI_ALL` and `AI_V4MAPPED` when a host name is to be
    /// looked up by the system resolver (as Node's `dns.lookup`). With `path` set, connects to that
    /// Unix domain socket instead and the TCP fields are ignored.
    @discardableResult
    public func connect(_ options: SocketConnectOptions, onConnect: (() -> Void)? = nil) throws(NetError) -> Socket {
        if let path = options.path {
            return try connect(path: path, onConnect: onConnect)
        }
        guard (0...65535).contains(options.port) else { throw .badPort(options.port, name: "Port") }
        if let lp = options.localPort, !(0...65535).contains(lp) { throw .badPort(lp, name: "options.localPort") }
        if let la = options.localAddress, IPAddress(la) == nil {
            throw NetError(code: .ERR_INVALID_IP_ADDRESS, message: "Invalid IP address: \(la)", name: "TypeError")
        }
        guard [0, 4, 6].contains(options.family) else {
            throw .invalidArgValue("options.family", "\(options.family)", reason: "must be one of: 0, 4, 6")
        }
        if let t = options.autoSelectFamilyAttemptTimeout, !(1...Int(Int32.max)).contains(t) {
            throw .outOfRange("options.autoSelectFamilyAttemptTimeout", range: ">= 1 && <= 2147483647", integer: t)
        }
        let host = options.host.isEmpty ? "localhost" : options.host
        let address = IPAddress(host)
        // Node's `dns.lookup` checks the hints before it resolves, so a host name looked up by
        // the system resolver throws for hints beyond ADDRCONFIG, ALL and V4MAPPED.
        if address == nil, options.lookup == nil, options.hints & ~Socket.validHints != 0 {
            throw .invalidArgValue("hints", "\(options.hints)")
        }
        guard prepareConnect(onConnect: onConnect) else { return self }
        if options.noDelay { setNoDelay(true) }
        if options.keepAlive { setKeepAlive(true, initialDelay: options.keepAliveInitialDelay) }
        if let address {
            // On the next tick, as Node: listeners added after `connect` see 'connectionAttempt'.
            loop.nextTick { [self] in
                if connectPending { startConnect(ip: host, address: address, port: options.port, options: options) }
            }
        } else if let strategy = ConnectDefaults.shared.strategy, strategy.handles(options) {
            strategy.connect(self, host: host, options: options)
        } else {
            lookupAndConnect(host: host, options: options)
        }
        return self
    }

    /// Connects to a Unix domain socket at `path` (Node's `socket.connect(path, listener)`); a
    /// path starting with NUL names a Linux abstract socket. A path too long for the system is
    /// an `EINVAL` error, a missing one `ENOENT`, each as an `'error'` event. A socket made with
    /// `Socket(fd:)` over a Unix socket that is not connected yet connects that descriptor.
    @discardableResult
    public func connect(path: String, onConnect: (() -> Void)? = nil) throws(NetError) -> Socket {
        if let h = handle, h.kind == .pipe, !h.pipeHasPeer, state.connectStartedOnOwnHandle() {
            if let onConnect { once(.connect, onConnect) }
            refreshTimeout()
            connectPipe(h, path: path)
            return self
        }
        guard prepareConnect(onConnect: onConnect) else { return self }
        let (h, r) = StreamHandle.pipe(loop: loop)
        guard let h else {
            state.connectAbandoned()
            destroy(.withHostPort(r, syscall: "connect", address: path, port: nil))
            return self
        }
        adopt(h)
        connectPipe(h, path: path)
        return self
    }

    private func connectPipe(_ h: StreamHandle, path: String) {
        h.connect(path: path) { [self] status in
            finishConnect(h, status: status) { .withHostPort(status, syscall: "connect", address: path, port: nil) }
        }
    }

    /// Node's `checkBindError`: libuv reports a busy port only at connect, so a bind that
    /// seemed to work but left the handle on another port is EADDRINUSE.
    static func checkBind(_ status: Int32, port: Int, on h: StreamHandle) -> Int32 {
        guard status == 0, port > 0, h.localName?.port != port else { return status }
        return Int32(UV_EADDRINUSE.rawValue)
    }

    /// The lookup hints Node accepts: `AI_ADDRCONFIG`, `AI_ALL` and `AI_V4MAPPED`.
    static let validHints = Int32(AI_ADDRCONFIG | AI_ALL | AI_V4MAPPED)

    /// The common start of every connect; false when the socket is already connecting (then
    /// nothing happens) or connected. On a connected socket Node connects its connected handle
    /// again, which succeeds at once (node 20, whatever the target): `connecting` is true until
    /// `'connect'` and `'ready'` follow, and the connection stays as it was.
    private func prepareConnect(onConnect: (() -> Void)?) -> Bool {
        loop.assertOnLoopThread()
        if state.isDestroyed { reviveForReconnect() }
        if let h = handle, state.connectStartedOnOwnHandle() {
            if let onConnect { once(.connect, onConnect) }
            h.readStop()
            loop.nextTick { [self] in
                guard connecting, !destroyed else { return }
                state.opened()
                announceConnected()
            }
            return false
        }
        guard state.connectStarted() else { return false }
        if let onConnect { once(.connect, onConnect) }
        if refusedByAbortedSignal() { return false }
        refreshTimeout()
        return true
    }

    /// Resets a destroyed socket so it can connect again, as Node's `_undestroy`: a fresh stream
    /// state, no handle, no cached peer, no attempts.
    func reviveForReconnect() {
        state = state.revived()
        handle = nil
        cachedPeer = nil
        attemptedAddresses = nil
        connectAbort = nil
    }

    /// Node's `lookupAndConnect`: 'lookup' for the answer (or the failure) comes first, even
    /// for a socket destroyed meanwhile; then a socket no longer connecting goes no further.
    private func lookupAndConnect(host: String, options: SocketConnectOptions) {
        resolve(host: host, options: options, all: false) { [self] result in
            switch result {
            case .success(let answers):
                let first = answers[0]
                emit(.lookup, LookupEvent(error: nil, address: first.address, family: first.family, host: host))
                guard connecting, !destroyed else { return }
                switch Socket.check(first, host: host, port: options.port) {
                case .success(let address):
                    refreshTimeout()
                    startConnect(ip: first.address, address: address, port: options.port, options: options)
                case .failure(let error):
                    destroy(error)
                }
            case .failure(let error):
                emit(.lookup, LookupEvent(error: error, address: nil, family: nil, host: host))
                guard connecting, !destroyed else { return }
                destroy(error)
            }
        }
    }

    /// Node's `internalConnect` for one IP address: bind if asked, `'connectionAttempt'`, the
    /// `blockList` check, then the connect; an asynchronous failure emits
    /// `'connectionAttemptFailed'` before `'error'`. Its message ends in ` - Local (address:port)`
    /// when a local port was asked for, the address being the `localAddress` or the family's
    /// any-address (Node's `req.localAddress && req.localPort`).
    func startConnect(ip: String, address: IPAddress, port: Int, options: SocketConnectOptions) {
        let ipFamily = address.family
        let family: Int32 = ipFamily == 6 ? AF_INET6 : AF_INET
        let (h, r) = StreamHandle.tcp(loop: loop, family: family)
        guard let h else {
            destroy(.withHostPort(r, syscall: "connect", address: ip, port: port))
            return
        }
        adopt(h)
        var localAddress: String?
        if options.localAddress != nil || options.localPort != nil {
            let la = options.localAddress ?? (family == AF_INET6 ? "::" : "0.0.0.0")
            let lp = options.localPort ?? 0
            localAddress = la
            // A local address of the other family is EINVAL, as Node's `bind` (`bind6`) cannot
            // parse an IPv6 (IPv4) address.
            let b = IPAddress.family(of: la) == ipFamily
                ? Socket.checkBind(h.bind(ip: la, port: lp), port: lp, on: h)
                : Int32(UV_EINVAL.rawValue)
            if b < 0 {
                destroy(.withHostPort(b, syscall: "bind", address: la, port: lp))
                return
            }
        }
        emit(.connectionAttempt, ConnectionAttemptEvent(address: ip, port: port, family: ipFamily))
        guard connectPending, h === handle else { return }
        if refusedByBlockList(ip, address: address, options: options) { return }
        let localPort = options.localPort
        let c = h.connect(to: address, port: port) { [self] status in
            finishConnect(h, status: status) {
                let error = NetError.withHostPort(status, syscall: "connect", address: ip, port: port,
                                                  localAddress: localAddress, localPort: localPort)
                emit(.connectionAttemptFailed, ConnectionAttemptFailedEvent(address: ip, port: port, family: ipFamily, error: error))
                return error
            }
        }
        if c < 0 {
            destroy(.withHostPort(c, syscall: "connect", address: ip, port: port,
                                  localAddress: options.localAddress, localPort: options.localPort))
        }
    }

    /// A connect attempt on `h` completed: on failure destroy with the error `failure` builds;
    /// on success apply the remembered options, emit `'connect'` and `'ready'`, start reading
    /// and flush the writes queued meanwhile.
    func finishConnect(_ h: StreamHandle, status: Int32, failure: () -> NetError) {
        guard h === handle, !destroyed else { return }
        // A failed connect is destroyed while still connecting, so the writes queued meanwhile
        // fail after 'close' as Node's do (`strandedWriteError`), not as writes of an open stream.
        if status < 0 {
            destroy(failure())
            return
        }
        state.opened()
        // As Node's `afterConnect`: only what is on reaches the new handle.
        if wantNoDelay == true { _ = h.setNoDelay(true) }
        if let (on, seconds) = wantKeepAlive, on { _ = h.setKeepAlive(true, delaySeconds: UInt32(clamping: seconds)) }
        refreshTimeout()
        announceConnected()
    }

    /// `'connect'`, the writes queued meanwhile and a pending end, `'ready'`, then reading. As in
    /// Node, whose queued writes wait for `'connect'` as listeners of their own: they go out
    /// before `'ready'`, so a `'ready'` listener that destroys the socket no longer stops them.
    private func announceConnected() {
        let queuedWhileConnecting = !state.writeQueue.isEmpty
        emit(.connect)
        if destroyed {
            if queuedWhileConnecting { failWritesQueuedAtConnect() }
        } else {
            flushWrites()
            maybeShutdown()
        }
        emit(.ready)
        guard !destroyed else { return }
        startReadingIfWanted()
        // Sources that began piping in while this socket connected read as usual: they may
        // splice now (with writes queued, `afterWrite` offers it once they are out).
        if !pipeSources.isEmpty && state.canWriteNow { offerSpliceToSources() }
    }
}

extension Socket {
    /// A `'connect'` listener destroyed the socket before the writes queued while connecting
    /// went out: as in Node, where they wait for `'connect'` themselves and then find no handle,
    /// the first fails with `ERR_SOCKET_CLOSED`, which becomes the socket's error unless it has
    /// one, and the writes behind it and the end callbacks get the socket's error, at once.
    private func failWritesQueuedAtConnect() {
        let queued = state.takeQueuedWrites()
        guard !queued.isEmpty else { return }
        let closed = NetError(code: .ERR_SOCKET_CLOSED, message: "Socket is closed")
        state.recordWriteError(closed)
        let error = state.destroyError ?? closed
        for (index, chunk) in queued.enumerated() { chunk.callback?(index == 0 ? closed : error) }
        let ends = state.takeEndCallbacksForDestroy()
        for callback in ends.callbacks { callback(ends.error) }
    }

    /// The `timeout` connect option on a socket just created to connect with `options`, as
    /// Node's `net.connect` applies it before `socket.connect`: `if (options.timeout)
    /// socket.setTimeout(options.timeout)`. So 0 or nil sets nothing (`timeout` stays nil), and a
    /// negative value throws `ERR_OUT_OF_RANGE` before any other option is checked.
    package func applyTimeoutOption(_ options: SocketConnectOptions) throws(NetError) {
        guard let ms = options.timeout, ms != 0 else { return }
        guard ms > 0 else { throw .outOfRange("msecs", range: "a non-negative finite number", received: "\(ms)") }
        setTimeout(ms)
    }
}
