/// Idle timeouts: `setTimeout`, the `'timeout'` event, refreshed by activity.
extension Socket {
    /// Emits `'timeout'` after `ms` milliseconds of inactivity (no read, write or connect
    /// progress); 0 disables it (Node's `setTimeout(ms, callback)`). The socket stays open: end or
    /// destroy it yourself. The timer never keeps the loop alive. `callback` is added as a
    /// once-listener for `'timeout'`. Returns the socket.
    @discardableResult
    public func setTimeout(_ ms: Int, callback: (() -> Void)? = nil) -> Socket {
        guard !destroyed else { return self }
        timeoutMs = max(0, ms)
        if ms <= 0 {
            timeoutTimer?.stop()
            if callback != nil { removeAllListeners(.timeout) }
            return self
        }
        if let callback { once(.timeout, callback) }
        if timeoutTimer == nil {
            timeoutTimer = Timer(loop: loop) { [unowned self] in
                if !destroyed { emit(.timeout) }
            }
            timeoutTimer?.unref()
        }
        refreshTimeout()
        return self
    }

    /// The idle timeout in milliseconds, or nil when none is set (Node's `timeout`).
    public var timeout: Int? { timeoutMs > 0 ? timeoutMs : nil }

    /// Restarts the idle countdown after activity.
    func refreshTimeout() {
        guard timeoutMs > 0, let t = timeoutTimer else { return }
        t.start(timeout: UInt64(timeoutMs))
    }
}
