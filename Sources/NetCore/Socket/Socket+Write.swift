internal import CUV

/// The writable side's driver: try-write first, queue only the rest, batch queued chunks into one
/// `uv_write`, `'drain'` at the high-water mark, `end()` → FIN → `'finish'`. The rules are
/// `StreamState`'s (`Stream/StreamState+Writable.swift`); this file performs its answers.
extension Socket {
    /// Writes bytes (Node's `socket.write(buffer, callback)`).
    ///
    /// Returns false when bytes wait in memory and the queue (counting this write whole) has
    /// reached `writableHighWaterMark`; wait for `'drain'` before writing more. A write the
    /// kernel takes whole returns true, whatever its size, and owes no `'drain'`. `callback`
    /// runs once the bytes are handed to the kernel (on the next tick when that happened at
    /// once), or with the error if the write failed. Writing
    /// after `end()` fails with `ERR_STREAM_WRITE_AFTER_END`, after `destroy()` with
    /// `ERR_STREAM_DESTROYED` (to the callback only), on a socket that never connected with
    /// `ERR_SOCKET_CLOSED`, and after the peer ended a socket that is not half-open and already
    /// ended with `EPIPE`.
    @discardableResult @inline(__always)
    public func write(_ data: Buffer, callback: ((NetError?) -> Void)? = nil) -> Bool {
        loop.assertOnLoopThread()
        if state.writableEnd == .open && state.canWriteNow && handle != nil {
            return writeAtOnce(data, callback: callback)
        }
        return writeQueuedOrRefused(data, callback: callback)
    }

    /// `write` when the write may not go to the kernel at once: refused, or queued.
    private func writeQueuedOrRefused(_ data: Buffer, callback: ((NetError?) -> Void)?) -> Bool {
        if !state.acceptsWrites, let refusal = state.writeRefusal {
            fail(write: callback, with: refusal)
            return false
        }
        return enqueue(data, callback: callback)
    }

    /// Writes a string in an encoding (Node's `socket.write(string, encoding, callback)`).
    @discardableResult
    public func write(_ string: String, encoding: BufferEncoding = .utf8, callback: ((NetError?) -> Void)? = nil) -> Bool {
        loop.assertOnLoopThread()
        if !state.acceptsWrites, let refusal = state.writeRefusal {
            fail(write: callback, with: refusal)
            return false
        }
        if encoding == .utf8, state.canWriteNow {
            // Try the string's own UTF-8 bytes first; copy only what the kernel did not take.
            var s = string
            return s.withUTF8 { bytes in
                writeNow(UnsafeRawBufferPointer(bytes), owned: nil, callback: callback, text: string)
            }
        }
        // A queued string counts as Node counts it: its `length` (UTF-16 code units).
        return enqueue(Buffer(string, encoding: encoding), callback: callback, length: state.canWriteNow ? nil : string.utf16.count)
    }

    /// Writes bytes from an array.
    @discardableResult
    public func write(_ bytes: [UInt8], callback: ((NetError?) -> Void)? = nil) -> Bool {
        write(Buffer(bytes), callback: callback)
    }

    /// Holds writes in memory until `uncork()`, so they go out together (Node's `cork()`).
    /// Calls nest: as many `uncork()` calls as `cork()` calls release them.
    public func cork() { state.cork() }

    /// Releases one `cork()`; the last one flushes the held writes as one batch.
    public func uncork() {
        if state.uncork() { flushWrites() }
    }

    /// Node's `writableCorked`: how many `uncork()` calls are needed to flush.
    public var writableCorked: Int { Int(state.corked) }

    /// Ends the writable side after queued writes, optionally writing `data` first; the peer sees
    /// end of stream (Node's `socket.end(data, callback)`). `callback` runs on `'finish'`, before
    /// the `'finish'` listeners, as in Node; when Node calls it with an error instead (see
    /// `end(_:callback:)` taking the error), it runs all the same. Returns the socket.
    @discardableResult
    public func end(_ data: Buffer? = nil, callback: (() -> Void)? = nil) -> Socket {
        endWriting(data, callback: callback.map { cb in { _ in cb() } })
    }

