internal import CUV

/// The writable side: try-write first, queue only the rest, batch queued chunks into one
/// `uv_write`, `'drain'` at the high-water mark, `end()` → FIN → `'finish'`.
extension Socket {
    /// Writes bytes (Node's `socket.write(buffer, callback)`).
    ///
    /// Returns false when the queued bytes have reached `writableHighWaterMark`; wait for
    /// `'drain'` before writing more. `callback` runs once the bytes are handed to the kernel (on
    /// the next tick when that happened at once), or with the error if the write failed. Writing
    /// after `end()` fails with `ERR_STREAM_WRITE_AFTER_END`, after `destroy()` with
    /// `ERR_STREAM_DESTROYED` (to the callback only), on a socket that never connected with
    /// `ERR_SOCKET_CLOSED`, and after the peer ended a socket that is not half-open and already
    /// ended with `EPIPE`.
    @discardableResult
    public func write(_ data: Buffer, callback: ((NetError?) -> Void)? = nil) -> Bool {
        if !acceptsWrites, let refusal = writeRefusal() {
            fail(write: callback, with: refusal)
            return false
        }
        return enqueue(data, callback: callback)
    }

    /// The usual case, answered without building an error: open, not ended, and connected or
    /// connecting.
    @inline(__always)
    private var acceptsWrites: Bool { !destroyed && !writableEnded && (handle != nil || connecting) }

    /// Writes a string in an encoding (Node's `socket.write(string, encoding, callback)`).
    @discardableResult
    public func write(_ string: String, encoding: BufferEncoding = .utf8, callback: ((NetError?) -> Void)? = nil) -> Bool {
        if !acceptsWrites, let refusal = writeRefusal() {
            fail(write: callback, with: refusal)
            return false
        }
        if encoding == .utf8, canWriteNow {
            // Try the string's own UTF-8 bytes first; copy only what the kernel did not take.
            var s = string
            return s.withUTF8 { bytes in
                writeNow(UnsafeRawBufferPointer(bytes), owned: nil, callback: callback)
            }
        }
        return enqueue(Buffer(string, encoding: encoding), callback: callback)
    }

    /// Writes bytes from an array.
    @discardableResult
    public func write(_ bytes: [UInt8], callback: ((NetError?) -> Void)? = nil) -> Bool {
        write(Buffer(bytes), callback: callback)
    }

    /// Holds writes in memory until `uncork()`, so they go out together (Node's `cork()`).
    /// Calls nest: as many `uncork()` calls as `cork()` calls release them.
    public func cork() { corkCount += 1 }

    /// Releases one `cork()`; the last one flushes the held writes as one batch.
    public func uncork() {
        guard corkCount > 0 else { return }
        corkCount -= 1
        if corkCount == 0 { flushWrites() }
    }

    /// Node's `writableCorked`: how many `uncork()` calls are needed to flush.
    public var writableCorked: Int { corkCount }

    /// Ends the writable side after queued writes, optionally writing `data` first; the peer sees
    /// end of stream (Node's `socket.end(data, callback)`). `callback` runs on `'finish'`, before
    /// the `'finish'` listeners, as in Node; it is dropped if the socket is destroyed first.
    /// Returns the socket.
    @discardableResult
    public func end(_ data: Buffer? = nil, callback: (() -> Void)? = nil) -> Socket {
        if let data, writeRefusal() == nil { _ = enqueue(data, callback: nil) }
        if let callback {
            if writableFinished { loop.nextTick(callback) } else { endCallbacks.append(callback) }
        }
        guard !writableEnded, !destroyed else { return self }
        writableEnded = true
        corkCount = 0
        if handle == nil && !connecting {
            // Never connected: finish at once (Node's `_final` without a handle).
            loop.nextTick { [self] in finishWritable() }
            return self
        }
        flushWrites()
        maybeShutdown()
        return self
    }

    /// Ends with a string in an encoding.
    @discardableResult
    public func end(_ string: String, encoding: BufferEncoding = .utf8, callback: (() -> Void)? = nil) -> Socket {
        end(Buffer(string, encoding: encoding), callback: callback)
    }

    // MARK: Internals

    private var canWriteNow: Bool {
        handle != nil && !connecting && corkCount == 0 && writeQueue.isEmpty && inFlight == nil
    }

    /// Why a write cannot be accepted, if it cannot.
    ///
    /// Once the peer has ended a socket that is not half-open and our side has ended too, every
    /// write fails with `EPIPE`, even after the socket is destroyed: Node swaps `write` for
    /// `writeAfterFIN`, which answers before the stream's own destroyed check.
    private func writeRefusal() -> NetError? {
        if writableEnded && peerEnded {
            var e = NetError(code: .EPIPE, message: "This socket has been ended by the other party")
            e.errno = nil
            return e
        }
        if destroyed {
            return NetError(code: .ERR_STREAM_DESTROYED, message: "Cannot call write after a stream was destroyed")
        }
        if writableEnded {
            return NetError(code: .ERR_STREAM_WRITE_AFTER_END, message: "write after end")
        }
        if handle == nil && !connecting {
            return NetError(code: .ERR_SOCKET_CLOSED, message: "Socket is closed")
        }
        return nil
    }

