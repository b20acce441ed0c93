internal import CUV
import DequeModule
public import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One libuv event loop, run on one thread, as Node's process has one.
///
/// Every `Socket`, `Server` and `Timeout` belongs to the loop it was created on and must be used
/// only on the thread that runs that loop. `run()` returns when nothing ref'ed is left (no
/// listening server, open socket or ref'ed timer), which is what `ref()`/`unref()` mean.
///
/// The loop also keeps Node's next-tick queue: callbacks queued with ``nextTick(_:)`` run after the
/// current callback returns and before the loop polls for I/O again, which is when Node delivers
/// `'listening'`, synchronous write callbacks and most errors.
///
/// The class is `@unchecked Sendable` because ``execute(_:)`` may be called from any thread: it
/// synchronises through a pthread mutex and wakes the loop with `uv_async_send`, libuv's one
/// thread-safe call. Everything else must run on the loop's thread.
public final class EventLoop: @unchecked Sendable {
    // Unchecked exclusivity (the attribute below) marks the state the data path touches on every chunk: it is
    // loop-confined and never accessed across a call that can re-enter (see "Threads and unsafe
    // code" in Sources/NetCore/README.md); the dynamic checks would cost a quarter of an echo.
    let uv: UnsafeMutablePointer<uv_loop_t>
    @exclusivity(unchecked) private var ticks = Deque<Tick>()
    @exclusivity(unchecked) private var drainingTicks = false
    let remote: RemoteQueue
    /// Callbacks queued with `setImmediate`.
    let immediates = ImmediateQueue()
    /// The thread running the loop (`pthread_self` as a number), for isolation checks.
    let runningThread = Atomic<UInt>(0)
    /// The thread of its own the loop runs on for async code (`Async/LoopThread.swift`).
    let ownThread = LoopThread()
    /// Tasks started with `spawn` that have not finished; they keep the loop running.
    var pendingTasks = 0
    private var closed = false
    /// Handles this loop has opened and not yet seen closed; zero once everything is released.
    package internal(set) var liveHandles = 0
    /// Sockets and servers of this loop that still exist; zero once every one was released, so
    /// a test can tell that no retain cycle kept one alive.
    package internal(set) var liveEmitters = 0
    /// Per-loop read slab shared by every stream of the loop (reads run one at a time), in the
    /// loop's own memory after the `uv_loop_t` (see `readSlabOffset`).
    let readSlab: UnsafeMutablePointer<ReadSlab>
    /// Pool of write requests, reused so a steady write stream allocates nothing.
    let writeRequests = WriteRequestPool()

    /// Whether `pipe` from one socket of this loop to another moves the bytes inside the kernel
    /// (`splice(2)` through a pipe of the kernel's, on Linux) instead of copying them through
    /// user space; on by default. A source is spliced only while nothing else can see what it
    /// reads (no `'data'` or `.text` listener, no encoding, no `onread`, one destination that is
    /// not itself) and its destination has nothing queued, so every event a program can observe
    /// is the same either way. Every spliced pipe of the loop goes through one kernel pipe (two
    /// descriptors, opened with the first splice and closed with the loop). Set it to false to
    /// copy always (to compare, say). Loop-confined, like every loop setting.
    public var splicesPipes = true
    /// How many bytes `pipe` has moved on this loop by kernel splicing (see ``splicesPipes``).
    public internal(set) var splicedBytes = 0
    /// The kernel pipe every splice of this loop goes through, once one was needed: it is empty
    /// between two callbacks (`Socket+Splice.swift`), so one is enough for all the loop's sockets.
    var kernelPipe: KernelPipe?
    /// Set when a splice failed as unsupported (`KernelPipe.isUnsupported`): the loop copies
    /// from then on.
    var spliceUnsupported = false

    /// Where the loop's read slab lives: after the `uv_loop_t`, 16-byte aligned
    /// (`cuv_read_slab_offset`, in C, which the read-memory callback `cuv_slab_alloc` uses), so
    /// that callback reaches it from the stream's own `loop` field, one load, without touching
    /// the handle's owner or this object. (Written out rather than read from
    /// `cuv_read_slab_offset()`, so that it is a constant; a test checks that both agree.)
    static let readSlabOffset = (MemoryLayout<uv_loop_t>.size + 15) & ~15

