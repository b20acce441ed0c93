internal import CUV
#if canImport(Glibc)
import Glibc
#endif

extension Server {
    /// Starts listening on `port` (0 picks a free one) and `host` (Node's
    /// `server.listen(port, host, backlog, callback)`).
    ///
    /// Without a host the server listens on `::` (every IPv6 and IPv4 address) and falls back to
    /// `0.0.0.0` where IPv6 is unavailable; a host name is looked up first. `onListening` is added
    /// as a once-listener for `'listening'`, which follows on the next tick. Throws
    /// `ERR_SERVER_ALREADY_LISTEN` if the server is listening, `ERR_SOCKET_BAD_PORT` for a port
    /// outside 0…65535; failures to bind or listen (such as `EADDRINUSE`) arrive as `'error'`,
    /// after which `listen` may be called again. Returns the server.
    @discardableResult
    public func listen(
        port: Int = 0, host: String? = nil, backlog: Int = 511, onListening: (() -> Void)? = nil
    ) throws(NetError) -> Server {
        guard handle == nil else {
            throw NetError(
                code: .ERR_SERVER_ALREADY_LISTEN,
                message: "Listen method has been called more than once without closing.")
        }
        guard (0...65535).contains(port) else { throw .badPort(port, name: "options.port") }
        if let onListening { once(.listening, onListening) }
        listenID += 1
        let id = listenID
        let backlog = backlog > 0 ? backlog : 511
        guard let host, !host.isEmpty else {
            bindAndListen(ip: nil, port: port, backlog: backlog)
            return self
        }
        if InetAddress.family(of: host) != 0 {
            bindAndListen(ip: host, port: port, backlog: backlog)
            return self
        }
        lookupInFlight = true
        Lookup.resolve(loop: loop, host: host, family: 0, hints: 0) { [self] result in
            guard id == listenID, lookupInFlight else { return }
            lookupInFlight = false
            switch result {
            case .success(let answers):
                let usable = answers.first { !$0.address.lowercased().hasPrefix("fe80:") } ?? answers[0]
                bindAndListen(ip: usable.address, port: port, backlog: backlog)
            case .failure(let error):
                loop.nextTick { [self] in emitError(error) }
            }
        }
        return self
    }

    /// Binds (to `::` then `0.0.0.0` when `ip` is nil) and listens; reports failure as `'error'`
    /// on the next tick and leaves the server free to listen again.
    private func bindAndListen(ip: String?, port: Int, backlog: Int) {
        var result = tryListen(ip: ip ?? "::", port: port, backlog: backlog)
        if ip == nil, case .failure = result {
            result = tryListen(ip: "0.0.0.0", port: port, backlog: backlog)
        }
        switch result {
        case .success(let h):
            handle = h
            h.server = self
            if !wantRef { h.unref() }
            loop.nextTick { [self] in
                if handle === h { emit(.listening) }
            }
        case .failure(let error):
            loop.nextTick { [self] in emitError(error) }
        }
    }

    private func tryListen(ip: String, port: Int, backlog: Int) -> Result<StreamHandle, NetError> {
        let family: Int32 = InetAddress.family(of: ip) == 6 ? AF_INET6 : AF_INET
        let (h, r) = StreamHandle.tcp(loop: loop, family: family)
        guard let h else { return .failure(.uvWithHostPort(r, syscall: "listen", address: ip, port: port)) }
        var status = h.bind(ip: ip, port: port)
        if status == 0 { status = h.listen(backlog: backlog) }
        if status < 0 {
            h.close()
            return .failure(.uvWithHostPort(status, syscall: "listen", address: ip, port: port))
        }
        return .success(h)
    }
}
