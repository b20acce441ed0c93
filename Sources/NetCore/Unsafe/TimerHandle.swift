internal import CUV

/// The `uv_timer_t` behind a `Timeout`.
///
/// Safety: the handle's memory is `Handle.raw`, owned by this object and freed only after
/// libuv's close callback; the C callback reaches the owner through the handle's `data`, which
/// holds a retained reference while the handle is open (see `Handle`). Loop thread only.
final class TimerHandle: Handle {
    var callback: (() -> Void)?

    init(loop: EventLoop, callback: @escaping () -> Void) {
        self.callback = callback
        super.init(loop: loop, size: MemoryLayout<uv_timer_t>.size)
        uv_timer_init(loop.uv, timer)
        opened()
    }

    var timer: UnsafeMutablePointer<uv_timer_t> { raw.assumingMemoryBound(to: uv_timer_t.self) }

    var isActive: Bool { isOpen && !isClosing && uv_is_active(handle) != 0 }

    func start(timeout: UInt64, interval: UInt64) {
        guard isOpen, !isClosing else { return }
        uv_timer_start(timer, { t in
            let owner = Handle.owner(t, as: TimerHandle.self)
            owner.callback?()
            owner.loop.drainTicks()
        }, timeout, interval)
    }

    func stop() {
        guard isOpen, !isClosing else { return }
        uv_timer_stop(timer)
    }

    override func didClose() { callback = nil }
}
