internal import CUV

/// The readable side's driver: `pause`/`resume`, reads from the kernel, `'end'`. The rules are
/// `StreamState`'s (`Stream/StreamState+Readable.swift`); this file performs its answers.
extension Socket {
    /// Stops the flow of `'data'` events (Node's `pause()`). As in Node, the socket goes on
    /// reading until `readableHighWaterMark` bytes wait unread, then stops reading from the
    /// kernel, so the peer is slowed down instead of memory growing; the peer's end and errors
    /// are still seen meanwhile. With `onread`, which buffers nothing, reading stops at once.
    /// Emits `'pause'` when the socket was not paused already. Returns the socket.
    @discardableResult
    public func pause() -> Socket {
        if state.pause() { emit(.pause) }
        if onread != nil { handle?.readStop() }
        return self
    }

    /// Starts or restarts the flow of `'data'` events (Node's `resume()`). When the socket was
    /// not flowing, `'resume'` is emitted on the next tick, and buffered data is delivered right
    /// after it. With `onread`, reads stopped by `pause()` or by a callback returning false
    /// start again at once. Returns the socket.
    @discardableResult
    public func resume() -> Socket {
        loop.assertOnLoopThread()
        resumeOnRead()
        if state.resume() { loop.nextTick(self, SocketStep.resume.rawValue) }
        return self
    }

    /// Whether the socket was paused with `pause()` (Node's `isPaused()`).
    public func isPaused() -> Bool { state.flow == .paused }

    /// The tick `resume()` queued: `'resume'`, then deliver what is buffered and read again.
    func resumeTick() {
        state.resumeTick()
        emit(.resume)
        flushReadBuffer()
        startReadingIfWanted()
    }

    /// Reads from the kernel when the stream wants data.
    func startReadingIfWanted() {
        guard state.wantsToRead, let h = handle else { return }
        let r = h.readStart(splicing: readsSpliced())
        if r < 0 { destroy(.errno(r, syscall: "read")) }
    }

    /// A chunk arrived from the kernel.
    @inline(__always)
    func onRead(_ chunk: Buffer) {
        refreshTimeoutIfSet()
        switch state.received(chunk) {
        case .deliver: deliver(chunk)
        case .buffered: break
        case .bufferedStopReading: handle?.readStop()
        }
    }

    /// The kernel reported end of stream or an error (or, while splicing, that the stream is
    /// readable: `Socket+Splice.swift`).
    func onReadError(_ status: Int32) {
        if status == UV_ENOBUFS_CODE, handle?.splicing == true {
            spliceReadable()
        } else if status == UV_EOF_CODE {
            handle?.readStop()
            if state.endOfStream() { queueEnd() }
        } else {
            destroy(.errno(status, syscall: "read"))
        }
    }

    /// Hands a chunk to pipe destinations, `.data` listeners, and decoded to `.text` listeners.
    /// Pipe destinations get it first, as if `pipe` had added the first `'data'` listener.
    @inline(__always)
    func deliver(_ chunk: Buffer) {
        if !pipeTargets.isEmpty { deliverToPipes(chunk) }
        guard hasChunkExtras else { return }
        emitDataBorrowingTable(chunk)
        if decoder != nil { deliverText(chunk) }
    }

    /// Delivers buffered chunks while flowing, then queues `'end'` if the peer has ended.
    func flushReadBuffer() {
        while let chunk = state.nextBuffered() { deliver(chunk) }
        if state.queueEndIfDue() { queueEnd() }
    }

    private func queueEnd() {
        loop.nextTick { [self] in emitEnd() }
    }

    /// Emits `'end'`, then, unless half-open is allowed, ends our side too; once both sides are
    /// done the socket destroys itself (Node's autoDestroy).
    private func emitEnd() {
        guard state.endIsDue else { return }
        if var d = decoder {
            let rest = d.end()
            decoder = d
            if !rest.isEmpty { emit(.text, rest) }
        }
        state.endEmitting()
        emit(.end)
        if !pipeTargets.isEmpty { endPipeTargets() }
        switch state.afterEnd {
        case .nothing: break
        case .destroy: destroy()
        case .endNextTick: loop.nextTick(self, SocketStep.end.rawValue)
        }
    }
}

/// libuv's end-of-stream status.
let UV_EOF_CODE = Int32(UV_EOF.rawValue)
/// libuv's "no read memory" status (how a spliced stream hears it is readable).
let UV_ENOBUFS_CODE = Int32(UV_ENOBUFS.rawValue)
