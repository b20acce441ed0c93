internal import CUV

/// A libuv timer: Node's `Timeout` (what `setTimeout`/`setInterval` return), with `ref()`,
/// `unref()`, `hasRef()`, `refresh()` and `close()`. Named as Node names it, so it never clashes
/// with Foundation's `Timer` in a file that imports both.
///
/// A timer keeps the loop alive while it is pending and ref'ed. The callback runs on the loop's
/// thread; a one-shot timer stops itself before calling it. A timer can be started again after
/// it fired or was stopped; `close()` releases it for good.
public final class Timeout {
    private let handle: TimerHandle
    /// The delay in milliseconds.
    @exclusivity(unchecked) public private(set) var timeout: UInt64
    /// The repeat interval in milliseconds; 0 for a one-shot timer.
    @exclusivity(unchecked) public private(set) var interval: UInt64
    @exclusivity(unchecked) private var wantsRef = true
    /// The loop's clock at the last `refresh()` of a pending one-shot timer, which only records
    /// it (see `refresh()`); nil when none is owed.
    @exclusivity(unchecked) private var refreshedAt: UInt64?

    /// Creates a timer on `loop` (not yet started).
    public init(loop: EventLoop = .default, _ callback: @escaping () -> Void) {
        handle = TimerHandle(loop: loop, callback: {})
        timeout = 0
        interval = 0
        // The handle holds `callback` until it closes, as before it held it alone: a callback
        // that captures its own timer (`setInterval`'s) keeps it only that long.
        handle.callback = { [unowned self] in if !waitsOn() { callback() } }
    }

    /// Starts (or restarts) the timer: `callback` runs after `timeout` ms, then every `interval`
    /// ms if `interval` is not 0.
    public func start(timeout: UInt64, interval: UInt64 = 0) {
        self.timeout = timeout
        self.interval = interval
        refreshedAt = nil
        handle.start(timeout: timeout, interval: interval)
        if !wantsRef { handle.unref() }
    }

    /// Stops the timer; it can be started again.
    public func stop() {
        refreshedAt = nil
        handle.stop()
    }

    /// Restarts the countdown from now with the same delay (Node's `timeout.refresh()`).
    ///
    /// On a pending one-shot timer this only notes the time: when the countdown runs out, the
    /// timer waits for what is left since the last refresh and only then calls back. So the
    /// callback runs exactly when it would after a restart, and code that refreshes a timer on
    /// every chunk (an idle timer of its own) does not pay the timer heap's removal and insertion
    /// each time (`uv_timer_start`).
    @discardableResult
    public func refresh() -> Timeout {
        if interval == 0 && handle.isActive {
            refreshedAt = cuv_now(handle.loop.uv)
        } else {
            start(timeout: timeout, interval: interval)
        }
        return self
    }

    /// The countdown ran out: whether a refresh since it started means waiting for the rest of
    /// a delay from that refresh instead of calling back now.
    private func waitsOn() -> Bool {
        guard let at = refreshedAt else { return false }
        refreshedAt = nil
        let elapsed = cuv_now(handle.loop.uv) &- at
        if elapsed >= timeout { return false }
        handle.start(timeout: timeout - elapsed, interval: 0)
        return true
    }

    /// Whether the timer is waiting to fire.
    public var isActive: Bool { handle.isActive }

    /// Makes the pending timer keep the loop alive (the default).
    @discardableResult
    public func ref() -> Timeout { wantsRef = true; handle.ref(); return self }

    /// Lets the loop end while the timer is pending.
    @discardableResult
    public func unref() -> Timeout { wantsRef = false; handle.unref(); return self }

    /// Whether the timer keeps the loop alive.
    public func hasRef() -> Bool { wantsRef }

    /// Stops the timer and releases its handle; it cannot be started again.
    public func close() { handle.close() }

    deinit { handle.close() }
}

extension EventLoop {
    /// Runs `callback` once after `ms` milliseconds (Node's `setTimeout`). Keep the returned
    /// timer to cancel it with `close()`.
    @discardableResult
    public func setTimeout(_ ms: UInt64, _ callback: @escaping () -> Void) -> Timeout {
        var timer: Timeout?
        let t = Timeout(loop: self) {
            callback()
            timer?.close()
            timer = nil
        }
        timer = t
        t.start(timeout: ms)
        return t
    }

    /// Runs `callback` every `ms` milliseconds until the returned timer is closed
    /// (Node's `setInterval`). The interval keeps running even if the timer is not kept.
    @discardableResult
    public func setInterval(_ ms: UInt64, _ callback: @escaping () -> Void) -> Timeout {
        var timer: Timeout?
        let t = Timeout(loop: self) {
            // The closure holds its timer until `close()` drops the closure, as `setTimeout` does.
            withExtendedLifetime(timer) { callback() }
        }
        timer = t
        t.start(timeout: ms, interval: ms)
        return t
    }
}
