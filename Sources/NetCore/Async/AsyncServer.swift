import DequeModule

/// A listening server for async code: `for try await connection in server.connections` accepts
/// one connection per iteration, and accepting waits while nobody iterates, so connections queue
/// in the kernel's backlog instead of piling up in memory. `Sendable`, like ``AsyncSocket``.
///
/// It is the async face of one loop-confined ``Server``; its operations hop to the loop unless
/// called there. While the face exists, the server accepts only when an iteration asks
/// (`'connection'` listeners of the callback face hear only those connections).
///
/// Cancelling the task that awaits the next connection throws ``NetError/aborted`` and closes
/// the server, as Node's `listen({ signal })` does when the signal aborts.
///
/// `Sendable` although it holds a `Server`: `acceptor` is touched only on the loop's thread (see
/// ``AsyncSocket``).
public final class AsyncServer: Sendable {
    /// The loop the server belongs to.
    public let loop: EventLoop
    nonisolated(unsafe) let acceptor: Acceptor

    /// The async face of `server`. Call it on the server's loop, or before the loop runs.
    public init(_ server: Server) {
        loop = server.loop
        acceptor = Acceptor(server)
    }

    /// A task off the loop may drop the last reference: the server then goes on the loop.
    deinit { loop.releaseOnLoop(acceptor) }

    /// Listens on `host:port` and returns once listening (`port` 0 picks a free one; no host
    /// means every address, as Node's `listen(port)`). Throws `EADDRINUSE`, `ERR_SOCKET_BAD_PORT`
    /// and the other listen errors; cancelling the task closes the server and throws
    /// ``NetError/aborted``.
    public static func listen(
        host: String? = nil, port: Int = 0, backlog: Int = 511,
        options: ServerOptions = ServerOptions(), loop: EventLoop = .default
    ) async throws(NetError) -> AsyncServer {
        try await listen(options, loop: loop) { server throws(NetError) in
            try server.listen(port: port, host: host, backlog: backlog)
        }
    }

    /// Listens on the Unix domain socket at `path` and returns once listening.
    public static func listen(
        path: String, backlog: Int = 511, options: ServerOptions = ServerOptions(), loop: EventLoop = .default
    ) async throws(NetError) -> AsyncServer {
        try await listen(options, loop: loop) { server throws(NetError) in
            try server.listen(path: path, backlog: backlog)
        }
    }

    private static func listen(
        _ options: ServerOptions, loop: EventLoop, _ start: (Server) throws(NetError) -> Void
    ) async throws(NetError) -> AsyncServer {
        guard loop.isCurrent else {
            loop.ensureRunning()
            return try await withTaskExecutorPreference(loop) { () async throws(NetError) -> AsyncServer in
                try await listen(options, loop: loop, start)
            }
        }
        let server = Server(options, loop: loop)
        let s = AsyncServer(server)
        let id = s.acceptor.waitID()
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (resume: Resumption<Void>) in
                s.acceptor.waitForListening(id, resume) { () throws(NetError) in try start(server) }
            }
        } onCancel: {
            loop.submit { s.acceptor.cancel(id) }
        }
        try result.get()
        return s
    }

    /// The accepted connections, one per iteration; the iteration ends when the server closes.
    public var connections: Connections { Connections(server: self) }

    /// The bound address (Node's `server.address()`); `nil` once closed. Throws as
    /// `Server.address()` does when the system cannot tell the address.
    public func address() async throws(NetError) -> ServerAddress? {
        guard loop.isCurrent else {
            loop.ensureRunning()
            return try await withTaskExecutorPreference(loop) { () async throws(NetError) in try await self.address() }
        }
        return try acceptor.server.address()
    }

    /// Stops accepting (iterations of `connections` end) and returns once the server has
    /// closed, which is when every connection it accepted has closed too (Node's
    /// `server[Symbol.asyncDispose]()`).
    public func close() async {
        guard loop.isCurrent else {
            loop.ensureRunning()
            return await withTaskExecutorPreference(loop) { await self.close() }
        }
        acceptor.finish()
        await acceptor.server.close()
    }

    /// Runs `body` with the loop-confined `Server` on its loop (`maxConnections`, `ref`,
    /// listeners…).
    public func withServer<T: Sendable>(_ body: @Sendable (Server) -> T) async -> T {
        guard loop.isCurrent else {
            loop.ensureRunning()
            return await withTaskExecutorPreference(loop) { await self.withServer(body) }
        }
        return body(acceptor.server)
    }

    /// The connections a server accepts, as an async sequence; see ``AsyncServer``.
    public struct Connections: AsyncSequence, Sendable {
        /// Each element is an accepted connection.
        public typealias Element = AsyncSocket
        /// Cancellation (``NetError/aborted``) ends the iteration.
        public typealias Failure = NetError
        let server: AsyncServer

        /// An iterator that accepts one connection per `next()`.
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(server: server) }

        /// Accepts connections one at a time; `nil` once the server is closed.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let server: AsyncServer

            /// The next connection, waiting for one to arrive; `nil` once the server closed.
            nonisolated(nonsending) public mutating func next() async throws(NetError) -> AsyncSocket? {
                try await server.accept()
            }
        }
    }

    /// Accepts the next connection.
    nonisolated(nonsending) func accept() async throws(NetError) -> AsyncSocket? {
        guard loop.isCurrent else {
            loop.ensureRunning()
            return try await withTaskExecutorPreference(loop) { () async throws(NetError) in try await self.accept() }
        }
        if let now = acceptor.acceptNow() { return now }
        let id = acceptor.waitID()
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (resume: Resumption<AsyncSocket?>) in acceptor.waitForConnection(id, resume) }
        } onCancel: {
            self.loop.submit { self.acceptor.cancel(id) }
        }
        return try result.get()
    }
}

