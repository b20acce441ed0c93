import DequeModule

/// The writable side: try-write first, queue only the rest, one batch in flight, `'drain'` at
/// the high-water mark, `end()` → FIN → `'finish'`.
extension StreamState {
    /// The usual case, answered without building an error: open or connecting, not ended.
    @inline(__always)
    var acceptsWrites: Bool {
        writableEnd == .open && (connection == .open || connection == .connecting)
    }

    /// Why a write cannot be accepted, if it cannot.
    ///
    /// Once the peer has ended a stream that is not half-open and our side has ended too, every
    /// write fails with `EPIPE`, even after the stream is destroyed: Node's `writeAfterFIN`
    /// answers before the stream's own destroyed check.
    /// After that, Node's Writable checks "ended" before "destroyed".
    var writeRefusal: NetError? {
        if writableEnd != .open && peerEnded {
            var e = NetError(code: .EPIPE, message: "This socket has been ended by the other party")
            e.errno = nil
            return e
        }
        if writableEnd != .open {
            return NetError(code: .ERR_STREAM_WRITE_AFTER_END, message: "write after end")
        }
        if isDestroyed {
            return NetError(code: .ERR_STREAM_DESTROYED, message: "Cannot call write after a stream was destroyed")
        }
        if connection == .unconnected {
            return NetError(code: .ERR_SOCKET_CLOSED, message: "Socket is closed")
        }
        return nil
    }

    /// Whether a write may go to the kernel at once: open, uncorked, nothing queued or in flight.
    @inline(__always)
    var canWriteNow: Bool {
        connection == .open && corked == 0 && writeQueue.isEmpty && !writeInFlight
    }

    /// A write of `count` bytes was accepted (it counts in `bytesWritten` from now on). Wrapping
    /// addition: a count of bytes moved cannot reach 2^63, so an overflow check is dead weight.
    @inline(__always)
    mutating func accepted(_ count: Int) { bytesWritten &+= count }

    /// Queues a chunk that counts for `size` bytes until its callback (`size` covers what the
    /// kernel already took of a partial write). Returns the answer `write` gives: false at or
    /// above the high-water mark (or when `alreadyFull`, a partial write that was over it alone).
    mutating func queue(_ chunk: WriteChunk, alreadyFull: Bool = false) -> Bool {
        writableLength += chunk.size
        writeQueue.append(chunk)
        let ok = writableLength < writableHighWaterMark && !alreadyFull
        if !ok { needDrain = true }
        return ok
    }

    /// Queues several pieces of one write (a write too large for one `uv_buf_t`).
    mutating func queue(pieces: [WriteChunk], alreadyFull: Bool = false) -> Bool {
        for piece in pieces { writableLength += piece.size }
        writeQueue.append(contentsOf: pieces)
        let ok = writableLength < writableHighWaterMark && !alreadyFull
        if !ok { needDrain = true }
        return ok
    }

    /// Whether a batch may be submitted: open, uncorked, nothing in flight, something queued.
    var batchIsDue: Bool {
        connection == .open && corked == 0 && !writeInFlight && !writeQueue.isEmpty
    }

    /// Takes the next chunk for the batch being built.
    mutating func nextForBatch() -> WriteChunk? { writeQueue.popFirst() }

    /// The batch was submitted.
    mutating func batchSubmitted() { writeInFlight = true }

    /// The batch counting for `bytes` was called back (or could not be submitted): those bytes
    /// leave `writableLength`.
    mutating func batchCompleted(bytes: Int) {
        writeInFlight = false
        if rare != nil { timeoutQueueSize = 0 }
        writableLength -= bytes
    }

    /// The batch in flight was written whole at once: its bytes leave `writableLength` now (as
    /// Node counts a synchronous write), but it stays in flight until its callbacks ran, so
    /// nothing overtakes them and `'finish'` waits for them.
    mutating func batchWrittenAtOnce(bytes: Int) {
        writableLength -= bytes
    }

    /// The error of the `index`th write (from 0) still queued when a stream that never connected
    /// closes, as Node gives them after `'close'`: the first write, parked for the connection,
    /// gets `ERR_SOCKET_CLOSED_BEFORE_CONNECTION`; the ones Writable buffered behind it get the
    /// error the stream was destroyed with (a refused connect's error), or the same when there
    /// was none.
    func strandedWriteError(at index: Int) -> NetError {
        if index > 0, let error = destroyError { return error }
        return NetError(code: .ERR_SOCKET_CLOSED_BEFORE_CONNECTION, message: "Socket closed before the connection was established")
    }

    /// Takes every queued write (to fail them): the queue and its bytes are gone.
    mutating func takeQueuedWrites() -> Deque<WriteChunk> {
        let chunks = writeQueue
        writeQueue.removeAll()
        for chunk in chunks { writableLength -= chunk.size }
        return chunks
    }

    /// Whether the queue is empty now, nothing is in flight, and the owed `'drain'` should be
    /// emitted (never after `end()`, as Node's `afterWrite` skips it while ending). Clears it.
    mutating func takeDrain() -> Bool {
        guard needDrain, writableLength == 0, !isDestroyed, writableEnd == .open else { return false }
        needDrain = false
        return true
    }

