internal import CUV

/// An idle countdown that activity restarts at the cost of one store: the timer behind a socket's
/// `setTimeout`, which Node restarts on every read and write.
///
/// Activity only records when it happened (`touch()`). The libuv timer keeps counting while the
/// countdown is on and, when it runs out, looks at how long the socket has really been idle: if
/// something happened meanwhile, it waits for what is left of the period; if not, the period is
/// over (once per idle stretch: a socket that stays idle after that hears nothing more until its
/// next activity). So the countdown ends exactly when one restarted at every chunk would,
/// `timeout` ms after the last activity on the loop's millisecond clock (the clock
/// `uv_timer_start` counts from), while a busy connection skips the timer heap's removal and
/// insertion per chunk (`uv_timer_stop` and `uv_timer_start`: about 1,450 instructions per echoed
/// round trip on 64 connections, measured with `make bench-instr` and `net-echo --idle-timeout`).
///
/// The timer never keeps the loop alive. Loop thread only.
final class IdleTimer {
    private let handle: TimerHandle
    /// The loop, whose clock `touch()` reads inline: an opaque call there would make Swift retain
    /// and release the timer around it on every chunk.
    private let clock: UnsafeMutablePointer<uv_loop_t>
    /// The period in milliseconds.
    @exclusivity(unchecked) private(set) var timeout: UInt64 = 0
    /// The loop's clock at the last activity.
    @exclusivity(unchecked) private var lastActivity: UInt64 = 0
    /// The `lastActivity` whose idle stretch already ran out (`UInt64.max`: none yet).
    @exclusivity(unchecked) private var expiredAfter = UInt64.max
    /// Called once the period passed with no activity.
    private let expired: () -> Void

    init(loop: EventLoop, expired: @escaping () -> Void) {
        handle = TimerHandle(loop: loop, callback: {})
        clock = loop.uv
        self.expired = expired
        handle.callback = { [unowned self] in fired() }
        handle.unref()
    }

    /// Starts the countdown over from now with a period of `ms` milliseconds.
    func start(_ ms: UInt64) {
        timeout = ms
        lastActivity = cuv_now(clock)
        expiredAfter = .max
        handle.start(timeout: ms, interval: 0)
    }

    /// Records activity: the countdown starts over from now.
    @inline(__always)
    func touch() {
        lastActivity = cuv_now(clock)
    }

    /// Stops counting until the next `start`.
    func stop() { handle.stop() }

    /// Releases the timer for good.
    func close() { handle.close() }

    private func fired() {
        let idle = cuv_now(clock) &- lastActivity
        if idle < timeout { return handle.start(timeout: timeout - idle, interval: 0) }
        handle.start(timeout: timeout, interval: 0)
        // Still idle since the period last ran out: nothing new to tell.
        if expiredAfter == lastActivity { return }
        expiredAfter = lastActivity
        expired()
    }

    deinit { handle.close() }
}
