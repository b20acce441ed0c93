#if canImport(Glibc)
import Glibc
#endif

/// The loop's inbox for work submitted from other threads (`EventLoop.execute`).
///
/// Submissions are appended under a pthread mutex (visible to ThreadSanitizer, unlike
/// `Synchronization.Mutex` on Linux) and the loop is woken with `uv_async_send`, libuv's only
/// thread-safe call. Sends coalesce, so the callback drains everything queued so far.
/// `@unchecked Sendable`: `jobs` and `async` are read and written only under `mutex`.
final class RemoteQueue: @unchecked Sendable {
    private let mutex = PthreadMutex()
    private var jobs: [@Sendable () -> Void] = []
    private var async: AsyncHandle?

    func attach(to loop: EventLoop) {
        let handle = AsyncHandle(loop: loop, queue: self)
        async = handle
    }

    /// Closes the async handle; later submissions are dropped.
    func detach() {
        let handle: AsyncHandle? = mutex.withLock {
            defer { async = nil }
            return async
        }
        handle?.close()
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        let handle: AsyncHandle? = mutex.withLock {
            jobs.append(job)
            return async
        }
        handle?.send()
    }

    /// Makes pending work keep the loop alive, or not. Loop thread only.
    func setRef(_ on: Bool) {
        guard let handle = mutex.withLock({ async }) else { return }
        if on { handle.ref() } else { handle.unref() }
    }

    func drain() {
        while true {
            let batch = mutex.withLock {
                defer { jobs.removeAll(keepingCapacity: true) }
                return jobs
            }
            if batch.isEmpty { return }
            for job in batch { job() }
        }
    }
}

