/// A connection for async code: `Sendable`, so a task can hand it to a child task, with
/// awaitable `write`, `end` and connect, and `for try await chunk in socket` (see
/// `AsyncSocket+Read.swift`).
///
/// It is the async face of one loop-confined ``Socket``. Every operation runs on the socket's
/// loop: called from code already there (a task started with `loop.spawn`, its child tasks, or
/// any task that prefers the loop as its executor) it runs at once, with no thread hop; called
/// from anywhere else it hops to the loop and back, two thread switches (tens of microseconds),
/// so code that does many operations should run on the loop.
///
/// Cancelling the task that awaits an operation ends that wait with ``NetError/aborted``
/// (`ABORT_ERR`) and destroys the socket, as an aborted operation does in Node. Errors the socket
/// reports while nobody awaits are kept and thrown by the next operation.
///
/// `Sendable` although it holds a `Socket`: `channel` (and the socket in it) is touched only on
/// the loop's thread; every method either checks it is there (`loop.isCurrent`) or gets there
/// first, through the loop's executor or its thread-safe inbox.
public final class AsyncSocket: Sendable {
    /// The loop the socket belongs to.
    public let loop: EventLoop
    nonisolated(unsafe) let channel: SocketChannel

    /// The async face of `socket`. Call it on the socket's loop (in a `'connection'` listener, a
    /// `'connect'` callback, or a task on the loop), or before the loop runs.
    public init(_ socket: Socket) {
        loop = socket.loop
        channel = SocketChannel(socket)
    }

    /// A task off the loop may drop the last reference: the socket then goes on the loop.
    deinit { loop.releaseOnLoop(channel) }

    /// Connects to `host:port` and returns the connected socket, or throws the connect error
    /// (`ECONNREFUSED`, `ENOTFOUND`, an aggregate error when several addresses were tried…).
    /// A host name is looked up first; with the `Net` module imported, every address is tried as
    /// in Node (`autoSelectFamily`, happy eyeballs). Cancelling the task destroys the
    /// half-made connection and throws ``NetError/aborted``.
    public static func connect(
        host: String, port: Int, options: SocketOptions = SocketOptions(), loop: EventLoop = .default
    ) async throws(NetError) -> AsyncSocket {
        try await connect(loop: loop) { () throws(NetError) in
            try Socket(options, loop: loop).connect(port: port, host: host)
        }
    }

    /// Connects with Node's connect options (`localAddress`, `family`, `autoSelectFamily`…);
    /// a nonzero `timeout` is set on the new socket first, as `Net.createConnection(_:)` does.
    public static func connect(
        _ options: SocketConnectOptions, loop: EventLoop = .default
    ) async throws(NetError) -> AsyncSocket {
        try await connect(loop: loop) { () throws(NetError) in
            let socket = Socket(options.socketOptions, loop: loop)
            try socket.applyTimeoutOption(options)
            return try socket.connect(options)
        }
    }

    /// Connects to the Unix domain socket at `path` (a leading NUL names a Linux abstract socket).
    public static func connect(path: String, loop: EventLoop = .default) async throws(NetError) -> AsyncSocket {
        try await connect(loop: loop) { () throws(NetError) in
            try Socket(loop: loop).connect(path: path)
        }
    }

    private static func connect(
        loop: EventLoop, _ start: () throws(NetError) -> Socket
    ) async throws(NetError) -> AsyncSocket {
        guard loop.isCurrent else {
            loop.ensureRunning()
            return try await withTaskExecutorPreference(loop) { () async throws(NetError) -> AsyncSocket in
                try await connect(loop: loop, start)
            }
        }
        let socket = try start()
        let s = AsyncSocket(socket)
        try await s.wait { id, resume in s.channel.waitForConnect(id, resume) }
        return s
    }

    // MARK: Writing

    /// Writes `data` (Node's `write`), suspending while the bytes queued for the kernel are at or
    /// above `writableHighWaterMark` until `'drain'`. Returns at once, without suspending, when the
    /// queue is below the mark. Throws the write's refusal (`ERR_STREAM_WRITE_AFTER_END`,
    /// `EPIPE`…) or the error that destroyed the socket.
    nonisolated(nonsending) public func write(_ data: Buffer) async throws(NetError) {
        guard loop.isCurrent else {
            return try await hop { () async throws(NetError) in try await self.write(data) }
        }
        switch channel.write(data) {
        case .success(true): return
        case .success(false): try await wait { id, resume in self.channel.waitForDrain(id, resume) }
        case .failure(let error): throw error
        }
    }