    /// `end(data, callback)` with the error Node (≥ 15) passes to the callback: nil on
    /// `'finish'`; the destroy error (a refused connect's, say) or `ERR_STREAM_DESTROYED` when
    /// the socket is destroyed first; `ERR_STREAM_ALREADY_FINISHED` when it had finished
    /// already. Returns the socket.
    @discardableResult
    public func end(_ data: Buffer? = nil, callback: @escaping (NetError?) -> Void) -> Socket {
        endWriting(data, callback: callback)
    }

    private func endWriting(_ data: Buffer?, callback: ((NetError?) -> Void)?) -> Socket {
        if let data {
            // As Node, the chunk is written first. When that is refused (after `end()` or
            // `destroy()`), the end goes no further: the refusal is reported as for `write`, and
            // the callback gets it on the next tick.
            if !state.acceptsWrites, let refusal = state.writeRefusal {
                fail(write: nil, with: refusal)
                if let callback { loop.nextTick { callback(refusal) } }
                return self
            }
            _ = enqueue(data, callback: nil)
        }
        if let callback, case .callNextTick(let error) = state.addEndCallback(callback) {
            loop.nextTick { callback(error) }
        }
        switch state.end() {
        case .nothing: break
        case .finishNextTick: loop.nextTick { [self] in finishWritable() }
        case .flushThenShutdown:
            flushWrites()
            maybeShutdown()
        }
        return self
    }

    /// Ends with a string in an encoding.
    @discardableResult
    public func end(_ string: String, encoding: BufferEncoding = .utf8, callback: (() -> Void)? = nil) -> Socket {
        end(Buffer(string, encoding: encoding), callback: callback)
    }

    /// Ends with a string in an encoding; `callback` gets the error Node passes (see
    /// `end(_:callback:)`).
    @discardableResult
    public func end(_ string: String, encoding: BufferEncoding = .utf8, callback: @escaping (NetError?) -> Void) -> Socket {
        end(Buffer(string, encoding: encoding), callback: callback)
    }

    // MARK: Internals

    /// Reports a refused write as Node does: the callback on the next tick, and for anything but
    /// a destroyed socket, the socket is destroyed with the error.
    private func fail(write callback: ((NetError?) -> Void)?, with error: NetError) {
        if let callback { loop.nextTick { callback(error) } }
        if error.code != .ERR_STREAM_DESTROYED { destroy(error) }
    }

    /// Writes or queues `data`; `length` is what a queued string counts for in `writableLength`
    /// (nil for bytes, which count their size).
    private func enqueue(_ data: Buffer, callback: ((NetError?) -> Void)?, length: Int? = nil) -> Bool {
        if state.canWriteNow {
            return data.withUnsafeBytes { writeNow($0, owned: data, callback: callback) }
        }
        state.accepted(data.count)
        let ok = queueChunk(data, callback: callback, size: length ?? data.count)
        refreshTimeoutIfSet()
        flushWrites()
        return ok
    }

    /// The fast path: nothing queued, so hand the bytes to the kernel right away. `text` is the
    /// string the bytes encode, if they came from one: a tail the kernel did not take then counts
    /// for the string's UTF-16 length, as in Node (counted only in that case).
    private func writeNow(
        _ bytes: UnsafeRawBufferPointer, owned: Buffer?, callback: ((NetError?) -> Void)?, text: String? = nil
    ) -> Bool {
        guard handle != nil else {
            // Node's `_writeGeneric` without a handle: the write fails with ERR_SOCKET_CLOSED.
            let error = NetError(code: .ERR_SOCKET_CLOSED, message: "Socket is closed")
            if let callback { loop.nextTick { callback(error) } }
            destroy(error)
            return false
        }
        state.accepted(bytes.count)
        refreshTimeoutIfSet()
        // The stream's memory, not the handle object: the socket holds the handle, and nothing
        // between here and the try-write can let go of it, so no retain is needed for the call
        // (one retain and release per write, measured with `make bench-instr`).
        let n = StreamHandle.tryWrite(bytes, on: handle.unsafelyUnwrapped.stream)
        return settle(tried: n, bytes, owned: owned, callback: callback, text: text)
    }

