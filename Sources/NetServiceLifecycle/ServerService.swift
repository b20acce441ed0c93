public import NetCore
public import Logging
public import ServiceLifecycle
import Synchronization

/// A TCP server on every loop of an `EventLoopGroup`, run as a swift-service-lifecycle
/// `Service`, so graceful shutdown on SIGTERM is one line in a `ServiceGroup`:
///
/// ```swift
/// let echo = ServerService(port: 8124) { socket in socket.pipe(socket) }
/// try await ServiceGroup(services: [echo], gracefulShutdownSignals: [.sigterm], logger: logger).run()
/// ```
///
/// ``run()`` starts one `Server` per loop on one port (`SO_REUSEPORT`, as
/// `EventLoopGroup.listen`), and throws the listen error if any of them cannot start, so the
/// service group ends and the process can exit non-zero. On graceful shutdown each server stops
/// accepting and `run()` returns once every connection has closed (Node's `server.close()`);
/// cancelling the task meanwhile destroys the connections that are left. Later server errors
/// (a failed `accept`) are logged through `logger` and the servers keep listening.
public final class ServerService: Service, Sendable {
    /// The loops the servers run on.
    public let group: EventLoopGroup
    private let ownsGroup: Bool
    private let requestedPort: Int
    private let host: String?
    private let options: ServerOptions
    private let logger: Logger
    private let connectionListener: @Sendable (Socket) -> Void
    private let onListening: (@Sendable (Int) -> Void)?
    private let bound = Mutex<Int?>(nil)

    /// A service that listens on `port` (0 picks a free one, see ``port``) and `host` (by default
    /// every address), with `options`, on every loop of `group`; without a group it makes one,
    /// one loop per core, and shuts it down when `run()` returns. `connectionListener` runs on the
    /// loop that accepted each connection; `onListening`, if given, gets the port once every loop
    /// listens.
    public init(
        port: Int = 0, host: String? = nil, options: ServerOptions = ServerOptions(),
        group: EventLoopGroup? = nil, logger: Logger = Logger(label: "swift-net"),
        onListening: (@Sendable (Int) -> Void)? = nil,
        connectionListener: @escaping @Sendable (Socket) -> Void
    ) {
        self.group = group ?? EventLoopGroup()
        ownsGroup = group == nil
        requestedPort = port
        self.host = host
        self.options = options
        self.logger = logger
        self.connectionListener = connectionListener
        self.onListening = onListening
    }

    /// The port every loop listens on, once ``run()`` has started them all; nil before.
    public var port: Int? { bound.withLock { $0 } }

    /// Starts the servers, waits for graceful shutdown, then closes them and waits for their
    /// connections to end. Throws the `NetError` of a server that cannot listen.
    public func run() async throws {
        defer { if ownsGroup { group.shutdown() } }
        var servers: [LoopBound<Server>] = []
        do {
            let (first, port) = try await start(on: group.loops[0], port: requestedPort)
            servers.append(first)
            for loop in group.loops.dropFirst() { servers.append(try await start(on: loop, port: port).0) }
            bound.withLock { $0 = port }
            logger.info("listening", metadata: ["port": "\(port)", "loops": "\(servers.count)"])
            onListening?(port)
            try? await gracefulShutdown()
        } catch {
            await close(servers)
            throw error
        }
        await close(servers)
        bound.withLock { $0 = nil }
    }

    /// Starts one server on `loop`; its bound port once it listens, or the listen error.
    private func start(on loop: EventLoop, port: Int) async throws -> (LoopBound<Server>, Int) {
        let (options, host, logger, listener) = (self.options, self.host, self.logger, connectionListener)
        return try await withCheckedThrowingContinuation { continuation in
            loop.execute {
                let server = Server(options, loop: loop, connectionListener: listener)
                var started = false
                // A server that failed to listen is given up: its listeners (which capture it)
                // go with it, or it would keep itself alive.
                let giveUp = { [weak server] (error: NetError) in
                    started = true
                    server?.removeAllListeners()
                    continuation.resume(throwing: error)
                }
                server.on(.error) { error in
                    if started {
                        logger.error("server error: \(error)", metadata: ["code": "\(error.code.rawValue)"])
                    } else {
                        giveUp(error)
                    }
                }
                do throws(NetError) {
                    try server.listen(ListenOptions(port: port, host: host, reusePort: true)) {
                        started = true
                        continuation.resume(returning: (LoopBound(server, loop: loop), (try? server.address())?.port ?? port))
                    }
                } catch {
                    giveUp(error)
                }
            }
        }
    }

    /// Closes every server and waits until each has no connection left; if the task is cancelled
    /// meanwhile, the remaining connections are destroyed.
    private func close(_ servers: [LoopBound<Server>]) async {
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { tasks in
                for server in servers {
                    tasks.addTask {
                        await withCheckedContinuation { continuation in
                            server.loop.execute { server.value.close { _ in continuation.resume() } }
                        }
                    }
                }
            }
        } onCancel: {
            for server in servers { server.loop.execute { server.loop.closeAllHandles() } }
        }
    }
}
