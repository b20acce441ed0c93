internal import CUV
#if canImport(Glibc)
import Glibc
#endif

extension Server {
    /// Starts listening on `port` (0 picks a free one) and `host` (Node's
    /// `server.listen(port, host, backlog, callback)`).
    ///
    /// Without a host the server listens on `::` (every IPv6 and IPv4 address) and falls back to
    /// `0.0.0.0` where IPv6 is unavailable; that binds at once. A host is resolved first, an IP
    /// address too (as Node's `dns.lookup` answers it, on the next tick), so with a host the
    /// server is listening only from a later tick. `onListening` is added as a once-listener for
    /// `'listening'`, which follows on the tick after binding. Throws
    /// `ERR_SERVER_ALREADY_LISTEN` if the server is listening, `ERR_SOCKET_BAD_PORT` for a port
    /// outside 0…65535; failures to bind or listen (such as `EADDRINUSE`) arrive as `'error'`,
    /// after which `listen` may be called again. Returns the server.
    @discardableResult
    public func listen(
        port: Int = 0, host: String? = nil, backlog: Int = 511, onListening: (() -> Void)? = nil
    ) throws(NetError) -> Server {
        try listen(ListenOptions(port: port, host: host, backlog: backlog), onListening: onListening)
    }

    /// Starts listening on a Unix domain socket at `path` (Node's `server.listen(path, backlog,
    /// callback)`); a path starting with NUL names a Linux abstract socket. Closing the server
    /// removes the socket file. A path in use is an `EADDRINUSE` `'error'`; one too long for the
    /// system is an `EINVAL` `'error'`. Returns the server.
    @discardableResult
    public func listen(path: String, backlog: Int = 511, onListening: (() -> Void)? = nil) throws(NetError) -> Server {
        try listen(ListenOptions(path: path, backlog: backlog), onListening: onListening)
    }

    /// Starts listening as `options` say (Node's `server.listen(options, callback)`): a
    /// descriptor (`fd` ≥ 0) wins over a port, a port over a path. Throws `ERR_INVALID_ARG_VALUE` when neither is given, when the path is empty,
    /// or when an abstract socket is asked to be readable or writable by all, besides what the
    /// other forms throw.
    @discardableResult
    public func listen(_ options: ListenOptions, onListening: (() -> Void)? = nil) throws(NetError) -> Server {
        guard handle == nil else {
            throw NetError(
                code: .ERR_SERVER_ALREADY_LISTEN,
                message: "Listen method has been called more than once without closing.")
        }
        // As in Node, the callback is a `'listening'` listener from here on, even when a check
        // below throws: a later successful listen calls it.
        if let onListening { once(.listening, onListening) }
        let backlog = options.backlog > 0 ? options.backlog : 511
        if let signal = options.signal {
            if signal.aborted {
                // As Node: the listen goes ahead and the close follows on the next tick, before
                // 'listening' would be emitted.
                loop.nextTick { [self] in close() }
            } else {
                // The signal is this listen's: once the server has closed, it closes nothing.
                let id = signal.addListener { [weak self] _ in self?.close() }
                once(.close) { signal.removeListener(id) }
            }
        }
        if let fd = options.fd, fd >= 0 {
            return try listen(fd: fd, backlog: backlog, onListening: nil)
        }
        if options.port == nil && options.path == nil {
            throw .invalidArgValue("options", "\(options)", reason: "must have the property \"port\" or \"path\"")
        }
        if options.port == nil, options.path?.isEmpty == true {
            // Node's `listen({ path: '' })`: an empty path is no path.
            throw .invalidArgValue("options", "\(options)")
        }
        if let port = options.port {
            guard (0...65535).contains(port) else { throw .badPort(port, name: "options.port") }
            listenID += 1
            reusePort = options.reusePort
            listenTCP(port: port, host: options.host, backlog: backlog, ipv6Only: options.ipv6Only, lookup: options.lookup)
        } else if let path = options.path {
            if StreamHandle.isAbstract(path) && (options.readableAll || options.writableAll) {
                throw .invalidArgValue(
                    "options", "\(options)",
                    reason: "can not set readableAll or writableAllt to true when path is abstract unix socket")
            }
            listenID += 1
            finishListen(path: path, result: tryListen(path: path, backlog: backlog, options: options))
        }
        return self
    }

