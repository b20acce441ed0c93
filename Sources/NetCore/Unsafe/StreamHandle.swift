internal import CUV

/// A connected or listening stream: the `uv_tcp_t` or `uv_pipe_t` under a `Socket` or `Server`.
///
/// This is the shared stream layer: reading, writing, shutdown, close and ref counting are written
/// once here for TCP and Unix pipes alike; only creation, bind, connect and addresses differ
/// (`StreamHandle+TCP.swift`). While open, the handle keeps its socket or server alive, and lets
/// go of it in `didClose`, so no cycle outlives the handle.
final class StreamHandle: Handle {
    /// What the handle is.
    enum Kind: UInt8 { case tcp, pipe }
    // The one-byte fields come first, so they share the word after `Handle`'s flags: an idle
    // connection's handle object fits malloc's 64-byte class (`make bench`, idle scenario).
    let kind: Kind
    @exclusivity(unchecked) private(set) var reading = false
    /// Whether reads go to the socket's `onread` memory instead of the loop's slab.
    @exclusivity(unchecked) var usesOnread = false
    /// Whether reading only reports that the stream is readable (the socket splices what it
    /// reads into a kernel pipe itself: `Socket+Splice.swift`).
    @exclusivity(unchecked) private(set) var splicing = false
    /// The socket this handle carries, retained by the handle while it is set (from `adopt` until
    /// `didClose`). Stored as an `Unmanaged` so the read path borrows it without retaining it;
    /// `socket` below is the checked face of the same field.
    @exclusivity(unchecked) private(set) var socketRef: Unmanaged<Socket>?
    /// The server listening on this handle, or holding it while a PROXY header is read.
    @exclusivity(unchecked) var server: Server?

    /// The socket this handle carries; set while it is open.
    var socket: Socket? {
        get { socketRef?.takeUnretainedValue() }
        set {
            let old = socketRef
            socketRef = newValue.map { Unmanaged.passRetained($0) }
            old?.release()
        }
    }

    /// The loop's read slab (the loop outlives its handles).
    @inline(__always) var slab: UnsafeMutablePointer<ReadSlab> { loop.readSlab }

    init(loop: EventLoop, kind: Kind) {
        self.kind = kind
        super.init(loop: loop, size: kind == .tcp ? MemoryLayout<uv_tcp_t>.size : MemoryLayout<uv_pipe_t>.size)
    }

    deinit { socketRef?.release() }

    var stream: UnsafeMutablePointer<uv_stream_t> { raw.assumingMemoryBound(to: uv_stream_t.self) }
    var tcp: UnsafeMutablePointer<uv_tcp_t> { raw.assumingMemoryBound(to: uv_tcp_t.self) }
    var pipe: UnsafeMutablePointer<uv_pipe_t> { raw.assumingMemoryBound(to: uv_pipe_t.self) }

    override func didClose() {
        reading = false
        splicing = false
        let s = socket
        socket = nil
        server = nil
        s?.handleClosed(self)
    }

    // MARK: Reading

    /// Starts delivering reads to the socket. libuv reads into the socket's `onread` memory
    /// when it has some; otherwise libuv reads nothing and only reports the stream readable (as a
    /// `UV_ENOBUFS` read): with `splicing` the socket then splices what the stream holds, and
    /// without, the handle reads it into the loop's slab itself (`readIntoSlab`). Returns 0 or a
    /// uv error.
    @discardableResult
    func readStart(splicing: Bool = false) -> Int32 {
        guard isOpen, !isClosing, !reading else { return 0 }
        let alloc: uv_alloc_cb = usesOnread && !splicing ? onreadAlloc : cuv_no_read_memory
        let r = uv_read_start(stream, alloc, streamRead)
        if r == 0 {
            reading = true
            self.splicing = splicing
        }
        return r
    }

    /// Stops reading; the kernel buffers what the peer sends, and the peer slows down.
    func readStop() {
        guard isOpen, !isClosing, reading else { return }
        uv_read_stop(stream)
        reading = false
        splicing = false
    }

    /// The stream's descriptor, or -1 when it has none.
    var fileDescriptor: Int32 { Swift.max(-1, cuv_fileno(raw)) }

    // MARK: Writing

    /// Writes what the kernel takes now without blocking. Returns the byte count (0 when it
    /// would block) or a negative uv error.
    func tryWrite(_ bytes: UnsafeRawBufferPointer) -> Int {
        StreamHandle.tryWrite(bytes, on: stream)
    }

