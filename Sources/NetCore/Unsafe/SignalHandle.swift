internal import CUV

/// The `uv_signal_t` behind a `SignalWatcher`.
///
/// Safety: the handle's memory is `Handle.raw`, owned by this object and freed only after
/// libuv's close callback; the C callback reaches the owner through the handle's `data`, which
/// holds a retained reference while the handle is open (see `Handle`). Loop thread only.
final class SignalHandle: Handle {
    var handler: (() -> Void)?

    init(loop: EventLoop, signal: Int32, handler: @escaping () -> Void) {
        self.handler = handler
        super.init(loop: loop, size: MemoryLayout<uv_signal_t>.size, counted: false)
        let s = raw.assumingMemoryBound(to: uv_signal_t.self)
        uv_signal_init(loop.uv, s)
        opened()
        uv_signal_start(s, { s, _ in
            let owner = Handle.owner(s, as: SignalHandle.self)
            owner.handler?()
            owner.loop.drainTicks()
        }, signal)
        unref()
    }

    override func didClose() { handler = nil }
}