    /// Writes a string in an encoding (UTF-8 unless told).
    public func write(_ string: String, encoding: BufferEncoding = .utf8) async throws(NetError) {
        try await write(Buffer(string, encoding: encoding))
    }

    /// Writes bytes from an array.
    public func write(_ bytes: [UInt8]) async throws(NetError) {
        try await write(Buffer(bytes))
    }

    /// Ends the writable side once the queued writes are out (Node's `end()`), and returns at
    /// `'finish'`; the peer sees end of stream. Returns at once when already finished; throws
    /// the error that destroyed the socket before it finished.
    public func end() async throws(NetError) {
        guard loop.isCurrent else {
            return try await hop { () async throws(NetError) in try await self.end() }
        }
        try await wait { id, resume in self.channel.end(id, resume) }
    }

    /// Writes `data`, then ends (Node's `end(data)`).
    public func end(_ data: Buffer) async throws(NetError) {
        try await write(data)
        try await end()
    }

    /// Writes a string in an encoding (UTF-8 unless told), then ends (Node's
    /// `end(data, encoding)`).
    public func end(_ string: String, encoding: BufferEncoding = .utf8) async throws(NetError) {
        try await end(Buffer(string, encoding: encoding))
    }

    /// Writes bytes from an array, then ends.
    public func end(_ bytes: [UInt8]) async throws(NetError) {
        try await end(Buffer(bytes))
    }

    /// Closes the connection now (Node's `destroy()`), dropping queued writes.
    public func destroy() async {
        await onLoop { channel in channel.socket.destroy(); return () }
    }

    /// Runs `body` with the loop-confined `Socket` on its loop, for the parts of the Node API
    /// this face does not repeat (`setNoDelay`, `setTimeout`, addresses, listeners…).
    public func withSocket<T: Sendable>(_ body: @Sendable (Socket) throws(NetError) -> T) async throws(NetError) -> T {
        guard loop.isCurrent else {
            return try await hop { () async throws(NetError) in try await self.withSocket(body) }
        }
        return try body(channel.socket)
    }

    /// The remote address and port, `nil` before connecting.
    public var remoteAddress: String? {
        get async { await onLoop { $0.socket.remoteAddress } }
    }

    /// The remote port, `nil` before connecting.
    public var remotePort: Int? {
        get async { await onLoop { $0.socket.remotePort } }
    }

    // MARK: Getting to the loop

    /// Runs `body` on the loop, hopping there first when not already on it.
    func onLoop<T: Sendable>(_ body: @Sendable (SocketChannel) -> T) async -> T {
        guard loop.isCurrent else {
            loop.ensureRunning()
            return await withTaskExecutorPreference(loop) { body(self.channel) }
        }
        return body(channel)
    }

    /// Runs `body` with the loop as task executor: it starts on the loop's thread, and the
    /// caller's task comes back to its own executor after.
    func hop<T>(_ body: () async throws(NetError) -> T) async throws(NetError) -> T {
        loop.ensureRunning()
        return try await withTaskExecutorPreference(loop, operation: body)
    }

    /// Suspends until the channel resumes the wait `start` registers (on the loop), or until the
    /// task is cancelled: then the wait ends with ``NetError/aborted`` and the socket is
    /// destroyed. `start` may answer at once. Inlined into its callers, with `ReadLease.next`:
    /// one async frame less per awaited chunk (6,890 → 6,180 instructions per echoed round trip
    /// under callgrind).
    ///
    /// The cancellation handler is installed with the form of `withTaskCancellationHandler` that
    /// runs where its caller runs (`_unsafeInheritExecutor_withTaskCancellationHandler`, the
    /// standard library's original entry point, kept for ABI stability). The current form takes
    /// an `isolation` argument and so switches to it on entry and on return: with a task executor
    /// preference, each switch asks the runtime for the task's preferred executor under the
    /// task's status-record lock. This wait runs on its caller's executor already (it is
    /// `nonisolated(nonsending)`), so nothing changes but the two switches: 6,071 → 5,480
    /// instructions per echoed round trip (`make bench-instr`, async echo, Unix socket, one
    /// connection).
    @inline(__always) nonisolated(nonsending) func wait<T>(_ start: (Int, Resumption<T>) -> Void) async throws(NetError) -> T {
        let id = channel.waitID()
        let result = await _unsafeInheritExecutor_withTaskCancellationHandler {
            await withUnsafeContinuation { (resume: Resumption<T>) in start(id, resume) }
        } onCancel: {
            // The cancelling thread may be any thread (the loop's included, inside another
            // callback): always go through the inbox.
            self.loop.submit { self.channel.cancel(id) }
        }
        return try result.get()
    }
}
