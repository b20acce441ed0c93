/// Idle timeouts: `setTimeout`, the `'timeout'` event, refreshed by activity.
extension Socket {
    /// Emits `'timeout'` after `ms` milliseconds of inactivity (no read, write or connect
    /// progress); 0 disables it (Node's `setTimeout(ms, callback)`). The socket stays open: end or
    /// destroy it yourself. The timer never keeps the loop alive. `callback` is added as a
    /// once-listener for `'timeout'`; with 0 it is ignored and no listener is removed (Node
    /// removes that very function, which a Swift closure cannot name: use `off` with the token
    /// `addListener` returned). While a long write is making progress the timeout waits,
    /// as in Node. Returns the socket. It does not throw, so a constant needs no `try`: where
    /// Node throws `ERR_OUT_OF_RANGE` for a negative `ms`, the call changes nothing and the error
    /// is logged as a warning through the loop's `logger`.
    @discardableResult
    public func setTimeout(_ ms: Int, callback: (() -> Void)? = nil) -> Socket {
        guard ms >= 0 else {
            let error = NetError.outOfRange("msecs", range: "a non-negative finite number", received: "\(ms)")
            loop.logger.warning("setTimeout ignored: \(error)", metadata: ["code": "\(error.code.rawValue)"])
            return self
        }
        guard !destroyed else { return self }
        timeoutMs = ms
        if timeoutMs > 0 { hasChunkExtras = true }
        if ms == 0 {
            idleTimer?.stop()
            return self
        }
        if let callback { once(.timeout, callback) }
        if idleTimer == nil {
            idleTimer = IdleTimer(loop: loop) { [unowned self] in onTimeout() }
        }
        idleTimer?.start(UInt64(timeoutMs))
        return self
    }

    /// The idle timeout in milliseconds as last set, 0 once disabled, or nil when `setTimeout`
    /// was never called (Node's `timeout`).
    public var timeout: Int? { timeoutMs >= 0 ? timeoutMs : nil }

    /// The socket was idle for the whole period: emit `'timeout'`, unless a write in flight has
    /// progressed since the last check (libuv's queue shrank), in which case wait another period
    /// (Node's `_onTimeout`).
    private func onTimeout() {
        switch state.timeoutFired(kernelQueueSize: handle?.writeQueueSize) {
        case .nothing: break
        case .wait: refreshTimeout()
        case .emit: emit(.timeout)
        }
    }

    /// Restarts the idle countdown after activity, when there is one: the data path's check,
    /// one flag test for a socket that never had a timeout (see `hasChunkExtras`).
    @inline(__always)
    func refreshTimeoutIfSet() {
        if hasChunkExtras && timeoutMs > 0 { cold?.idleTimer?.touch() }
    }

    /// Restarts the idle countdown after activity (a store; see `IdleTimer`).
    @inline(__always)
    func refreshTimeout() {
        guard timeoutMs > 0 else { return }
        idleTimer?.touch()
    }
}
