#if canImport(Glibc)
import Glibc
#endif

/// Several event loops, each running on a thread of its own, so one process can use every core
/// (something Node needs a cluster of processes for).
///
/// A connection stays on the loop that accepted it. The usual use is one server per loop on the
/// same port, the kernel spreading connections among them (`listen(port:…)` below, built on
/// `SO_REUSEPORT`). Nothing is shared between the loops on the data path: each has its own
/// libuv loop, read slab, timers and servers. `Sendable`: the loops are reached only through
/// `EventLoop.execute`, the round-robin counter and the stop flag are behind a pthread mutex, the
/// thread list is written once before anyone can see it, and each loop's servers are touched only
/// on that loop's thread (see `LoopServers`).
public final class EventLoopGroup: Sendable {
    /// The loops, one per thread.
    public let loops: [EventLoop]
    private let threads: [UInt]
    private let lock = PthreadMutex()
    private let counters = GroupCounters()
    /// The servers `listen` started, per loop.
    private let servers: [LoopServers]

    /// The number of cores online: the default number of loops.
    public static var coreCount: Int { Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Starts `count` loops (at least one) on their own threads; by default one per core.
    public init(count: Int = EventLoopGroup.coreCount) {
        let loops = (0..<Swift.max(1, count)).map { _ in EventLoop() }
        self.loops = loops
        servers = loops.map { _ in LoopServers() }
        threads = loops.map { EventLoopGroup.startThread(for: $0) }
    }

    /// The loops in turn, for spreading work (such as outgoing connections) over them.
    public func next() -> EventLoop {
        let n = lock.withLock { () -> Int in
            counters.cursor &+= 1
            return counters.cursor
        }
        return loops[(n & Int.max) % loops.count]
    }

    /// Starts a server on every loop, all on one port (0 picks a free one, shared by all) with
    /// `SO_REUSEPORT`; `connectionListener` runs on the loop that accepted each connection.
    ///
    /// `setUp` runs on each loop with that loop's server before it listens: the place to add
    /// listeners for `'error'` (accept errors such as `EMFILE` while running; without a listener
    /// they reach the loop's `onUnhandledError`), `'drop'` or `'proxyProtocolError'`.
    /// `onListening` is called exactly once: with the port once every loop listens, or with the
    /// first error if any loop fails to listen (the servers that did listen are then closed).
    /// Errors after that are never reported through it.
    public func listen(
        port: Int = 0, host: String? = nil, options: ServerOptions = ServerOptions(),
        setUp: (@Sendable (Server) -> Void)? = nil,
        connectionListener: @escaping @Sendable (Socket) -> Void,
        onListening: @escaping @Sendable (Result<Int, NetError>) -> Void
    ) {
        let loops = self.loops, servers = self.servers
        let attempt = ListenAttempt(count: loops.count, onListening: onListening)
        @Sendable func start(_ index: Int, port: Int, then: @escaping @Sendable (Int) -> Void) {
            let loop = loops[index]
            loop.execute {
                let server = Server(options, loop: loop, connectionListener: connectionListener)
                servers[index].add(server)
                server.on(.close) { [unowned server] in servers[index].remove(server) }
                setUp?(server)
                // Only listen failures are the attempt's; the listener goes once listening.
                var token: ListenerToken?
                token = server.addListener(.error) { error in
                    if let t = token { server.off(t) }
                    token = nil
                    server.close()
                    attempt.fail(error) { [weak self] in self?.closeServers() }
                }
                do throws(NetError) {
                    try server.listen(ListenOptions(port: port, host: host, reusePort: true)) {
                        if let t = token { server.off(t) }
                        token = nil
                        then((try? server.address())?.port ?? port)
                    }
                } catch {
                    if let t = token { server.off(t) }
                    token = nil
                    attempt.fail(error) { [weak self] in self?.closeServers() }
                }
            }
        }
        // The first loop picks the port; the others join it.
        start(0, port: port) { bound in
            attempt.ready(bound)
            for i in loops.indices.dropFirst() { start(i, port: bound) { attempt.ready($0) } }
        }
    }

    /// Stops accepting on every server `listen` started (each loop on its own thread).
    private func closeServers() {
        for (loop, list) in zip(loops, servers) {
            loop.execute { for s in list.take() { s.close() } }
        }
    }

    /// Closes everything open on every loop at once, lets the loops finish and joins their
    /// threads. Call it from outside the group's threads; calling it again does nothing. In
    /// async code, `await shutdown()` picks the graceful form below instead.
    public func shutdown() { stopNow() }

    private func stopNow() {
        let already = lock.withLock { () -> Bool in
            defer { counters.stopped = true }
            return counters.stopped
        }
        if already { return }
        for (loop, list) in zip(loops, servers) {
            loop.execute {
                loop.remote.setRef(false)
                // The group lets go of its servers; their handles close with everything else.
                _ = list.take()
                loop.closeAllHandles()
            }
        }
        for t in threads { pthread_join(pthread_t(t), nil) }
    }

    /// Shuts the group down gracefully: every server `listen` started stops accepting at once;
    /// open connections may finish for up to `gracePeriod` milliseconds (default 10 s), after
    /// which whatever is still open is closed; then the loops end and their threads are joined.
    /// Returns when all of that is done. Call it from outside the group's threads.
    public func shutdown(gracePeriod: Int = 10_000) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            drain(gracePeriod: gracePeriod) { done.resume() }
        }
        stopNow()
    }

    /// `shutdown(gracePeriod:)` for code that is not async: blocks the calling thread (never one
    /// of the group's) until the group is down.
    public func shutdownGracefully(gracePeriod: Int = 10_000) {
        let done = Semaphore()
        drain(gracePeriod: gracePeriod) { done.signal() }
        done.wait()
        shutdown()
    }

    /// Closes every server, then calls `done` (on some loop's thread) once each loop's servers
    /// have emitted `'close'` or the grace period ran out and that loop's handles were closed.
    private func drain(gracePeriod: Int, done: @escaping @Sendable () -> Void) {
        let remaining = CountDown(loops.count, done)
        for (loop, list) in zip(loops, servers) {
            loop.execute {
                let open = list.take()
                var left = open.count
                var finished = false
                var grace: Timeout?
                let finish = {
                    if finished { return }
                    finished = true
                    grace?.close()
                    grace = nil
                    remaining.one()
                }
                if open.isEmpty { return finish() }
                grace = Timeout(loop: loop) {
                    // Connections still open after the grace period are closed, with everything
                    // else on this loop; the servers' 'close' follows.
                    loop.closeAllHandles()
                    finish()
                }
                grace?.start(timeout: UInt64(Swift.max(0, gracePeriod)))
                for server in open {
                    server.close { _ in
                        left -= 1
                        if left == 0 { finish() }
                    }
                }
            }
        }
    }

    deinit { stopNow() }

    /// Runs `loop` on a new thread until the group shuts down.
    private static func startThread(for loop: EventLoop) -> UInt {
        UInt(startPthread {
            loop.enterRun()
            loop.remote.setRef(true)
            loop.run()
        })
    }
}
