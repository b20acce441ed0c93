/// A socket over a descriptor someone else opened (Node's `new net.Socket({ fd })`).
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
