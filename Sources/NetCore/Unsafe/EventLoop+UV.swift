internal import CUV

/// The loop's links with its `uv_loop_t`: the loop's `data` points back at the `EventLoop`, and a
/// walk over the loop finds each handle's owner.
///
/// Safety: `data` holds the loop unretained, which is sound because the `uv_loop_t` is the
/// loop's own allocation, closed and freed in `close()` before the object goes; every handle's
/// `data` is its retained `Handle` (see `Handle`), alive until its close callback.
extension EventLoop {
    /// Points the `uv_loop_t`'s `data` at this loop (once, from `init`).
    func attachToUVLoop() {
        uv_loop_set_data(uv, Unmanaged.passUnretained(self).toOpaque())
    }

    /// The Swift loop that owns a libuv loop.
    static func from(_ uv: UnsafeMutablePointer<uv_loop_t>) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(uv_loop_get_data(uv)!).takeUnretainedValue()
    }

    /// Closes every open handle through its owner, so each owner sees its close callback and is
    /// released. Safe inside a callback; the handles finish closing on the next iteration.
    public func closeAllHandles() {
        uv_walk(uv, { handle, _ in
            guard let handle, uv_is_closing(handle) == 0, let data = uv_handle_get_data(handle) else { return }
            let owner = Unmanaged<Handle>.fromOpaque(data).takeUnretainedValue()
            // The inbox stays: other threads may still post to it; it never keeps the loop alive
            // once nothing else does.
            if owner is AsyncHandle || owner is LoopHandle { return }
            owner.close()
        }, nil)
    }
}
