internal import CUV

/// A `uv_write_t` with the chunks it carries, kept alive from `uv_write` until its callback.
///
/// Requests are pooled per loop (`WriteRequestPool`), so a steady stream of writes allocates
/// nothing: the request object, its `uv_write_t` and its buffer array are reused.
final class WriteRequest {
    static let maxBuffers = 64
    let req: UnsafeMutablePointer<uv_write_t>
    let bufs: UnsafeMutablePointer<uv_buf_t>
    @exclusivity(unchecked) var chunks: ContiguousArray<WriteChunk> = []
    @exclusivity(unchecked) var byteCount = 0
    /// Whether libuv wrote every byte during `uv_write` itself, so the socket already counted the
    /// batch done and called its chunks back on a tick (Node's synchronous write): libuv's
    /// callback then only lets the next batch go.
    @exclusivity(unchecked) var settled = false
    @exclusivity(unchecked) var stream: StreamHandle?

    init() {
        req = .allocate(capacity: 1)
        bufs = .allocate(capacity: WriteRequest.maxBuffers)
        chunks.reserveCapacity(WriteRequest.maxBuffers)
    }

    deinit {
        req.deallocate()
        bufs.deallocate()
    }

    /// Submits the chunks as one `uv_write` with a buffer each. Returns 0 or a uv error; on error
    /// the request is not in flight.
    func submit(on stream: StreamHandle) -> Int32 {
        var n: UInt32 = 0
        for chunk in chunks {
            chunk.buffer.withUnsafeBytes { bytes in
                bufs[Int(n)] = uv_buf_init(
                    UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: CChar.self)),
                    UInt32(bytes.count))
            }
            n += 1
        }
        self.stream = stream
        let unmanaged = Unmanaged.passRetained(self)
        uv_req_set_data(cuv_req(req), unmanaged.toOpaque())
        let r = uv_write(req, stream.stream, bufs, n) { req, status in
            guard let req else { return }
            let request = Unmanaged<WriteRequest>.fromOpaque(uv_req_get_data(cuv_req(req))!).takeRetainedValue()
            guard let stream = request.stream else { return }
            request.stream = nil
            stream.writeCompleted(request, status: status)
            stream.loop.drainTicks()
        }
        if r < 0 {
            unmanaged.release()
            self.stream = nil
        }
        return r
    }

    /// Forgets the chunks so the request can be reused.
    func reset() {
        chunks.removeAll(keepingCapacity: true)
        byteCount = 0
        settled = false
    }
}

/// The loop's free write requests.
final class WriteRequestPool {
    @exclusivity(unchecked) private var free: [WriteRequest] = []
    static let limit = 64

    func get() -> WriteRequest { free.popLast() ?? WriteRequest() }

    func put(_ request: WriteRequest) {
        request.reset()
        if free.count < WriteRequestPool.limit { free.append(request) }
    }
}
