#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex at a fixed address, for the few objects that other threads reach.
///
/// A `pthread_mutex_t` must never move once initialised, and a stored property of a Swift type
/// has no stable address (`&property` may hand out a temporary), so the mutex lives in memory
/// allocated here and freed in `deinit`. pthread rather than `Synchronization.Mutex`, because
/// ThreadSanitizer does not see the latter on Linux.
final class PthreadMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` holding the mutex.
    @inline(__always)
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
