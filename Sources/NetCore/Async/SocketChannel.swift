import DequeModule

/// What an awaiting operation gets back: the value or the error, delivered through a
/// continuation that cannot throw (so errors stay typed as `NetError`).
typealias Resumption<T> = UnsafeContinuation<Result<T, NetError>, Never>

/// The loop-confined state behind a socket's async face: the continuations that wait for data,
/// `'drain'`, `'finish'` and `'connect'`, and the chunks read while nobody waited.
///
/// It sits on top of the `Socket` API only (listeners, `write` → false → `'drain'`, `pause` and
/// `resume`), never inside it. Each wait has a number, so a cancellation that arrives late never
/// ends a later wait. Continuations are unsafe ones because every path through this class
/// resumes each exactly once: a waiter is taken out of its slot before it is resumed.
///
/// Not `Sendable`: used only on the socket's loop. `AsyncSocket` is the face other threads get.
final class SocketChannel {
    // Unchecked exclusivity (the attribute below) on the state every awaited read and write
    // touches: it is loop-confined, and no access is held across a call that can re-enter
    // (resuming a continuation only enqueues its task on the loop); see "Threads and unsafe
    // code" in Sources/NetCore/README.md.
    let socket: Socket
    private var tokens: [ListenerToken] = []
    private var readTokens: [ListenerToken] = []
    /// The first error the socket reported; later operations throw it.
    @exclusivity(unchecked) private(set) var failure: NetError?
    @exclusivity(unchecked) private(set) var closed = false
    @exclusivity(unchecked) private var nextID = 0

    @exclusivity(unchecked) private var chunks = Deque<Buffer>()
    @exclusivity(unchecked) private var readEnded = false
    @exclusivity(unchecked) private var readWaiters = Waiters<Buffer?>()
    /// Whether this channel paused the socket (it resumes it when its reader leaves).
    @exclusivity(unchecked) private var pausedByReader = false
    /// Iterators reading through this channel now.
    private var readers = 0

    @exclusivity(unchecked) private var drainWaiters = Waiters<Void>()
    private var finishWaiters = Waiters<Void>()
    private var connectWaiters = Waiters<Void>()

    init(_ socket: Socket) {
        self.socket = socket
        socket.loop.assertOnLoopThread()
        closed = socket.destroyed
        tokens.append(socket.addListener(.error) { [weak self] error in
            if let self, failure == nil { failure = error }
        })
        tokens.append(socket.addListener(.close) { [weak self] _ in self?.didClose() })
        tokens.append(socket.addListener(.drain) { [weak self] in
            self?.drainWaiters.resumeAll(.success(()))
        })
        tokens.append(socket.addListener(.finish) { [weak self] in
            self?.finishWaiters.resumeAll(.success(()))
        })
        tokens.append(socket.addListener(.connect) { [weak self] in
            self?.connectWaiters.resumeAll(.success(()))
        })
    }

    /// A number for the next wait.
    func waitID() -> Int {
        nextID += 1
        return nextID
    }

    /// The error an operation on a socket that is gone throws.
    var goneError: NetError {
        failure ?? NetError(code: .ERR_STREAM_DESTROYED, message: "Cannot call write after a stream was destroyed")
    }

    private func didClose() {
        closed = true
        let error = goneError
        readEnded = true
        readWaiters.resumeAll(failure.map { .failure($0) } ?? .success(nil))
        drainWaiters.resumeAll(.failure(error))
        // 'finish' may have come first; a close without it means the end never completed.
        finishWaiters.resumeAll(socket.writableFinished ? .success(()) : .failure(error))
        connectWaiters.resumeAll(.failure(failure ?? NetError(
            code: .ERR_SOCKET_CLOSED_BEFORE_CONNECTION, message: "Socket closed before the connection was established")))
        detachAll()
    }

    /// Removes every listener this channel added (on `'close'`, the socket drops them anyway).
    func detachAll() {
        for t in tokens { socket.off(t) }
        tokens.removeAll()
        for t in readTokens { socket.off(t) }
        readTokens.removeAll()
    }

    // MARK: Cancellation

    /// Ends the wait numbered `id` with `error` if it is still waiting, and destroys the socket
    /// with it (the Node reading of an aborted operation). A wait already over is left alone.
    func cancel(_ id: Int, error: NetError = .aborted) {
        let hit = readWaiters.cancel(id, error) || drainWaiters.cancel(id, error)
            || finishWaiters.cancel(id, error) || connectWaiters.cancel(id, error)
        if hit { socket.destroy() }
    }

    // MARK: Reading

    /// An iterator starts reading: listen for data and the end.
    func attachReader() {
        readers += 1
        guard readers == 1, !closed else { return }
        readTokens.append(socket.addListener(.end) { [weak self] in
            guard let self else { return }
            readEnded = true
            readWaiters.resumeAll(.success(nil))
        })
        // A strong capture, unlike the other listeners: this one lives only while a reader is
        // attached (`detachReader` removes it, and the socket drops it at 'close'), so the cycle
        // it makes never outlives the iterator. Reading a weak capture costs a checked access and
        // a weak load on every chunk (the async echo 4,976 → 4,778 instructions per round trip,
        // `make bench-instr`).
        readTokens.append(socket.addListener(.data) { chunk in self.received(chunk) })
    }

