import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The thread of its own that a loop runs on when async code uses it and no thread runs it
/// (an `async` `main`, top-level code that awaits, any task).
///
/// The thread runs the loop until nothing ref'ed is left, as `run()` does, then ends; work that
/// arrives later (an operation of the async face, a task job from another thread) starts it
/// again. Work that arrives while the thread is finishing is never stranded: the thread marks
/// itself inactive first and then looks at the inbox, while a submitter queues first and then
/// looks at the mark, so one of the two always sees the other.
///
/// `@unchecked Sendable`: `stopWaiters` is read and written only under `lock`; `active` and
/// `enabled` are atomics.
final class LoopThread: @unchecked Sendable {
    // A pthread mutex and condition at fixed addresses (see `PthreadMutex` for why not `Mutex`).
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private let changed: UnsafeMutablePointer<pthread_cond_t>
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    /// Whether a thread of its own is running the loop now (or is being started).
    let active = Atomic<Bool>(false)
    /// Whether the loop ran on a thread of its own once; from then on, work submitted from other
    /// threads restarts the thread whenever it has stopped.
    let enabled = Atomic<Bool>(false)

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
        changed = .allocate(capacity: 1)
        changed.initialize(to: pthread_cond_t())
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        changed.deallocate()
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// Starts the thread unless one is running. The thread is detached: nobody joins it, those
    /// who need it gone wait for `active` to fall instead.
    func start(_ loop: EventLoop) {
        guard active.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else { return }
        enabled.store(true, ordering: .sequentiallyConsistent)
        pthread_detach(startPthread { loop.ownThread.body(loop) })
    }

    /// The thread's life: run the loop, and again while work arrived as it was finishing.
    private func body(_ loop: EventLoop) {
        while true {
            // Work queued while nothing kept the loop alive: run it first (libuv would not poll
            // an inbox that is not ref'ed), then run the loop.
            loop.enterRun()
            loop.remote.drain()
            loop.runUntilIdle()
            active.store(false, ordering: .sequentiallyConsistent)
            if loop.remote.isEmpty { break }
            guard active.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else { break }
        }
        // Tell those waiting, unless another thread took over meanwhile (it will tell them).
        pthread_mutex_lock(lock)
        var waiters: [CheckedContinuation<Void, Never>] = []
        if !active.load(ordering: .sequentiallyConsistent) {
            swap(&waiters, &stopWaiters)
            pthread_cond_broadcast(changed)
        }
        pthread_mutex_unlock(lock)
        for w in waiters { w.resume() }
    }

    /// Returns once no thread of its own runs the loop.
    func whenStopped() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            pthread_mutex_lock(lock)
            let now = !active.load(ordering: .sequentiallyConsistent)
            if !now { stopWaiters.append(c) }
            pthread_mutex_unlock(lock)
            if now { c.resume() }
        }
    }

    /// Blocks until no thread of its own runs the loop; returns whether one did.
    @discardableResult
    func join() -> Bool {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        var waited = false
        while active.load(ordering: .sequentiallyConsistent) {
            waited = true
            pthread_cond_wait(changed, lock)
        }
        return waited
    }
}

extension EventLoop {
    /// Makes sure a thread runs this loop, for async code about to wait on it: when no thread
    /// runs it and the caller is not on it, the loop starts on a thread of its own (see
    /// `LoopThread`). Synchronous code that will call `run()` itself never gets here.
    func ensureRunning() {
        if isCurrent { return }
        if ownThread.active.load(ordering: .sequentiallyConsistent) { return }
        if runningThread.load(ordering: .acquiring) != 0 { return }
        ownThread.start(self)
    }

    /// After work was queued from another thread: restarts the loop's own thread if the loop has
    /// one and it has stopped.
    func restartOwnThreadIfNeeded() {
        if ownThread.enabled.load(ordering: .relaxed), !ownThread.active.load(ordering: .sequentiallyConsistent) {
            ensureRunning()
        }
    }

    /// Runs `body` on the loop from any thread, as `execute` does, restarting the loop's own
    /// thread if it has one and it stopped.
    func submit(_ body: @escaping @Sendable () -> Void) {
        execute(body)
        restartOwnThreadIfNeeded()
    }

    /// Whether the loop runs on a thread of its own now.
    public var runsOnOwnThread: Bool { ownThread.active.load(ordering: .sequentiallyConsistent) }

    /// Returns once the loop's own thread (started by async code) has stopped because nothing
    /// ref'ed is left; at once when there is none. Call it from outside the loop, for example
    /// before `close()`.
    public func waitForOwnThread() async {
        precondition(!isCurrent, "waitForOwnThread called on the loop's own thread")
        await ownThread.whenStopped()
    }
}