    /// `tryWrite` on a stream's memory, for a caller that holds the handle already and need not
    /// retain it for the call (`Socket.writeNow`): the try-write never calls back, so nothing
    /// can release the handle while it runs. `cuv_try_write` answers as `uv_try_write` does for
    /// one buffer, with the write made without glibc's cancellation-point wrapper (see the shim).
    @inline(__always)
    static func tryWrite(_ bytes: UnsafeRawBufferPointer, on stream: UnsafeMutablePointer<uv_stream_t>) -> Int {
        guard bytes.count > 0 else { return 0 }
        let r = cuv_try_write(
            stream, bytes.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: CChar.self),
            Swift.min(bytes.count, WriteChunk.maxBytes))
        if r == Int(UV_EAGAIN.rawValue) { return 0 }
        return r
    }

    /// Bytes libuv still holds in its write queue.
    var writeQueueSize: Int { Int(uv_stream_get_write_queue_size(stream)) }

    func writeCompleted(_ request: WriteRequest, status: Int32) {
        if let socket { socket.afterWrite(request, status: status) } else { loop.writeRequests.put(request) }
    }

    // MARK: Listening

    /// Starts listening; each connection is handed to the server.
    func listen(backlog: Int) -> Int32 {
        uv_listen(stream, Int32(clamping: backlog)) { s, status in
            let owner = Handle.owner(s, as: StreamHandle.self)
            owner.server?.onConnection(status: status)
            owner.loop.drainTicks()
        }
    }

    /// Accepts one pending connection into a new handle of the same kind.
    func accept() -> (StreamHandle?, Int32) {
        let client: StreamHandle
        switch kind {
        case .tcp:
            client = StreamHandle(loop: loop, kind: .tcp)
            let r = uv_tcp_init(loop.uv, client.tcp)
            if r < 0 { return (nil, r) }
        case .pipe:
            client = StreamHandle(loop: loop, kind: .pipe)
            let r = uv_pipe_init(loop.uv, client.pipe, 0)
            if r < 0 { return (nil, r) }
        }
        client.opened()
        let r = uv_accept(stream, client.stream)
        if r < 0 {
            client.close()
            return (nil, r)
        }
        return (client, 0)
    }

    // MARK: Shutdown

    /// Sends FIN once queued writes are out; the socket hears `shutdownCompleted` with 0 or a uv
    /// error. A stream shuts down at most once; its request is allocated then (not with the
    /// handle, which every idle connection carries) and freed in the callback.
    func shutdown() -> Int32 {
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        uv_req_set_data(cuv_req(request), Unmanaged.passUnretained(self).toOpaque())
        let r = uv_shutdown(request, stream) { req, status in
            // The loop keeps the handle alive until its close callback, which libuv runs only
            // after this one (with UV_ECANCELED if the handle was closed first).
            guard let req else { return }
            let data = uv_req_get_data(cuv_req(req))
            req.deallocate()
            guard let data else { return }
            let owner = Unmanaged<StreamHandle>.fromOpaque(data).takeUnretainedValue()
            owner.socket?.shutdownCompleted(status)
            owner.loop.drainTicks()
        }
        if r < 0 { request.deallocate() }
        return r
    }
}

// Reads land in the free tail of the loop's slab (`cuv_slab_read`, in C, Sources/CUV/shim.h,
// which finds it from the stream's own `loop` field, touching neither the handle's owner nor its
// socket); libuv is given no read memory and only reports the stream readable. Sockets in
// `onread` mode let libuv read into their own memory instead.

/// libuv asks for read memory for a socket in `onread` mode.
private let onreadAlloc: uv_alloc_cb = { h, _, buf in
    guard let data = h?.pointee.data, let buf else { return }
    Unmanaged<StreamHandle>.fromOpaque(data)._withUnsafeGuaranteedRef { $0.allocateOnread(buf) }
}