    /// Where the loop's diagnostics go: unhandled `'error'` events (by the default
    /// ``onUnhandledError``), warnings about ignored arguments and the
    /// `MaxListenersExceededWarning` of its sockets and servers. A swift-log `Logger` labelled
    /// `swift-net`, so the logging backend a program bootstraps with `LoggingSystem` sees them;
    /// without one, swift-log prints them on standard error. Replace it to add metadata or
    /// change the level.
    public var logger = Logger(label: "swift-net")

    /// Called with an `'error'` that an emitter raised while nobody listened for it, and the
    /// emitter's kind (`"Socket"` or `"Server"`).
    ///
    /// Node crashes the process on any unhandled `'error'`. The default here,
    /// ``handleUnhandledErrorByDefault(_:source:)``, is gentler for sockets and as strict for a
    /// server that cannot serve: it logs the error through ``logger`` at `error` level, and when
    /// ``isFatal(_:source:)`` says the error is fatal (a `Server` that failed to start: bind,
    /// listen or lookup), it exits the process with status 1 as Node does, so a supervisor does not
    /// take a failed start for success. A socket's error is not fatal: the socket is destroyed and
    /// the loop keeps serving. Replace the hook to decide otherwise; call the default from yours to
    /// keep its behaviour.
    public var onUnhandledError: (NetError, String) -> Void = { _, _ in }

    /// Creates a new loop. Each loop must be run on one thread at a time.
    public init() {
        EventLoop.processSetup
        let memory = UnsafeMutableRawPointer
            .allocate(byteCount: EventLoop.readSlabOffset + MemoryLayout<ReadSlab>.size, alignment: 16)
        uv = memory.bindMemory(to: uv_loop_t.self, capacity: 1)
        readSlab = (memory + EventLoop.readSlabOffset).bindMemory(to: ReadSlab.self, capacity: 1)
        readSlab.initialize(to: ReadSlab())
        uv_loop_init(uv)
        remote = RemoteQueue()
        attachToUVLoop()
        remote.attach(to: self)
        onUnhandledError = { [unowned self] error, source in handleUnhandledErrorByDefault(error, source: source) }
    }

    deinit {
        close()
    }

    /// The process-wide default loop, created on first use; `Net.createServer` and `Net.connect`
    /// use it unless given another loop.
    public static let `default` = EventLoop()

    /// Done once per process before the first loop: ignore `SIGPIPE` as Node does, so a peer that
    /// resets mid-write yields `EPIPE`/`ECONNRESET` instead of killing the process.
    private static let processSetup: Void = { cuv_ignore_sigpipe() }()

    /// Runs the loop until nothing ref'ed remains (Node's process lifetime). When async code
    /// started the loop on a thread of its own, this waits for that thread instead.
    public func run() {
        if ownThread.join() { return }
        runUntilIdle()
    }

    func runUntilIdle() {
        enterRun()
        isRunning = true
        repeat {
            drainTicks()
            uv_run(uv, UV_RUN_DEFAULT)
        } while !ticks.isEmpty
        isRunning = false
        leaveRun()
    }

    /// Whether `run()` is in progress.
    public private(set) var isRunning = false

    /// Runs one iteration of the loop, waiting for I/O if `wait` is true. Returns true when
    /// ref'ed work remains.
    @discardableResult
    public func runOnce(wait: Bool = true) -> Bool {
        enterRun()
        drainTicks()
        let more = uv_run(uv, wait ? UV_RUN_ONCE : UV_RUN_NOWAIT) != 0
        drainTicks()
        leaveRun()
        return more || !ticks.isEmpty
    }

    /// Stops `run()` after the current iteration, even though ref'ed handles remain.
    public func stop() { uv_stop(uv) }

    /// The loop's idea of now, in milliseconds (libuv's cached loop time).
    public var now: UInt64 { uv_now(uv) }

