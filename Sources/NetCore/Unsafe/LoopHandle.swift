internal import CUV

/// A `uv_check_t` or `uv_idle_t` running a callback each loop iteration while started.
///
/// Safety: the handle's memory is `Handle.raw`, owned by this object and freed only after
/// libuv's close callback; the C callback reaches the owner through the handle's `data`, which
/// holds a retained reference while the handle is open (see `Handle`). Loop thread only.
final class LoopHandle: Handle {
    enum Kind { case check, idle }
    private let kind: Kind
    private let callback: () -> Void

    init(loop: EventLoop, kind: Kind, _ callback: @escaping () -> Void) {
        self.kind = kind
        self.callback = callback
        super.init(loop: loop, size: max(MemoryLayout<uv_check_t>.size, MemoryLayout<uv_idle_t>.size), counted: false)
        switch kind {
        case .check:
            uv_check_init(loop.uv, raw.assumingMemoryBound(to: uv_check_t.self))
            opened()
            start()
        case .idle:
            uv_idle_init(loop.uv, raw.assumingMemoryBound(to: uv_idle_t.self))
            opened()
        }
    }

    func start() {
        guard isOpen, !isClosing else { return }
        switch kind {
        case .check:
            uv_check_start(raw.assumingMemoryBound(to: uv_check_t.self)) { h in
                Handle.owner(h, as: LoopHandle.self).callback()
            }
        case .idle:
            uv_idle_start(raw.assumingMemoryBound(to: uv_idle_t.self)) { _ in }
        }
    }

    func stop() {
        guard isOpen, !isClosing else { return }
        switch kind {
        case .check: uv_check_stop(raw.assumingMemoryBound(to: uv_check_t.self))
        case .idle: uv_idle_stop(raw.assumingMemoryBound(to: uv_idle_t.self))
        }
    }
}
