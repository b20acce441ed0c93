import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The loop as an executor for Swift concurrency, so async code that uses sockets runs on the
/// loop's thread: `loop.spawn { for try await chunk in socket { … } }`.
///
/// Jobs enqueued from any thread go through the loop's thread-safe inbox and run on the loop's
/// thread while `run()` is running. A task started with `spawn` prefers the loop as its task
/// executor, so every nonisolated async function it calls (swift-net's included) runs there too,
/// with no thread hop per await.
extension EventLoop: SerialExecutor, TaskExecutor {
    /// Runs a job on the loop's thread (called by the concurrency runtime).
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let run: @Sendable () -> Void = { [self] in
            unowned.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
        }
        // On the loop's own thread a job is just a tick: no lock, no wake-up.
        if isCurrent { nextTick(run) } else { remote.submit(run) }
    }

    /// This loop as a serial executor.
    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Traps unless called on the thread that runs this loop (the runtime's isolation check).
    public func checkIsolated() {
        precondition(isCurrent, "not on the thread that runs this event loop")
    }

    /// Whether the calling thread is the one running this loop.
    public var isCurrent: Bool {
        runningThread.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: pthread_self()))
    }

    /// Starts `body` as a task whose code runs on this loop's thread, and keeps `run()` going
    /// until it finishes (a pending task counts like a ref'ed handle). Call it on the loop's
    /// thread, or before `run()` on the thread that will run the loop.
    ///
    /// `body` may capture the loop's sockets and servers although they are not `Sendable`: it
    /// runs on the same thread as the code that created them, which is the loop's whole
    /// discipline. Calling `spawn` from another thread while the loop runs traps.
    public func spawn(_ body: @escaping () async -> Void) {
        precondition(isCurrent || runningThread.load(ordering: .acquiring) == 0 || !isRunning,
                     "EventLoop.spawn called off the loop's thread; use execute to get there first")
        pendingTasks += 1
        if pendingTasks == 1 { remote.setRef(true) }
        nonisolated(unsafe) let body = body
        Task(executorPreference: self) {
            await body()
            self.taskEnded()
        }
    }

    private func taskEnded() {
        pendingTasks -= 1
        if pendingTasks == 0 { remote.setRef(false) }
    }

    /// Records the calling thread as the one running the loop.
    func enterRun() {
        runningThread.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .releasing)
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
