internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// Adopting a descriptor someone else opened: a TCP or Unix socket, bound, listening or
/// connected.
extension StreamHandle {
    /// A handle over `fd`, of the kind libuv sees it to be. Anything that is not a TCP or Unix
    /// stream socket is refused with `EINVAL` (or libuv's own error), and `fd` is left open.
    static func open(loop: EventLoop, fd: Int32) -> (StreamHandle?, Int32) {
        switch uv_guess_handle(fd) {
        case UV_TCP:
            let h = StreamHandle(loop: loop, kind: .tcp)
            let r = uv_tcp_init(loop.uv, h.tcp)
            if r < 0 { return (nil, r) }
            h.opened()
            let o = uv_tcp_open(h.tcp, fd)
            if o < 0 {
                h.close()
                return (nil, o)
            }
            return (h, 0)
        case UV_NAMED_PIPE:
            let (h, r) = StreamHandle.pipe(loop: loop)
            guard let h else { return (nil, r) }
            let o = uv_pipe_open(h.pipe, fd)
            if o < 0 {
                h.close()
                return (nil, o)
            }
            return (h, 0)
        default:
            return (nil, Int32(UV_EINVAL.rawValue))
        }
    }

    /// What `fd` is, in the words of Node's `guessHandleType`: `TCP`, `PIPE`, `UDP`, `TTY`,
    /// `FILE` or `UNKNOWN`.
    static func typeName(of fd: Int32) -> String {
        switch uv_guess_handle(fd) {
        case UV_TCP: return "TCP"
        case UV_NAMED_PIPE: return "PIPE"
        case UV_UDP: return "UDP"
        case UV_TTY: return "TTY"
        case UV_FILE: return "FILE"
        default: return "UNKNOWN"
        }
    }
}

extension Socket {
    /// A socket over a descriptor that is already connected (Node's `new net.Socket({ fd,
    /// readable, writable })`), or over a Unix socket that `connect(path:)` then connects. Throws `ERR_OUT_OF_RANGE` for a negative descriptor,
    /// `ERR_INVALID_FD_TYPE` (`Unsupported fd type: FILE`) for one that is not a TCP or Unix
    /// stream socket, and libuv's error (`open EEXIST`) if it cannot be adopted; the descriptor is
    /// then left open. `readable: false` starts with the readable side ended; `writable: false`
    /// with the writable side ended. Closing the socket closes the descriptor.
    public convenience init(
        fd: Int32, readable: Bool = true, writable: Bool = true,
        _ options: SocketOptions = SocketOptions(), loop: EventLoop = .default
    ) throws(NetError) {
        guard fd >= 0 else {
            throw .outOfRange("fd", range: ">= 0 && <= 2147483647", received: "\(fd)")
        }
        let type = StreamHandle.typeName(of: fd)
        guard type == "TCP" || type == "PIPE" else {
            throw NetError(code: .ERR_INVALID_FD_TYPE, message: "Unsupported fd type: \(type)", name: "TypeError")
        }
        let (h, r) = StreamHandle.open(loop: loop, fd: fd)
        guard let h else { throw .errno(r, syscall: "open") }
        self.init(options, loop: loop)
        adopt(h)
        cachePeer()
        if !readable { state.startReadableEnded() }
        if !writable { state.startWritableFinished() }
        loop.nextTick { [self] in startReadingIfWanted() }
    }
}

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
        guard fd >= 0 else { throw .invalidArgValue("options", "{ fd: \(fd) }", reason: "must have the property \"port\" or \"path\"") }
        if let onListening { once(.listening, onListening) }
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