    /// `cork()`.
    mutating func cork() { corked += 1 }

    /// `uncork()`: true when the last cork was released and the held writes should be flushed.
    mutating func uncork() -> Bool {
        guard corked > 0 else { return false }
        corked -= 1
        return corked == 0
    }

    /// What becomes of an `end()` callback.
    enum EndCallbackRoute {
        /// It waits for `'finish'` (or for the stream's destruction, which calls it with the error).
        case wait
        /// The driver calls it on the next tick with this error (Node ≥ 15).
        case callNextTick(NetError)
    }

    /// Adds an `end()` callback, as Node's Writable `end(cb)` decides (before the end itself):
    /// after `'finish'` it gets `ERR_STREAM_ALREADY_FINISHED`; on a destroyed stream that errored
    /// or was already ending, `ERR_STREAM_DESTROYED`; otherwise it waits (on a stream destroyed
    /// without an error and not ending, for ever, as in Node).
    mutating func addEndCallback(_ callback: @escaping (NetError?) -> Void) -> EndCallbackRoute {
        if writableEnd == .finished {
            return .callNextTick(NetError(code: "ERR_STREAM_ALREADY_FINISHED", message: "Cannot call end after a stream was finished"))
        }
        if isDestroyed && (isErrored || writableEnd != .open) {
            return .callNextTick(NetError(code: .ERR_STREAM_DESTROYED, message: "Cannot call end after a stream was destroyed"))
        }
        endCallbacks.append(callback)
        return .wait
    }

    /// The stream was destroyed: the waiting end callbacks, to call right after the queued
    /// writes were failed, with the destroy error, or `ERR_STREAM_DESTROYED` (Node's
    /// `errorBuffer`). After writes stranded by a connect that never completed, the error is
    /// theirs (`strandedWriteError(at:)`): in Node the first one's failure errors the stream.
    mutating func takeEndCallbacksForDestroy(afterStranded: Bool = false) -> (callbacks: [(NetError?) -> Void], error: NetError) {
        let callbacks = endCallbacks
        endCallbacks = []
        let error = afterStranded ? strandedWriteError(at: 1)
            : destroyError ?? NetError(code: .ERR_STREAM_DESTROYED, message: "Cannot call end after a stream was destroyed")
        return (callbacks, error)
    }

    /// What `end()` asks of the driver.
    enum EndRoute {
        /// Already ended or destroyed: nothing.
        case nothing
        /// Never connected: finish on the next tick (Node's `_final` without a handle).
        case finishNextTick
        /// Flush the queue, then shut down once it is empty.
        case flushThenShutdown
    }

    /// `end()`: the writable side ends (and any cork is released). On a stream destroyed
    /// without an error it still counts as ended (`writableEnded`), as in Node, but nothing
    /// more happens.
    mutating func end() -> EndRoute {
        guard writableEnd == .open else { return .nothing }
        if isDestroyed {
            if !isErrored { writableEnd = .ending }
            return .nothing
        }
        writableEnd = .ending
        corked = 0
        return connection == .unconnected ? .finishNextTick : .flushThenShutdown
    }

    /// What the driver does once the writes after `end()` are out.
    enum ShutdownStep {
        /// Not yet (or not at all).
        case nothing
        /// Send FIN with `uv_shutdown`, then `shutdownCompleted`.
        case shutdown
        /// The peer ended too, so closing sends the FIN: finish on the next tick, no shutdown.
        case finishNextTick
    }

    /// After `end()`: once open and every queued byte is out, the FIN.
    mutating func shutdownStep() -> ShutdownStep {
        guard writableEnd == .ending, connection == .open, writeQueue.isEmpty, !writeInFlight else { return .nothing }
        writableEnd = .shuttingDown
        return readableEnd == .ended ? .finishNextTick : .shutdown
    }

    /// `'finish'` is due: the end callbacks to run before its listeners, or nil when it is not
    /// (already finished, or destroyed).
    mutating func finish() -> [(NetError?) -> Void]? {
        guard writableEnd != .finished, !isDestroyed else { return nil }
        writableEnd = .finished
        let callbacks = endCallbacks
        endCallbacks = []
        return callbacks
    }

    /// After the `'finish'` listeners ran: destroy when the readable side is done too, or the
    /// stream has no handle (it never connected; Node's autoDestroy).
    func destroyAfterFinish(hasHandle: Bool) -> Bool {
        !isDestroyed && (readableEnd == .ended || !hasHandle)
    }

    /// Drops the end callbacks (a destroyed stream never calls them).
    mutating func dropEndCallbacks() { if rare != nil { endCallbacks = [] } }

    /// What the idle timer does when it fires.
    enum TimeoutOutcome {
        /// Destroyed: nothing.
        case nothing
        /// A write in flight made progress since the last check: wait another period.
        case wait
        /// Emit `'timeout'`.
        case emit
    }

    /// The idle timer fired; `kernelQueueSize` is libuv's write queue size when a handle exists.
    mutating func timeoutFired(kernelQueueSize: Int?) -> TimeoutOutcome {
        if isDestroyed { return .nothing }
        if writeInFlight, let size = kernelQueueSize, size != timeoutQueueSize {
            timeoutQueueSize = size
            return .wait
        }
        return .emit
    }
}