    /// Queues `body` to run after the current callback, before the loop polls again
    /// (Node's `process.nextTick`).
    public func nextTick(_ body: @escaping () -> Void) {
        assertOnLoopThread()
        ticks.append(.call(body))
    }

    /// Queues one of `target`'s own deferred steps, without allocating a closure (the data path
    /// uses these on every pause/resume cycle).
    func nextTick(_ target: any TickTarget, _ step: UInt8) {
        ticks.append(.step(target, step))
    }

    /// Queues a concurrency job as a tick (`EventLoop+Executor.swift`).
    func nextTick(_ job: UnownedJob) {
        ticks.append(.job(job))
    }

    /// Runs every queued tick, including ticks queued by ticks. Called after each libuv callback.
    ///
    /// Inlined down to the empty check: most callbacks queue nothing, and a call that finds
    /// nothing to run costs a frame of its own (25 instructions per read, measured with
    /// `make bench-instr`).
    @inline(__always)
    func drainTicks() {
        if ticks.isEmpty { return }
        runTicks()
    }

    private func runTicks() {
        if drainingTicks { return }
        drainingTicks = true
        while let tick = ticks.popFirst() {
            switch tick {
            case .call(let body): body()
            case .step(let target, let step): target.runTick(step)
            case .job(let job): runJob(job)
            }
        }
        drainingTicks = false
    }

    /// Runs `body` on the loop's thread; safe to call from any thread. The loop is woken at once
    /// if it is polling. Work submitted while the loop is not running waits for its next run.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        remote.submit(body)
    }

    /// Closes every handle still open and frees the loop. Call only after `run()` returned.
    public func close() {
        if closed { return }
        closed = true
        remote.detach()
        immediates.close()
        closeAllHandles()
        uv_run(uv, UV_RUN_DEFAULT)
        uv_loop_close(uv)
        kernelPipe?.close()
        readSlab.deinitialize(count: 1)
        UnsafeMutableRawPointer(uv).deallocate()
    }

    /// Reports an unhandled `'error'` through ``onUnhandledError``.
    func reportUnhandled(_ error: NetError, source: String) {
        onUnhandledError(error, source)
    }

    /// What ``onUnhandledError`` does unless replaced: logs `error` through ``logger`` (message
    /// `unhandled 'error' event on SOURCE: ERROR`, with the error's `code`, `syscall`, `address`
    /// and `port` as metadata), then, when ``isFatal(_:source:)`` holds, exits the process with
    /// status 1 (Node's exit status for an uncaught error).
    public func handleUnhandledErrorByDefault(_ error: NetError, source: String) {
        var metadata: Logger.Metadata = ["source": "\(source)", "code": "\(error.code.rawValue)"]
        if let syscall = error.syscall { metadata["syscall"] = "\(syscall)" }
        if let address = error.address { metadata["address"] = "\(address)" }
        if let port = error.port { metadata["port"] = "\(port)" }
        let fatal = EventLoop.isFatal(error, source: source)
        logger.error("unhandled 'error' event on \(source): \(error)\(fatal ? " (exiting)" : "")", metadata: metadata)
        if fatal { exit(1) }
    }

    /// Whether the default ``onUnhandledError`` ends the process for this error: true for a
    /// `Server`'s error other than a failed `accept`, that is a server that failed to start
    /// (bind, listen, lookup of its host, an unusable descriptor) and so serves nothing. A failed
    /// accept (such as `EMFILE`) leaves the server listening, and a socket's error ends only that
    /// socket, so neither is fatal.
    public static func isFatal(_ error: NetError, source: String) -> Bool {
        source == "Server" && error.syscall != "accept"
    }
}

/// One queued tick: a closure, or an owner's own step that needs none.
enum Tick {
    case call(() -> Void)
    case step(any TickTarget, UInt8)
    /// A Swift concurrency job enqueued on the loop's own thread (no closure to allocate).
    case job(UnownedJob)
}

/// An object with deferred steps of its own, queued with `nextTick(_:_:)` by number so that
/// queuing one allocates nothing.
protocol TickTarget: AnyObject {
    /// Runs the step queued as `step`.
    func runTick(_ step: UInt8)
}
