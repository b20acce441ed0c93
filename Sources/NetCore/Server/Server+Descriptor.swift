/// Listening on a descriptor someone else opened (Node's `server.listen({ fd })`).
extension Server {
    /// Starts listening on a descriptor that is already bound (Node's `server.listen({ fd })`):
    /// a TCP or Unix stream socket. Anything else is reported as an `'error'`
    /// (`listen EINVAL: invalid argument`) on the next tick; a negative descriptor is no
    /// descriptor, as in Node: `ERR_INVALID_ARG_VALUE` (`must have the property "port" or "path"`).
    /// Returns the server.
    @discardableResult
    public func listen(fd: Int32, backlog: Int = 511, onListening: (() -> Void)? = nil) throws(NetError) -> Server {
        guard handle == nil else {
            throw NetError(
                code: .ERR_SERVER_ALREADY_LISTEN,
                message: "Listen method has been called more than once without closing.")
        }
        if let onListening { once(.listening, onListening) }
        guard fd >= 0 else { throw .invalidArgValue("options", "{ fd: \(fd) }", reason: "must have the property \"port\" or \"path\"") }
        listenID += 1
        let (h, r) = StreamHandle.open(loop: loop, fd: fd)
        var status = r
        if let h {
            status = h.listen(backlog: backlog > 0 ? backlog : 511)
            if status < 0 { h.close() }
        }
        if let h, status == 0 {
            adoptListening(h, path: nil)
        } else {
            let error = NetError.uvWithHostPort(status, syscall: "listen", address: nil, port: nil)
            loop.nextTick { [self] in emitError(error) }
        }
        return self
    }
}