    /// An iterator is finished or dropped: its listeners go, and a socket it paused flows again.
    func detachReader() {
        readers -= 1
        guard readers == 0 else { return }
        for t in readTokens { socket.off(t) }
        readTokens.removeAll()
        if pausedByReader {
            pausedByReader = false
            if !closed { socket.resume() }
        }
    }

    private func received(_ chunk: Buffer) {
        if !readWaiters.resumeFirst(.success(chunk)) {
            // Nobody waits: keep this chunk and let the socket hold the rest (it reads on to its
            // high-water mark, then stops reading from the kernel).
            chunks.append(chunk)
            if !pausedByReader {
                pausedByReader = true
                socket.pause()
            }
        }
    }

    /// The next chunk now, if there is an answer without waiting.
    func readNow() -> Result<Buffer?, NetError>? {
        if let chunk = chunks.popFirst() { return .success(chunk) }
        if readEnded || closed { return failure.map { .failure($0) } ?? .success(nil) }
        return nil
    }

    /// Waits for the next chunk: called when `readNow()` had no answer.
    func waitForChunk(_ id: Int, _ resume: Resumption<Buffer?>) {
        if let now = readNow() { return resume.resume(returning: now) }
        readWaiters.add(id, resume)
        // Paused by this reader or by anyone (`pauseOnConnect`): a reader that waits wants data.
        pausedByReader = false
        if socket.isPaused() { socket.resume() }
    }

    // MARK: Writing

    /// Writes `data`: `.success(true)` when the caller may go on now, `.success(false)` when it
    /// must wait for `'drain'`, or the refusal.
    func write(_ data: Buffer) -> Result<Bool, NetError> {
        if closed { return .failure(goneError) }
        if !socket.state.acceptsWrites, let refusal = socket.state.writeRefusal {
            _ = socket.write(data)  // Node's consequences of the refused write (it destroys)
            return .failure(refusal)
        }
        if socket.write(data) { return .success(true) }
        if socket.destroyed { return .failure(goneError) }
        return .success(!socket.writableNeedDrain)
    }

    func waitForDrain(_ id: Int, _ resume: Resumption<Void>) {
        if closed { return resume.resume(returning: .failure(goneError)) }
        if !socket.writableNeedDrain { return resume.resume(returning: .success(())) }
        drainWaiters.add(id, resume)
    }

    /// Ends the writable side and waits for `'finish'`.
    func end(_ id: Int, _ resume: Resumption<Void>) {
        if socket.writableFinished { return resume.resume(returning: .success(())) }
        if closed { return resume.resume(returning: .failure(goneError)) }
        finishWaiters.add(id, resume)
        socket.end()
    }

    /// Waits for `'connect'` on a socket that is connecting.
    func waitForConnect(_ id: Int, _ resume: Resumption<Void>) {
        if closed { return resume.resume(returning: .failure(goneError)) }
        if !socket.connecting { return resume.resume(returning: .success(())) }
        connectWaiters.add(id, resume)
    }
}

/// The continuations waiting for one thing, in the order they came. Each is taken out before it
/// is resumed, so none is resumed twice; two tasks that wait for the same thing (two writers
/// waiting for `'drain'`) both get their answer.
struct Waiters<T: Sendable> {
    // The first waiter inline: a read or a write has one waiter at a time, and taking it out of
    // an array (`removeFirst`) cost about 65 instructions per chunk (`make bench-instr`).
    private var first: (id: Int, resume: Resumption<T>)?
    private var rest: [(id: Int, resume: Resumption<T>)] = []

    mutating func add(_ id: Int, _ resume: Resumption<T>) {
        if first == nil { first = (id, resume) } else { rest.append((id, resume)) }
    }

    /// Takes the first waiter out; the next one moves up.
    private mutating func takeFirst() -> (id: Int, resume: Resumption<T>)? {
        guard let taken = first else { return nil }
        first = rest.isEmpty ? nil : rest.removeFirst()
        return taken
    }

    /// Resumes the first waiter; false when nobody waits.
    mutating func resumeFirst(_ result: Result<T, NetError>) -> Bool {
        guard let taken = takeFirst() else { return false }
        taken.resume.resume(returning: result)
        return true
    }

    mutating func resumeAll(_ result: Result<T, NetError>) {
        guard let head = first else { return }
        let others = rest
        first = nil
        rest = []
        head.resume.resume(returning: result)
        for w in others { w.resume.resume(returning: result) }
    }

    /// Ends the wait numbered `id` with `error`; false when it is not waiting.
    mutating func cancel(_ id: Int, _ error: NetError) -> Bool {
        if first?.id == id, let taken = takeFirst() {
            taken.resume.resume(returning: .failure(error))
            return true
        }
        guard let i = rest.firstIndex(where: { $0.id == id }) else { return false }
        rest.remove(at: i).resume.resume(returning: .failure(error))
        return true
    }
}

extension NetError {
    /// What an awaited operation throws when its task is cancelled: Node's `AbortError`
    /// (`ABORT_ERR`, "This operation was aborted").
    public static var aborted: NetError {
        NetError(code: .ABORT_ERR, message: "This operation was aborted", name: "AbortError")
    }
}

extension NetError.Code {
    /// The operation was aborted: its task was cancelled, or an `AbortSignal` fired
    /// (Node's `ABORT_ERR`).
    public static let ABORT_ERR: Self = "ABORT_ERR"
}