    /// `writeNow` for a buffer, from `write` once it knows the socket is open, uncorked and has
    /// nothing queued or in flight, and has a handle: inlined into `write`, down to the usual
    /// outcome (no callback, the kernel took every byte); anything else is `settle`'s.
    /// Measured with `make bench-instr`: the general `enqueue` → `writeNow` path cost about 60
    /// more instructions per echoed chunk.
    @inline(__always)
    private func writeAtOnce(_ data: Buffer, callback: ((NetError?) -> Void)?) -> Bool {
        state.accepted(data.count)
        refreshTimeoutIfSet()
        // The stream's memory, without retaining the handle: see `writeNow`.
        let n = data.withUnsafeBytes { StreamHandle.tryWrite($0, on: handle.unsafelyUnwrapped.stream) }
        // Taken whole: `true` whatever its size, and no `'drain'` is owed (Node's answer when
        // everything was flushed to the kernel buffer).
        if n == data.count && callback == nil { return true }
        return data.withUnsafeBytes { settle(tried: n, $0, owned: data, callback: callback, text: nil) }
    }

    /// What follows a try-write of `bytes` that took `n` of them (or failed, when negative):
    /// the callback, the `write` answer, and the queued tail.
    @inline(never)
    private func settle(
        tried n: Int, _ bytes: UnsafeRawBufferPointer, owned: Buffer?, callback: ((NetError?) -> Void)?, text: String?
    ) -> Bool {
        if n < 0 {
            let error = NetError.errno(Int32(n), syscall: "write")
            if let callback { loop.nextTick { callback(error) } }
            destroy(error)
            return false
        }
        if n == bytes.count {
            if let callback { loop.nextTick { callback(nil) } }
            return true
        }
        let rest = owned.map { $0.subarray(n) } ?? Buffer(copying: UnsafeRawBufferPointer(rebasing: bytes[n...]))
        let size = text?.utf16.count ?? bytes.count
        let ok = queueChunk(rest, callback: callback, size: size, alreadyFull: size >= state.writableHighWaterMark)
        flushWrites(settlesAtOnce: false)
        return ok
    }

    /// The write a splice into this socket amounts to (`Socket+Splice.swift`): `count` bytes, of
    /// which the kernel took all but `rest` at once. Counts, answers and owes `'drain'` exactly
    /// as `write` of those bytes does when its try-write takes that much (`writeAtOnce`, `settle`):
    /// true when the kernel took them all.
    func wroteSpliced(_ count: Int, rest: Buffer?) -> Bool {
        state.accepted(count)
        refreshTimeoutIfSet()
        guard let rest, rest.count > 0 else { return true }
        let ok = queueChunk(rest, callback: nil, size: count, alreadyFull: count >= state.writableHighWaterMark)
        flushWrites(settlesAtOnce: false)
        return ok
    }

    /// Queues `buffer`, cut into pieces libuv can take (a `uv_buf_t` holds at most 4 GiB); the
    /// last piece carries the callback and whatever of `size` the others do not. Returns the answer
    /// `write` gives.
    private func queueChunk(_ buffer: Buffer, callback: ((NetError?) -> Void)?, size: Int, alreadyFull: Bool = false) -> Bool {
        if buffer.count <= WriteChunk.maxBytes {
            return state.queue(WriteChunk(buffer: buffer, callback: callback, size: size), alreadyFull: alreadyFull)
        }
        return state.queue(pieces: WriteChunk.pieces(of: buffer, callback: callback, size: size), alreadyFull: alreadyFull)
    }

    /// Sends queued chunks as one `uv_write` when connected, uncorked and nothing is in flight.
    /// When libuv writes the whole batch at once (its queue stays empty), that is Node's
    /// synchronous `writev`: its bytes leave `writableLength` right away, and an owed `'drain'`
    /// and the chunks' callbacks come on the next tick (`calledBackAtOnce`), before ticks queued
    /// after this one; what must follow the write itself (`'finish'`, the next batch) still waits
    /// for libuv's callback. `settlesAtOnce` false keeps a batch asynchronous whatever libuv
    /// does, as Node's write is once its try-write took only part of the bytes.
    func flushWrites(settlesAtOnce: Bool = true) {
        guard state.batchIsDue, let h = handle else { return }
        let request = loop.writeRequests.get()
        while request.chunks.count < WriteRequest.maxBuffers, let chunk = state.nextForBatch() {
            request.byteCount += chunk.size
            request.chunks.append(chunk)
        }
        state.batchSubmitted()
        let r = request.submit(on: h)
        if r < 0 {
            state.batchCompleted(bytes: request.byteCount)
            let error = NetError.errno(r, syscall: "write")
            for chunk in request.chunks { if let cb = chunk.callback { loop.nextTick { cb(error) } } }
            loop.writeRequests.put(request)
            destroy(error)
        } else if settlesAtOnce && h.writeQueueSize == 0 {
            request.settled = true
            state.batchWrittenAtOnce(bytes: request.byteCount)
            calledBackAtOnce(request)
        }
    }

