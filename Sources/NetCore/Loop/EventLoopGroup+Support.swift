#if canImport(Glibc)
import Glibc
#endif

/// The group's mutable counters, guarded by the group's `lock`.
final class GroupCounters: @unchecked Sendable {
    // @unchecked Sendable: read and written only while holding `EventLoopGroup.lock`.
    var cursor = 0
    var stopped = false
}

/// The servers `EventLoopGroup.listen` started on one loop.
final class LoopServers: @unchecked Sendable {
    // @unchecked Sendable: `list` is read and written only on its loop's thread, reached through
    // `EventLoop.execute`, whose queue lock orders each access after the previous one.
    private var list: [Server] = []

    func add(_ server: Server) { list.append(server) }

    /// Forgets `server` (it closed).
    func remove(_ server: Server) { list.removeAll { $0 === server } }

    /// The servers, forgotten here (the group closes them).
    func take() -> [Server] {
        defer { list = [] }
        return list
    }
}

/// One `listen` across the loops: counts the loops that listen and reports the outcome once.
final class ListenAttempt: Sendable {
    private let lock = PthreadMutex()
    private let state: AttemptState
    private let onListening: @Sendable (Result<Int, NetError>) -> Void

    init(count: Int, onListening: @escaping @Sendable (Result<Int, NetError>) -> Void) {
        state = AttemptState(count)
        self.onListening = onListening
    }

    /// One more loop listens on `port`; the last one reports success (unless one failed).
    func ready(_ port: Int) {
        let report = lock.withLock { () -> Bool in
            state.remaining -= 1
            if state.remaining == 0 && !state.reported {
                state.reported = true
                return true
            }
            return false
        }
        if report { onListening(.success(port)) }
    }

    /// A loop failed to listen: the first failure is reported (after `cleanUp`), later ones not.
    func fail(_ error: NetError, cleanUp: () -> Void) {
        let report = lock.withLock { () -> Bool in
            defer { state.reported = true }
            return !state.reported
        }
        if report {
            cleanUp()
            onListening(.failure(error))
        }
    }
}

final class AttemptState: @unchecked Sendable {
    // @unchecked Sendable: read and written only while holding its `ListenAttempt`'s lock.
    var remaining: Int
    var reported = false
    init(_ count: Int) { remaining = count }
}

/// Calls `done` once `one()` has been called `count` times, from whichever threads.
final class CountDown: Sendable {
    private let lock = PthreadMutex()
    private let state: AttemptState
    private let done: @Sendable () -> Void

    init(_ count: Int, _ done: @escaping @Sendable () -> Void) {
        state = AttemptState(count)
        self.done = done
        if count == 0 { done() }
    }

    func one() {
        let last = lock.withLock { () -> Bool in
            state.remaining -= 1
            return state.remaining == 0
        }
        if last { done() }
    }
}

/// A counting semaphore on a pthread mutex and condition (seen by ThreadSanitizer).
final class Semaphore: @unchecked Sendable {
    // @unchecked Sendable: `count` is only touched while holding `mutex`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var count = 0

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    func signal() {
        pthread_mutex_lock(mutex)
        count += 1
        pthread_cond_signal(cond)
        pthread_mutex_unlock(mutex)
    }

    func wait() {
        pthread_mutex_lock(mutex)
        while count == 0 { pthread_cond_wait(cond, mutex) }
        count -= 1
        pthread_mutex_unlock(mutex)
    }
}
