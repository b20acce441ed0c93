/// Tearing down: `destroy`, `destroySoon`, `resetAndDestroy`, and the `'error'` → `'close'` order.
extension Socket {
    /// Closes the socket now, dropping queued writes (Node's `destroy(error)`). With an error,
    /// `'error'` is emitted first; `'close'` follows once the handle is closed, with `hadError`.
    /// Calling it again does nothing. Returns the socket.
    @discardableResult
    public func destroy(_ error: NetError? = nil) -> Socket {
        tearDown(error, reset: false)
        return self
    }

    /// Ends the writable side, then destroys the socket once the writes are out
    /// (Node's `destroySoon()`).
    public func destroySoon() {
        if !writableEnded { end() }
        if writableFinished {
            destroy()
        } else {
            once(.finish) { [unowned self] in destroy() }
        }
    }

    /// Closes the connection with a TCP reset (RST) instead of FIN, so the peer sees
    /// `ECONNRESET` (Node's `resetAndDestroy()`). On a socket that never had a connection it
    /// fails with `ERR_SOCKET_CLOSED` as an `'error'`. Returns the socket.
    @discardableResult
    public func resetAndDestroy() -> Socket {
        if handle == nil && !connecting {
            tearDown(NetError(code: .ERR_SOCKET_CLOSED, message: "Socket is closed"), reset: false)
        } else {
            tearDown(nil, reset: true)
        }
        return self
    }

    private func tearDown(_ error: NetError?, reset: Bool) {
        guard !destroyed else { return }
        destroyed = true
        let wasConnecting = connecting
        connecting = false
        if error != nil { errored = true }
        if let abort = connectAbort {
            connectAbort = nil
            abort()
        }
        timeoutTimer?.stop()
        failQueuedWrites(beforeConnection: wasConnecting)
        server?.connectionEnded()
        if let error {
            loop.nextTick { [self] in emitError(error) }
        }
        if let h = handle {
            h.readStop()
            if reset { h.closeWithReset() } else { h.close() }
        } else {
            // A connect in progress counts as having a handle, as in Node (whose socket gets
            // its handle when connect starts): a failed lookup or a refused address closes
            // with `hadError` true.
            let hadError = wasConnecting && error != nil
            loop.nextTick { [self] in emitClose(hadError: hadError) }
        }
    }

    /// Calls back every write that never reached libuv: before a connection,
    /// `ERR_SOCKET_CLOSED_BEFORE_CONNECTION` for the first and `ERR_STREAM_DESTROYED` for the rest,
    /// as Node does; after it, `ERR_STREAM_DESTROYED`.
    private func failQueuedWrites(beforeConnection: Bool) {
        var first = beforeConnection
        while let chunk = writeQueue.popFirst() {
            queuedBytes -= chunk.buffer.count
            guard let cb = chunk.callback else { first = false; continue }
            let error = first
                ? NetError(code: .ERR_SOCKET_CLOSED_BEFORE_CONNECTION, message: "Socket closed before the connection was established")
                : NetError(code: .ERR_STREAM_DESTROYED, message: "Cannot call write after a stream was destroyed")
            first = false
            loop.nextTick { cb(error) }
        }
    }

    /// The handle finished closing.
    func handleClosed(_ h: StreamHandle) {
        if h === handle { handle = nil }
        emitClose(hadError: errored)
    }

    private func emitClose(hadError: Bool) {
        emit(.close, CloseEvent(hadError: hadError))
        // A 'close' listener may have connected again; otherwise this socket is done.
        if destroyed && handle == nil && !connecting {
            removeAllListeners()
            pipes.removeAll()
            server = nil
        }
    }
}