    /// A batch written whole at once: on the next tick, an owed `'drain'`, then its callbacks,
    /// without an error even if the socket is destroyed meanwhile (Node's `afterWriteTick`).
    /// libuv's callback for it then calls nobody back (`afterWrite`). A batch with no callbacks
    /// and no `'drain'` owed queues nothing.
    private func calledBackAtOnce(_ request: WriteRequest) {
        var callbacks: [(NetError?) -> Void] = []
        for chunk in request.chunks { if let cb = chunk.callback { callbacks.append(cb) } }
        if callbacks.isEmpty {
            // The data path's case (a pipe that wrote past the mark): a step, no closure.
            if state.needDrain { loop.nextTick(self, SocketStep.drain.rawValue) }
            return
        }
        loop.nextTick { [self] in
            emitDrainIfNeeded()
            for cb in callbacks { cb(nil) }
        }
    }

    /// A `uv_write` completed. As in Node (`onwrite`), the writes queued meanwhile go out first,
    /// then an owed `'drain'` is emitted, then the completed writes are called back.
    func afterWrite(_ request: WriteRequest, status: Int32) {
        state.batchCompleted(bytes: request.settled ? 0 : request.byteCount)
        let error: NetError? = status < 0 && !destroyed ? .errno(status, syscall: "write") : nil
        if error == nil {
            flushWrites()
            if state.writableLength == 0 { emitDrainIfNeeded() }
        }
        if !request.settled { for chunk in request.chunks { chunk.callback?(error) } }
        loop.writeRequests.put(request)
        if let error {
            destroy(error)
            return
        }
        if destroyed {
            failQueuedWrites()
            return
        }
        refreshTimeoutIfSet()
        flushWrites()
        if state.writableLength == 0 {
            emitDrainIfNeeded()
            maybeShutdown()
            if !pipeSources.isEmpty && state.canWriteNow { offerSpliceToSources() }
        }
    }

    /// `'drain'` once the queue is empty after `write` returned false; not after `end()`, as Node
    /// (`afterWrite` skips it while the stream is ending).
    func drainTick() { emitDrainIfNeeded() }

    private func emitDrainIfNeeded() {
        guard state.takeDrain() else { return }
        emit(.drain)
        if !pipeSources.isEmpty { resumePipeSources() }
    }

    /// After `end()`: once connected and every queued byte is out, send FIN.
    func maybeShutdown() {
        guard let h = handle else { return }
        switch state.shutdownStep() {
        case .nothing: return
        case .finishNextTick:
            // The peer has ended too, so the socket closes as soon as this side finishes, and
            // closing sends the FIN: no separate shutdown round trip (the peer sees the same).
            loop.nextTick(self, SocketStep.finish.rawValue)
            return
        case .shutdown: break
        }
        let r = h.shutdown()
        if r < 0 && r != Int32(UV_ENOTCONN.rawValue) {
            destroy(.errno(r, syscall: "shutdown"))
        } else if r < 0 {
            loop.nextTick { [self] in finishWritable() }
        }
    }

    /// The FIN went out (or could not: the handle reports why).
    func shutdownCompleted(_ status: Int32) {
        // ENOTCONN means the peer is already gone: the side is finished all the same.
        if status < 0 && status != Int32(UV_ENOTCONN.rawValue) && !destroyed {
            destroy(.errno(status, syscall: "shutdown"))
        } else {
            finishWritable()
        }
    }

    /// Emits `'finish'`; if the readable side has ended too, the socket destroys itself.
    func finishWritable() {
        guard let callbacks = state.finish() else { return }
        for callback in callbacks { callback(nil) }
        if !pipeSources.isEmpty { unpipeFromSources() }
        emit(.finish)
        if state.destroyAfterFinish(hasHandle: handle != nil) { destroy() }
    }
}