/// The loop-confined state behind `AsyncServer`: connections accepted while nobody waited, the
/// waiting continuations, and the accept gate. Each continuation is taken out of its slot
/// before it is resumed, so each is resumed exactly once.
final class Acceptor {
    let server: Server
    private var ready = Deque<AsyncSocket>()
    private var waiters: [(id: Int, resume: Resumption<AsyncSocket?>)] = []
    private var listenWaiter: (id: Int, resume: Resumption<Void>)?
    private var finished = false
    private var nextID = 0

    init(_ server: Server) {
        self.server = server
        server.holdAccepting()
        server.on(.connection) { [weak self] socket in self?.accepted(socket) }
        server.on(.close) { [weak self] in self?.finish() }
    }

    func waitID() -> Int {
        nextID += 1
        return nextID
    }

    func waitForListening(_ id: Int, _ resume: Resumption<Void>, start: () throws(NetError) -> Void) {
        listenWaiter = (id, resume)
        server.once(.listening) { [weak self] in self?.listened(.success(())) }
        server.once(.error) { [weak self] error in self?.listened(.failure(error)) }
        do throws(NetError) {
            try start()
        } catch {
            listened(.failure(error))
        }
    }

    private func listened(_ result: Result<Void, NetError>) {
        guard let w = listenWaiter else { return }
        listenWaiter = nil
        w.resume.resume(returning: result)
    }

    private func accepted(_ socket: Socket) {
        let s = AsyncSocket(socket)
        if !waiters.isEmpty {
            let w = waiters.removeFirst()
            w.resume.resume(returning: .success(s))
        } else {
            ready.append(s)
        }
        if waiters.isEmpty { server.holdAccepting() }
    }

    /// A connection at once, or `nil` when the caller must wait.
    func acceptNow() -> AsyncSocket?? {
        if let s = ready.popFirst() { return .some(s) }
        if finished || !server.listening { return .some(nil) }
        return nil
    }

    func waitForConnection(_ id: Int, _ resume: Resumption<AsyncSocket?>) {
        if let now = acceptNow() { return resume.resume(returning: .success(now)) }
        waiters.append((id, resume))
        server.releaseAccepting()
    }

    /// Cancels the wait numbered `id`, and stops the accept: the server closes.
    func cancel(_ id: Int) {
        if let w = listenWaiter, w.id == id {
            listenWaiter = nil
            w.resume.resume(returning: .failure(.aborted))
            server.close()
            return
        }
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return }
        let w = waiters.remove(at: i)
        w.resume.resume(returning: .failure(.aborted))
        finish()
        server.close()
    }

    /// The iteration is over: waiting iterations get `nil`.
    func finish() {
        finished = true
        server.holdAccepting()
        server.acceptDeferred = false  // libuv closes the waiting connection with the handle
        let pending = waiters
        waiters.removeAll()
        for w in pending { w.resume.resume(returning: .success(nil)) }
    }
}
