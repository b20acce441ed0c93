#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `pthread_rwlock_t`: many readers or one writer.
///
/// A pthread lock rather than `Synchronization.Mutex` so that ThreadSanitizer sees the
/// synchronisation on Linux. The lock lives in its own heap allocation so its address never moves.
final class ReadWriteLock: @unchecked Sendable {
    // @unchecked: the only state is the lock itself, which is safe to use from any thread.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        let rc = pthread_rwlock_init(lock, nil)
        precondition(rc == 0, "pthread_rwlock_init failed: \(rc)")
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    /// Runs `body` holding the lock shared with other readers.
    @inline(__always)
    func withReadLock<T>(_ body: () -> T) -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }

    /// Runs `body` holding the lock exclusively.
    @inline(__always)
    func withWriteLock<T>(_ body: () -> T) -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }
}