    /// Reports a refused write as Node does: the callback on the next tick, and for anything but
    /// a destroyed socket, the socket is destroyed with the error.
    private func fail(write callback: ((NetError?) -> Void)?, with error: NetError) {
        if let callback { loop.nextTick { callback(error) } }
        if error.code != .ERR_STREAM_DESTROYED { destroy(error) }
    }

    private func enqueue(_ data: Buffer, callback: ((NetError?) -> Void)?) -> Bool {
        if canWriteNow {
            return data.withUnsafeBytes { writeNow($0, owned: data, callback: callback) }
        }
        bytesWrittenCount += data.count
        queuedBytes += data.count
        appendChunk(data, callback: callback, size: data.count)
        let ok = queuedBytes < writableHighWaterMark
        if !ok { needDrain = true }
        if timeoutMs > 0 { refreshTimeout() }
        flushWrites()
        return ok
    }

    /// The fast path: nothing queued, so hand the bytes to the kernel right away.
    private func writeNow(_ bytes: UnsafeRawBufferPointer, owned: Buffer?, callback: ((NetError?) -> Void)?) -> Bool {
        guard let h = handle else { return false }
        bytesWrittenCount += bytes.count
        if timeoutMs > 0 { refreshTimeout() }
        let ok = bytes.count < writableHighWaterMark
        let n = h.tryWrite(bytes)
        if n < 0 {
            let error = NetError.errno(Int32(n), syscall: "write")
            if let callback { loop.nextTick { callback(error) } }
            destroy(error)
            return false
        }
        if n == bytes.count {
            if let callback { loop.nextTick { callback(nil) } }
            if !ok {
                needDrain = true
                loop.nextTick(.drain(self))
            }
            return ok
        }
        let rest = owned.map { $0.subarray(n) } ?? Buffer(copying: UnsafeRawBufferPointer(rebasing: bytes[n...]))
        queuedBytes += bytes.count
        appendChunk(rest, callback: callback, size: bytes.count)
        let queuedOK = queuedBytes < writableHighWaterMark && ok
        if !queuedOK { needDrain = true }
        flushWrites()
        return queuedOK
    }

    /// Queues `buffer`, cut into pieces libuv can take (a `uv_buf_t` holds at most 4 GiB); the
    /// last piece carries the callback and whatever of `size` the others do not.
    private func appendChunk(_ buffer: Buffer, callback: ((NetError?) -> Void)?, size: Int) {
        if buffer.count <= WriteChunk.maxBytes {
            writeQueue.append(WriteChunk(buffer: buffer, callback: callback, size: size))
        } else {
            writeQueue.append(contentsOf: WriteChunk.pieces(of: buffer, callback: callback, size: size))
        }
    }

    /// Sends queued chunks as one `uv_write` when connected, uncorked and nothing is in flight.
    func flushWrites() {
        guard let h = handle, !connecting, !destroyed, corkCount == 0, inFlight == nil, !writeQueue.isEmpty else { return }
        let request = loop.writeRequests.get()
        while request.chunks.count < WriteRequest.maxBuffers, let chunk = writeQueue.popFirst() {
            request.byteCount += chunk.size
            request.chunks.append(chunk)
        }
        inFlight = request
        let r = request.submit(on: h)
        if r < 0 {
            inFlight = nil
            let error = NetError.errno(r, syscall: "write")
            for chunk in request.chunks { if let cb = chunk.callback { loop.nextTick { cb(error) } } }
            queuedBytes -= request.byteCount
            loop.writeRequests.put(request)
            destroy(error)
        }
    }

    /// A `uv_write` completed.
    func afterWrite(_ request: WriteRequest, status: Int32) {
        inFlight = nil
        lastTimeoutQueueSize = 0
        queuedBytes -= request.byteCount
        let error: NetError? = status < 0 && !destroyed ? .errno(status, syscall: "write") : nil
        for chunk in request.chunks { chunk.callback?(error) }
        loop.writeRequests.put(request)
        if let error {
            destroy(error)
            return
        }
        if destroyed {
            failQueuedWrites()
            return
        }
        if timeoutMs > 0 { refreshTimeout() }
        flushWrites()
        if queuedBytes == 0 {
            emitDrainIfNeeded()
            if writableEnded { maybeShutdown() }
        }
    }

    /// `'drain'` once the queue is empty after `write` returned false; not after `end()`, as Node
    /// (`afterWrite` skips it while the stream is ending).
    func drainTick() { emitDrainIfNeeded() }

    private func emitDrainIfNeeded() {
        guard needDrain, queuedBytes == 0, !destroyed, !writableEnded else { return }
        needDrain = false
        emit(.drain)
        if !pipeSources.isEmpty { resumePipeSources() }
    }

    /// After `end()`: once connected and every queued byte is out, send FIN.
    func maybeShutdown() {
        guard writableEnded, !shutdownStarted, !destroyed, let h = handle, !connecting,
              writeQueue.isEmpty, inFlight == nil
        else { return }
        shutdownStarted = true
        if readableEnded {
            // The peer has ended too, so the socket closes as soon as this side finishes, and
            // closing sends the FIN: no separate shutdown round trip (the peer sees the same).
            loop.nextTick(.finish(self))
            return
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
        guard !writableFinished, !destroyed else { return }
        writableFinished = true
        let callbacks = endCallbacks
        endCallbacks.removeAll()
        for callback in callbacks { callback() }
        emit(.finish)
        if destroyed { return }
        if readableEnded || handle == nil {
            destroy()
        }
    }
}
