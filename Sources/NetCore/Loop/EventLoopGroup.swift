import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Several event loops, each running on a thread of its own, so one process can use every core
/// (something Node needs a cluster of processes for).
///
/// A connection stays on the loop that accepted it. The usual use is one server per loop on the
/// same port, the kernel spreading connections among them (`listen(port:…)` below, built on
/// `SO_REUSEPORT`). `Sendable`: the loops are reached only through `EventLoop.execute`, the
/// round-robin counter is atomic, and the thread list is written once before anyone can see it.
public final class EventLoopGroup: Sendable {
    /// The loops, one per thread.
    public let loops: [EventLoop]
    private let threads: [UInt]
    private let cursor = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    /// Starts `count` loops (at least one) on their own threads; by default one per core.
    public init(count: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) {
        let loops = (0..<Swift.max(1, count)).map { _ in EventLoop() }
        self.loops = loops
        threads = loops.map { EventLoopGroup.startThread(for: $0) }
    }

    /// The loops in turn, for spreading work (such as outgoing connections) over them.
    public func next() -> EventLoop {
        loops[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Starts a server on every loop, all on one port (0 picks a free one, shared by all) with
    /// `SO_REUSEPORT`; `connectionListener` runs on the loop that accepted each connection.
    /// `onListening` gets the port once every loop listens, or the first error.
    public func listen(
        port: Int = 0, host: String? = nil, options: ServerOptions = ServerOptions(),
        connectionListener: @escaping @Sendable (Socket) -> Void,
        onListening: @escaping @Sendable (Result<Int, NetError>) -> Void
    ) {
        let loops = self.loops
        let remaining = Atomic<Int>(loops.count)
        let failed = Atomic<Bool>(false)
        @Sendable func start(on loop: EventLoop, port: Int, then: @escaping @Sendable (Int) -> Void) {
            loop.execute {
                let server = Server(options, loop: loop, connectionListener: connectionListener)
                server.on(.error) { error in
                    if !failed.exchange(true, ordering: .relaxed) { onListening(.failure(error)) }
                }
                do throws(NetError) {
                    try server.listen(ListenOptions(port: port, host: host, reusePort: true)) {
                        then(server.address()?.port ?? port)
                    }
                } catch {
                    if !failed.exchange(true, ordering: .relaxed) { onListening(.failure(error)) }
                }
            }
        }
        @Sendable func oneReady(_ bound: Int) {
            if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { onListening(.success(bound)) }
        }
        // The first loop picks the port; the others join it.
        start(on: loops[0], port: port) { bound in
            oneReady(bound)
            for loop in loops.dropFirst() { start(on: loop, port: bound, then: oneReady) }
        }
    }

    /// Closes everything open on every loop, lets the loops finish and joins their threads.
    /// Call it from outside the group's threads; calling it again does nothing.
    public func shutdown() {
        if stopped.exchange(true, ordering: .acquiringAndReleasing) { return }
        for loop in loops {
            loop.execute {
                loop.remote.setRef(false)
                loop.closeAllHandles()
            }
        }
        for t in threads { pthread_join(pthread_t(t), nil) }
    }

    deinit { shutdown() }

    /// Runs `loop` on a new thread until the group shuts down.
    private static func startThread(for loop: EventLoop) -> UInt {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(loop).toOpaque()
        pthread_create(&thread, nil, { context in
            let loop = Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue()
            loop.enterRun()
            loop.remote.setRef(true)
            loop.run()
            return nil
        }, context)
        return UInt(thread)
    }
}
