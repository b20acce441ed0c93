internal import CUV

/// Owner of one libuv handle's memory, the base of every handle wrapper.
///
/// The memory is allocated here and freed only in `deinit`, which cannot run before libuv's close
/// callback: from `opened()` until that callback, the handle's `data` holds a retained reference
/// to this owner, so the loop keeps it alive while libuv may touch the memory. Every handle's
/// `data` is a `Handle`, so a walk over the loop can always find the owner.
class Handle {
    /// `unowned(unsafe)`: a loop outlives its handles, and it closes them from its own deinit,
    /// where a checked unowned read would trap.
    unowned(unsafe) let loop: EventLoop
    let raw: UnsafeMutableRawPointer
    @exclusivity(unchecked) private(set) var isOpen = false
    @exclusivity(unchecked) private(set) var isClosing = false
    /// Whether this handle counts in the loop's `liveHandles` (internal handles do not).
    let counted: Bool

    init(loop: EventLoop, size: Int, counted: Bool = true) {
        self.loop = loop
        self.counted = counted
        raw = .allocate(byteCount: size, alignment: 16)
    }

    deinit { raw.deallocate() }

    var handle: UnsafeMutablePointer<uv_handle_t> { raw.assumingMemoryBound(to: uv_handle_t.self) }

    /// Marks the handle initialised: from now on the loop owns a reference until it is closed.
    func opened() {
        isOpen = true
        uv_handle_set_data(handle, Unmanaged.passRetained(self).toOpaque())
        if counted { loop.liveHandles += 1 }
    }

    /// Starts closing the handle; `didClose()` follows from libuv's close callback.
    func close() {
        guard isOpen, !isClosing else { return }
        isClosing = true
        uv_close(handle, handleClosed)
    }

    /// Closes a TCP handle with RST instead of FIN (`uv_tcp_close_reset`); falls back to a plain
    /// close when libuv refuses (e.g. the handle is not a connected TCP socket).
    func closeWithReset() {
        guard isOpen, !isClosing else { return }
        isClosing = true
        if uv_tcp_close_reset(raw.assumingMemoryBound(to: uv_tcp_t.self), handleClosed) != 0 {
            uv_close(handle, handleClosed)
        }
    }

    /// Called once, after libuv has finished with the handle. The owner is released right after.
    func didClose() {}

    /// Whether the handle keeps the loop alive (what the tests check after `ref()`/`unref()`).
    var hasRef: Bool { isOpen && !isClosing && uv_has_ref(handle) != 0 }

    /// Makes the handle keep the loop alive (Node's `ref()`).
    func ref() { if isOpen && !isClosing { uv_ref(handle) } }

    /// Lets the loop end while the handle is open (Node's `unref()`).
    func unref() { if isOpen && !isClosing { uv_unref(handle) } }

    /// The owner of a libuv handle, from a callback.
    @inline(__always)
    static func owner<T: Handle>(_ h: UnsafeMutableRawPointer?, as type: T.Type) -> T {
        unsafeDowncast(
            Unmanaged<Handle>.fromOpaque(uv_handle_get_data(h!.assumingMemoryBound(to: uv_handle_t.self))!)
                .takeUnretainedValue(), to: T.self)
    }
}

/// libuv's close callback for every handle: hand the owner its last event, then release it.
private let handleClosed: uv_close_cb = { h in
    guard let h, let data = uv_handle_get_data(h) else { return }
    let owner = Unmanaged<Handle>.fromOpaque(data).takeRetainedValue()
    uv_handle_set_data(h, nil)
    if owner.counted { owner.loop.liveHandles -= 1 }
    owner.didClose()
    owner.loop.drainTicks()
}
