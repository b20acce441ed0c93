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

    /// Ends the writable side if it is still writable, then destroys the socket once the writes
    /// are out (Node's `destroySoon()`). On a socket that is destroyed already, it does not end
    /// it (`writableEnded` stays false), as in Node.
    public func destroySoon() {
        if writable { end() }
        if writableFinished {
            destroy()
        } else {
            once(.finish) { [unowned self] in destroy() }
        }
    }

    /// Closes the connection with a TCP reset (RST) instead of FIN, so the peer sees
    /// `ECONNRESET` (Node's `resetAndDestroy()`). While connecting, the reset waits for the
    /// connection: `'connect'` is still emitted, then the socket is reset (a `destroy()` before
    /// that closes it without a connection). On a socket that never had a connection it fails
    /// with `ERR_SOCKET_CLOSED` as an `'error'`. Throws `ERR_INVALID_HANDLE_TYPE` on a socket
    /// whose handle is not TCP (a Unix domain socket), leaving it as it was; once destroyed, a
    /// socket has no handle as Node counts it, so the call does nothing. Returns the socket.
    @discardableResult
    public func resetAndDestroy() throws(NetError) -> Socket {
        if let h = handle, !destroyed, h.kind != .tcp {
            throw NetError(code: "ERR_INVALID_HANDLE_TYPE", message: "This handle type cannot be sent", name: "TypeError")
        }
        if connecting {
            once(.connect) { [unowned self] in tearDown(nil, reset: true) }
        } else if handle == nil {
            tearDown(NetError(code: .ERR_SOCKET_CLOSED, message: "Socket is closed"), reset: false)
        } else {
            tearDown(nil, reset: true)
        }
        return self
    }

    private func tearDown(_ error: NetError?, reset: Bool) {
        loop.assertOnLoopThread()
        guard let teardown = state.destroy(error) else { return }
        let wasConnecting = teardown.wasConnecting
        if let abort = connectAbort {
            connectAbort = nil
            abort()
        }
        idleTimer?.stop()
        // Node's `errorBuffer`: queued writes fail, then waiting end callbacks get the error,
        // on the next tick. Writes queued while connecting fail after 'close' (see
        // `emitClose`); those behind a write in flight fail once it is called back
        // (`afterWrite`); the end callbacks follow them there.
        if teardown.failQueuedWrites {
            loop.nextTick { [self] in failQueuedWrites() }
        }
        server?.connectionEnded()
        if let error {
            loop.nextTick { [self] in emitError(error) }
        }
        // Chunks still buffered are delivered by a flow until this tick, as in Node.
        if teardown.endDeliveryNextTick { loop.nextTick(self, SocketStep.endDelivery.rawValue) }
        if let h = handle {
            h.readStop()
            if reset { h.closeWithReset() } else { h.close() }
        } else {
            // A connect in progress counts as having a handle, as in Node (whose socket gets
            // its handle when connect starts): a failed lookup or a refused address closes
            // with `hadError` true.
            let hadError = wasConnecting && error != nil
            if wasConnecting {
                // Node's handle would close on the next turn of the loop, after every tick.
                loop.immediate { [self] in emitClose(hadError: hadError) }
            } else {
                loop.nextTick { [self] in emitClose(hadError: hadError) }
            }
        }
    }

    /// Calls back every write still queued with the error the socket was destroyed with, or
    /// `ERR_STREAM_DESTROYED`, then the waiting end callbacks, as Node's Writable does for the
    /// writes buffered behind a destroyed stream (`errorBuffer`).
    func failQueuedWrites() {
        let error = state.destroyError
            ?? NetError(code: .ERR_STREAM_DESTROYED, message: "Cannot call write after a stream was destroyed")
        for chunk in state.takeQueuedWrites() { chunk.callback?(error) }
        let ends = state.takeEndCallbacksForDestroy()
        for callback in ends.callbacks { callback(ends.error) }
    }

    /// The handle finished closing.
    func handleClosed(_ h: StreamHandle) {
        if h === handle {
            handle = nil
            state.handleClosed()
        }
        emitClose(hadError: state.isErrored)
    }

    /// Emits `'close'`. Writes still queued now were made while connecting: as in Node their
    /// callbacks run after `'close'`, with the errors `StreamState.strandedWriteError(at:)` gives.
    private func emitClose(hadError: Bool) {
        let stranded = state.takeQueuedWrites()
        if !pipeSources.isEmpty { unpipeFromSources() }
        emit(.close, CloseEvent(hadError: hadError))
        var index = 0
        for chunk in stranded {
            guard let callback = chunk.callback else { continue }
            callback(state.strandedWriteError(at: index))
            index += 1
        }
        // The end callbacks waited for the first stranded write (Node's `errorBuffer`).
        if !stranded.isEmpty {
            let ends = state.takeEndCallbacksForDestroy(afterStranded: true)
            for callback in ends.callbacks { callback(ends.error) }
        }
        // A 'close' listener may have connected again; otherwise this socket is done.
        if state.isFinal && handle == nil {
            stopWatchingSignal()
            dropAllListeners()
            state.dropEndCallbacks()
            unlinkAllPipes()
            server = nil
            // Its handle goes now, on the loop, not whenever the socket object goes.
            idleTimer?.close()
            idleTimer = nil
        }
    }
}
