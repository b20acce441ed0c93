internal import CUV

/// The readable side: flowing and paused modes, buffering up to the high-water mark, `'end'`.
extension Socket {
    /// Stops the flow of `'data'` events; reading from the kernel stops too, so the peer is slowed
    /// down instead of memory growing (Node's `pause()`). Returns the socket.
    ///
    /// The read stops once the current callback's ticks have run, so a `pause()` answered by a
    /// `resume()` at once (a pipe whose destination drains right away) costs no system call.
    @discardableResult
    public func pause() -> Socket {
        flowing = false
        if let h = handle, h.reading, !stopReadScheduled {
            stopReadScheduled = true
            loop.nextTick(.stopReading(self))
        }
        return self
    }

    /// The tick `pause()` queued: stop reading if the socket is still paused.
    func stopReadingTick() {
        stopReadScheduled = false
        if flowing == false { handle?.readStop() }
    }

    /// Starts or restarts the flow of `'data'` events (Node's `resume()`). Buffered data is
    /// delivered on the next tick. Returns the socket.
    @discardableResult
    public func resume() -> Socket {
        flowing = true
        if !resumeScheduled {
            resumeScheduled = true
            loop.nextTick(.resume(self))
        }
        return self
    }

    /// The tick `resume()` queued: deliver what is buffered, then read again.
    func resumeTick() {
        resumeScheduled = false
        flushReadBuffer()
        startReadingIfWanted()
    }

    /// Whether the socket was paused with `pause()` (Node's `isPaused()`).
    public func isPaused() -> Bool { flowing == false }

    /// Reads from the kernel when connected, not paused, not at the end, and under the mark or
    /// with nothing buffered (so a socket with `highWaterMark` 0 still reads, as in Node).
    func startReadingIfWanted() {
        guard let h = handle, !connecting, !destroyed, !eofReceived, flowing != false,
              readBuffer.isEmpty || readBufferLength < readableHighWaterMark
        else { return }
        let r = h.readStart()
        if r < 0 { destroy(.errno(r, syscall: "read")) }
    }

    /// A chunk arrived from the kernel.
    @inline(__always)
    func onRead(_ chunk: Buffer) {
        bytesReadCount += chunk.count
        if timeoutMs > 0 { refreshTimeout() }
        if flowing == true && readBuffer.isEmpty {
            deliver(chunk)
        } else {
            readBuffer.append(chunk)
            readBufferLength += chunk.count
            if readBufferLength >= readableHighWaterMark || flowing == false { handle?.readStop() }
        }
    }

    /// The kernel reported end of stream or an error.
    func onReadError(_ status: Int32) {
        if status == UV_EOF_CODE {
            eofReceived = true
            handle?.readStop()
            if readBuffer.isEmpty && flowing != false { scheduleEnd() }
        } else {
            destroy(.errno(status, syscall: "read"))
        }
    }

    /// Delivers buffered chunks while flowing, then `'end'` if the peer has ended.
    func flushReadBuffer() {
        while flowing == true, !destroyed, let chunk = readBuffer.popFirst() {
            readBufferLength -= chunk.count
            deliver(chunk)
        }
        if readBuffer.isEmpty && eofReceived && flowing != false { scheduleEnd() }
    }

    private func scheduleEnd() {
        guard !endScheduled, !readableEnded else { return }
        endScheduled = true
        loop.nextTick { [self] in emitEnd() }
    }

    /// Emits `'end'`, then, unless half-open is allowed, ends our side too; once both sides are
    /// done the socket destroys itself (Node's autoDestroy).
    private func emitEnd() {
        guard !destroyed, !readableEnded else { return }
        if var d = decoder {
            let rest = d.end()
            decoder = d
            if !rest.isEmpty { emit(.text, rest) }
        }
        readableEnded = true
        if !allowHalfOpen { peerEnded = true }
        emit(.end)
        if !pipeTargets.isEmpty { endPipeTargets() }
        if destroyed { return }
        if writableFinished {
            destroy()
        } else if !allowHalfOpen {
            loop.nextTick(.end(self))
        }
    }
}

/// libuv's end-of-stream status.
let UV_EOF_CODE = Int32(UV_EOF.rawValue)