    private func listenTCP(port: Int, host: String?, backlog: Int, ipv6Only: Bool, lookup: LookupFunction?) {
        let id = listenID
        guard let host, !host.isEmpty else {
            bindAndListen(nil, port: port, backlog: backlog, ipv6Only: ipv6Only)
            return
        }
        // With a host, Node always goes through `dns.lookup`, which answers an IP address itself
        // on the next tick: until then the server is not listening, has no address, and may be
        // told to listen again.
        lookupInFlight = true
        let resolved: (Result<[LookupAddress], NetError>) -> Void = { [self] result in
            guard id == listenID, lookupInFlight else { return }
            lookupInFlight = false
            switch result {
            case .success(let answers) where !answers.isEmpty:
                // Node's `filterOnlyValidAddress`: the first address outside fe80::/10, else the first.
                let usable = answers.first { !(IPAddress($0.address)?.isIPv6LinkLocal ?? false) } ?? answers[0]
                guard let address = IPAddress(usable.address) else {
                    let error = NetError.uvWithHostPort(Int32(UV_EINVAL.rawValue), syscall: "listen", address: usable.address, port: port)
                    loop.nextTick { [self] in emitError(error) }
                    return
                }
                bindAndListen((usable.address, address), port: port, backlog: backlog, ipv6Only: ipv6Only)
            case .success:
                let error = NetError.lookup(Int32(UV_EAI_NONAME.rawValue), hostname: host)
                loop.nextTick { [self] in emitError(error) }
            case .failure(let error):
                loop.nextTick { [self] in emitError(error) }
            }
        }
        if let address = IPAddress(host) {
            let answer = LookupAddress(address: host, family: address.isIPv6 ? 6 : 4)
            loop.nextTick { resolved(.success([answer])) }
        } else if let lookup {
            lookup(host, LookupOptions(family: 0, hints: 0, all: true)) { error, answers in
                resolved(error.map { .failure($0) } ?? .success(answers))
            }
        } else {
            Lookup.resolve(loop: loop, host: host, family: 0, hints: 0, resolved)
        }
    }

    /// Binds to `target` (its text as given, for errors, and its parsed address), or to `::`
    /// when it is nil, and listens; reports failure as `'error'` on the next tick and leaves the
    /// server free to listen again. As in Node, `0.0.0.0` is tried instead of `::` only when a
    /// socket cannot be made or bound there (no IPv6): a port in use on `::` is an `EADDRINUSE`
    /// for `::` (the kernel reports it at listen), never a quiet listen on IPv4 alone.
    private func bindAndListen(_ target: (text: String, address: IPAddress)?, port: Int, backlog: Int, ipv6Only: Bool) {
        var bound = tryBind(target ?? ("::", .anyIPv6), port: port, ipv6Only: ipv6Only)
        if target == nil, case .failure = bound {
            bound = tryBind(("0.0.0.0", .anyIPv4), port: port, ipv6Only: false)
        }
        finishListen(path: nil, result: bound.flatMap { listenBound($0, backlog: backlog) })
    }

    /// Adopts the listening handle and emits `'listening'` on the next tick, or reports the
    /// failure as `'error'` on the next tick.
    private func finishListen(path: String?, result: Result<StreamHandle, NetError>) {
        switch result {
        case .success(let h):
            adoptListening(h, path: path)
        case .failure(let error):
            loop.nextTick { [self] in emitError(error) }
        }
    }

    /// Takes a listening handle and emits `'listening'` on the next tick.
    func adoptListening(_ h: StreamHandle, path: String?) {
        handle = h
        pipePath = path
        h.server = self
        if !wantRef { h.unref() }
        loop.nextTick { [self] in
            if handle === h { emit(.listening) }
        }
    }

    /// Makes a TCP socket for `target` and binds it (Node's `createServerHandle`).
    private func tryBind(
        _ target: (text: String, address: IPAddress), port: Int, ipv6Only: Bool
    ) -> Result<(handle: StreamHandle, text: String, port: Int), NetError> {
        let ip = target.text
        let family: Int32 = target.address.isIPv6 ? AF_INET6 : AF_INET
        let (h, r) = StreamHandle.tcp(loop: loop, family: family)
        guard let h else { return .failure(.uvWithHostPort(r, syscall: "listen", address: ip, port: port)) }
        var status: Int32 = reusePort ? cuv_set_reuseport(h.tcp) : 0
        if status == 0 { status = h.bind(target.address, port: port, ipv6Only: ipv6Only && family == AF_INET6) }
        if status < 0 {
            h.close()
            return .failure(.uvWithHostPort(status, syscall: "listen", address: ip, port: port))
        }
        return .success((h, ip, port))
    }

    /// Listens on a bound socket; a failure (such as a port in use) closes it.
    private func listenBound(
        _ bound: (handle: StreamHandle, text: String, port: Int), backlog: Int
    ) -> Result<StreamHandle, NetError> {
        let status = bound.handle.listen(backlog: backlog)
        if status < 0 {
            bound.handle.close()
            return .failure(.uvWithHostPort(status, syscall: "listen", address: bound.text, port: bound.port))
        }
        return .success(bound.handle)
    }
}

extension Server {
    /// Binds and listens on `path`; a failure carries `port` -1, as Node's pipe listen errors
    /// (`listenInCluster(self, path, -1, …)`).
    fileprivate func tryListen(path: String, backlog: Int, options: ListenOptions) -> Result<StreamHandle, NetError> {
        let (h, r) = StreamHandle.pipe(loop: loop)
        guard let h else { return .failure(.uvWithHostPort(r, syscall: "listen", address: path, port: -1)) }
        var status = h.bind(path: path)
        if status == 0 { status = h.listen(backlog: backlog) }
        if status == 0 && (options.readableAll || options.writableAll) {
            status = h.chmod(readable: options.readableAll, writable: options.writableAll)
        }
        if status < 0 {
            h.close()
            return .failure(.uvWithHostPort(status, syscall: "listen", address: path, port: -1))
        }
        return .success(h)
    }
}
