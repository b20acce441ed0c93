internal import CUV

/// The `uv_async_t` that wakes the loop for a `RemoteQueue`; unref'd, so it never keeps the
/// loop alive on its own.
///
/// Safety: as for every `Handle` (memory owned here, freed after the close callback). `send()`
/// is the one call made from other threads: `uv_async_send` is libuv's only thread-safe call, and
/// `RemoteQueue` calls it only while it holds the handle (the handle is closed by `detach()` on
/// the loop thread, under the queue's mutex), hence `@unchecked Sendable`.
final class AsyncHandle: Handle, @unchecked Sendable {
    unowned let queue: RemoteQueue

    init(loop: EventLoop, queue: RemoteQueue) {
        self.queue = queue
        super.init(loop: loop, size: MemoryLayout<uv_async_t>.size, counted: false)
        uv_async_init(loop.uv, raw.assumingMemoryBound(to: uv_async_t.self)) { a in
            Handle.owner(a, as: AsyncHandle.self).queue.drain()
            Handle.owner(a, as: AsyncHandle.self).loop.drainTicks()
        }
        opened()
        unref()
    }

    func send() { uv_async_send(raw.assumingMemoryBound(to: uv_async_t.self)) }
}
