internal import CUV

// Reading a connection's first bytes before it has a socket (the PROXY protocol layer).
//
// Ownership: the same as the socket read path in StreamHandle.swift. Every stream handle's
// `data` is its `StreamHandle`, kept alive by the loop while the handle is open; these callbacks
// borrow it without retaining it. Reads land in the loop's slab and are handed over as `Buffer`
// views, so a chunk outlives the callback only through the reference counting of its storage.
// While the layer reads, the handle's `server` is the accepting server, which routes the bytes to
// the connection's `ProxyHeaderReader`; the layer stops reading before the handle is given to a
// socket, so the socket's own reads (and its `reading` flag) start from a clean slate.
extension StreamHandle {
    /// Starts reading for the server's header layer. Returns 0 or a uv error.
    func prefaceReadStart() -> Int32 {
        guard isOpen, !isClosing else { return Int32(UV_EBADF.rawValue) }
        return uv_read_start(stream, cuv_slab_alloc, prefaceRead)
    }

    /// Stops the header layer's reads.
    func prefaceReadStop() {
        guard isOpen, !isClosing else { return }
        uv_read_stop(stream)
    }
}

private let prefaceRead: uv_read_cb = { s, nread, _ in
    guard let s, let data = uv_handle_get_data(cuv_handle(s)) else { return }
    let owner = Unmanaged<StreamHandle>.fromOpaque(data).takeUnretainedValue()
    if nread > 0 {
        let chunk = owner.slab.pointee.take(nread)
        owner.server?.prefaceReceived(owner, chunk)
    } else if nread < 0 {
        owner.server?.prefaceFailed(owner, status: Int32(nread))
    }
    owner.loop.drainTicks()
}
