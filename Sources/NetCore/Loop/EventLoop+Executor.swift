import Synchronization
internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// The loop as an executor for Swift concurrency, so async code that uses sockets runs on the
/// loop's thread: `loop.spawn { for try await chunk in socket { … } }`. The guide is the
/// `AsyncAwait` article.
///
/// Jobs enqueued from any thread go through the loop's thread-safe inbox and run on the loop's
/// thread while `run()` is running. A task started with `spawn` prefers the loop as its task
/// executor, so every nonisolated async function it calls (swift-net's included) runs there too,
/// with no thread hop per await.
///
/// The loop is a task executor only, not a serial executor for actors: a job runs here as
/// nonisolated code on its preferred task executor. Running it isolated to the loop instead
/// made every nonisolated async function hop off that isolation at its entry (a round through
/// the job queue per call: 19,200 instructions per awaited echo round trip against 9,100).
extension EventLoop: TaskExecutor {
    /// Runs a job on the loop's thread (called by the concurrency runtime).
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        // On the loop's own thread a job is just a tick: no lock, no wake-up, no closure.
        if isCurrent {
            nextTick(unowned)
        } else {
            remote.submit { [self] in runJob(unowned) }
            restartOwnThreadIfNeeded()
        }
    }

    /// Runs a job on this loop as its task executor.
    func runJob(_ job: UnownedJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }

    /// Whether the calling thread is the one running this loop.
    public var isCurrent: Bool {
        runningThread.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: pthread_self()))
    }

    /// Starts `body` as a task whose code runs on this loop's thread, and keeps the loop running
    /// until it finishes (a pending task counts like a ref'ed handle). Returns the task: await
    /// `value` for what `body` returns or throws, or `cancel()` it.
    ///
    /// Callable from any thread and any isolation. `body` is nonisolated whatever the caller's
    /// isolation (top-level code and `@MainActor` code included), so it never waits for a main
    /// thread that is busy running the loop. It prefers the loop as its task executor, so the
    /// nonisolated async functions it calls (swift-net's included) run on the loop too, with no
    /// thread hop per await; its child tasks inherit that preference.
    ///
    /// This synchronous form leaves running the loop to you (`run()`, as in a `main.swift`
    /// without `await`), unless the loop already runs. One case is different: called on the main
    /// thread by code that runs in a task (top-level code that awaits, whose calls Swift resolves
    /// to this form even under `await`, or an async `main`), it asks the main actor to make sure
    /// a thread runs the loop once the caller lets the main actor go, that is once it awaits. So
    /// `try await loop.spawn { … }.value` at top level does not hang, and a `loop.run()` the
    /// caller makes first still runs the loop on the main thread. In async functions the async
    /// form of `spawn` is chosen.
    ///
    /// `body` is `sending`: it takes what it captures along. Loop-confined objects (`Socket`,
    /// `Server`) stay where they are; give the task their `Sendable` faces instead
    /// (`AsyncSocket(socket)`, `AsyncServer(server)`), or create them inside `body`.
    @discardableResult
    public func spawn<T: Sendable>(_ body: sending @escaping () async throws -> T) -> Task<T, any Error> {
        let task = startTask(body)
        if runningThread.load(ordering: .acquiring) == 0, cuv_is_main_thread() != 0, withUnsafeCurrentTask(body: { $0 != nil }) {
            Task { @MainActor in self.ensureRunning() }
        }
        return task
    }

    /// Starts `body` as a task on this loop, as the synchronous `spawn` does, and when no thread
    /// runs the loop starts it on a thread of its own (see ``runsOnOwnThread``): the form async
    /// code gets (`try await loop.spawn { … }.value` in an `async` `main`).
    @discardableResult
    public func spawn<T: Sendable>(_ body: sending @escaping () async throws -> T) async -> Task<T, any Error> {
        let task = startTask(body)
        ensureRunning()
        return task
    }

    private func startTask<T: Sendable>(_ body: sending @escaping () async throws -> T) -> Task<T, any Error> {
        // On the loop, or while no thread runs it (set-up before `run()`), the count is this
        // thread's to change; otherwise the loop counts the task before its first job runs (the
        // inbox keeps order).
        if isHeldByCallingThread {
            taskStarted()
        } else {
            execute { self.taskStarted() }
        }
        return Task<T, any Error>(executorPreference: self) {
            defer { self.taskEnded() }
            return try await body()
        }
    }

    private func taskStarted() {
        pendingTasks += 1
        if pendingTasks == 1 { remote.setRef(true) }
    }

    private func taskEnded() {
        pendingTasks -= 1
        if pendingTasks == 0 { remote.setRef(false) }
    }

    /// Whether the calling thread may touch the loop's state now: it runs the loop, or no thread
    /// does (set-up before `run()`, or after the loop stopped).
    var isHeldByCallingThread: Bool {
        isCurrent || (runningThread.load(ordering: .acquiring) == 0 && !ownThread.active.load(ordering: .sequentiallyConsistent))
    }

    /// Drops a reference to a loop-confined object (a `Socket`, a `Server`, or something holding
    /// one) on the loop's thread: at once when the caller runs the loop or no thread does,
    /// otherwise through the loop's inbox. For a `Sendable` wrapper whose last reference may go
    /// in any task: a socket's or server's `deinit` updates the loop's state and closes its
    /// timers, so it must run on the loop (debug builds check it). `AsyncSocket` and
    /// `AsyncServer` do this themselves.
    public func releaseOnLoop(_ object: AnyObject) {
        if isHeldByCallingThread { return }
        nonisolated(unsafe) let held = object
        submit { withExtendedLifetime(held) {} }
    }

    /// Records the calling thread as the one running the loop.
    /// Traps when another thread runs the loop already.
    func enterRun() {
        let me = UInt(bitPattern: Int(bitPattern: pthread_self()))
        let (claimed, owner) = runningThread.compareExchange(expected: 0, desired: me, ordering: .acquiringAndReleasing)
        precondition(claimed || owner == me, "EventLoop.run() called while another thread runs this loop")
    }

    /// The loop is not running any more: no thread owns it until the next `run()`.
    func leaveRun() {
        runningThread.store(0, ordering: .releasing)
    }

    /// In debug builds, traps when a loop-confined call comes from a thread other than the one
    /// running the loop (before `run()` and between runs, any thread may set things up). Release
    /// builds check nothing.
    @inline(__always)
    func assertOnLoopThread(_ function: StaticString = #function) {
        #if DEBUG
        let owner = runningThread.load(ordering: .acquiring)
        precondition(owner == 0 || owner == UInt(bitPattern: Int(bitPattern: pthread_self())),
                     "\(function) called off the thread that runs its event loop; use EventLoop.execute to get there")
        #endif
    }
}