/// The read callbacks borrow the handle (every stream handle's `data` is its `StreamHandle`,
/// which the loop keeps alive while the handle is open) and its socket without retaining
/// either, since this is the hottest path of all.
///
/// `_withUnsafeGuaranteedRef` (an underscored standard-library call) is used on purpose here (and
/// in the few other data-path places `Sources/NetCore/README.md` lists): measured with
/// `make bench-instr`, replacing it by `takeUnretainedValue()` in the callbacks and in
/// `didRead` costs 164 more instructions per 64-byte echoed round trip
/// (1,328 → 1,492 on one TCP connection; 926 → 1,092 on 64), a retain and release of the handle
/// and of the socket per callback. It is sound because the loop holds both for as long as the
/// handle is open (`Handle.opened()`, and `socket` is cleared only in `didClose`). (Borrowing
/// the handle as an `unowned(unsafe)` local instead costs 36 more: a retain and release.)
///
/// It reads `data` as a field rather than through `uv_handle_get_data`, which is a call into
/// libuv for one load (`data` is a public field of every handle).
/// libuv delivers a read: bytes, end of stream, or an error.
private let streamRead: uv_read_cb = { s, nread, _ in
    guard let data = s?.pointee.data else { return }
    Unmanaged<StreamHandle>.fromOpaque(data)._withUnsafeGuaranteedRef { $0.didRead(nread) }
}

extension StreamHandle {
    /// Read memory for a socket in `onread` mode: its own buffer, or the slab if it has none.
    fileprivate func allocateOnread(_ buf: UnsafeMutablePointer<uv_buf_t>) {
        if let memory = socket?.onreadMemory() {
            buf.pointee = uv_buf_init(memory.baseAddress?.assumingMemoryBound(to: CChar.self), UInt32(memory.count))
            return
        }
        cuv_slab_alloc(cuv_handle(raw), 0, buf)
    }

    /// A read into the socket's `onread` memory (out of line: the slab read is the hot one).
    @inline(never)
    private func didReadInPlace(_ socket: Socket, _ nread: Int) {
        if let state = socket.onread {
            socket.onReadInto(state, count: nread)
        } else {
            slab.pointee.withTaken(nread) { socket.onRead($0) }
        }
    }

    @inline(__always)
    fileprivate func didRead(_ nread: Int) {
        guard let ref = socketRef else { return }
        ref._withUnsafeGuaranteedRef { socket in
            if nread == UV_ENOBUFS_READ && !splicing && !usesOnread {
                readIntoSlab(socket)
                return
            }
            if nread > 0 {
                didReadInPlace(socket, nread)
            } else if nread < 0 {
                socket.onReadError(Int32(nread))
            }
            socket.loop.drainTicks()
        }
    }

    /// The stream is readable: read what it holds into the loop's slab and hand each read to the
    /// socket, as libuv's own read does with slab memory (the same answers: bytes, `UV_EOF`, an
    /// error; a read that would block is none), but with `cuv_slab_read`'s direct system call,
    /// which in a process with more than one thread skips glibc's cancellation-point wrapper
    /// (about 90 instructions a read). A read that filled the slab's free tail may have left
    /// more: like libuv, the handle reads again (up to 32 reads in all, `readOnIntoSlab`). Only
    /// the usual read is inlined here; measured with `make bench-instr`, a loop in place cost
    /// about 25 instructions per echoed chunk.
    @inline(__always)
    private func readIntoSlab(_ socket: Socket) {
        let n = cuv_slab_read(stream)
        guard n > 0 else { return readFoundNothing(socket, n) }
        slab.pointee.withTaken(n) { socket.onRead($0) }
        socket.loop.drainTicks()
        // Only a read that took the whole free tail, never under `minimumRead` bytes, may have
        // left more.
        if n >= ReadSlab.minimumRead { readOnIntoSlab(socket) }
    }

    /// After a read that may have left more in the stream: read on while each read takes the
    /// slab's whole free tail and the socket still reads as before.
    @inline(never)
    private func readOnIntoSlab(_ socket: Socket) {
        var rounds = 1
        while slab.pointee.isFull, rounds < 32, reading, !splicing, !isClosing, socketRef != nil {
            rounds += 1
            let n = cuv_slab_read(stream)
            guard n > 0 else { return readFoundNothing(socket, n) }
            slab.pointee.withTaken(n) { socket.onRead($0) }
            socket.loop.drainTicks()
            if n < ReadSlab.minimumRead { return }
        }
    }

    /// A read of the readable stream gave no bytes: the end of the stream, an error, or
    /// nothing after all (`UV_EAGAIN`, which is no event).
    @inline(never)
    private func readFoundNothing(_ socket: Socket, _ n: Int) {
        if n != Int(UV_EAGAIN.rawValue) { socket.onReadError(Int32(n)) }
        socket.loop.drainTicks()
    }
}

/// libuv's status for a read given no memory: the stream is readable.
private let UV_ENOBUFS_READ = Int(UV_ENOBUFS.rawValue)
