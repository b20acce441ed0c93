import DequeModule

/// Node's duplex-stream rules (a `net.Socket` is a Readable and a Writable in one) as a pure value
/// type: no handle, no loop, no events. `Socket` feeds it what happened (bytes read, end of stream,
/// a write accepted or completed, an API call) and performs what each answer says (deliver a
/// chunk, stop reading, submit a batch, shut down, emit an event now or on the next tick). The
/// tests drive it the same way without any socket (`StreamStateTests`).
///
/// Every lifecycle is an enum, so combinations Node never reaches (finished but not ended, ended
/// without end of stream, destroyed and connecting) cannot be written down. Reconnecting after
/// `'close'` starts from a fresh value (`revived()`).
///
/// The rules, as Node has them:
/// - Readable: no data flows until someone consumes it (`readableFlowing` nil), but the stream
///   reads from the kernel all the same: chunks nobody takes (before a consumer, or while paused)
///   are buffered up to the high-water mark, then reading stops until they are taken; `'end'`
///   comes once, after every buffered chunk, on the tick after end of stream was seen with
///   nothing buffered (paused or not, as in Node).
/// - Writable: a write is tried at once when nothing is queued, corked or in flight; the rest is
///   queued, and queued chunks leave as one batch; `write` answers false from the high-water mark
///   on, and `'drain'` follows once the queue is empty (never after `end()`); `end()` waits for the
///   queue, then sends FIN; `'finish'` comes after every write callback, `end()` callbacks first.
/// - Duplex: without `allowHalfOpen`, the peer's end ends our side too; once both sides are done
///   the stream destroys itself. `destroy()` ends both at once; only `'error'` and `'close'` follow,
///   except that chunks still buffered go out as `'data'` to a flow that runs before the tick
///   `destroy()` queued (Node's `read()` delivers until `closeEmitted` is set on that tick).
struct StreamState {
    /// Where the connection is.
    enum Connection: Equatable {
        /// No connection yet (a new socket, or one that never connected).
        case unconnected
        /// A connect is in progress (Node's `connecting`).
        case connecting
        /// Connected or accepted: reads and writes reach the handle.
        case open
        /// Destroyed, with or without an error (kept in `destroyError`); `'close'` follows once
        /// the handle is closed.
        case destroyed(errored: Bool)
    }

    /// Whether data flows (Node's `readableFlowing`).
    enum Flow: Equatable {
        /// Nobody has consumed data yet (`nil`): nothing is read until someone does.
        case initial
        /// `'data'` is delivered as it arrives (`true`).
        case flowing
        /// `pause()` was called (`false`).
        case paused
    }

    /// How far the readable side has come to its end.
    enum ReadableEnd: Equatable {
        /// More data may come.
        case open
        /// The peer's FIN arrived; buffered chunks may still wait for delivery.
        case eofReceived
        /// Everything was delivered and `'end'` waits for the next tick.
        case endQueued
        /// `'end'` was emitted (Node's `readableEnded`).
        case ended
    }

    /// How far the writable side has come to its end.
    enum WritableEnd: Equatable {
        /// Writes are accepted.
        case open
        /// `end()` was called; queued writes still go out before the FIN.
        case ending
        /// Every write is out and the FIN was asked for (or `'finish'` waits for its tick).
        case shuttingDown
        /// `'finish'` was emitted (Node's `writableFinished`).
        case finished
    }

    /// Deferred steps already queued, so each is queued at most once.
    struct Pending: OptionSet {
        let rawValue: UInt8
        /// A tick that delivers the buffered data, then reads again.
        static let resume = Pending(rawValue: 1)
        /// `destroy()` left chunks buffered: a flow still delivers them as `'data'` until the
        /// tick `destroy()` queued has run (Node's `closeEmitted`, set on that tick).
        static let deliveringAfterDestroy = Pending(rawValue: 2)
    }

    // The fields are ordered so that the one-byte ones share a word: the state sits inline in
    // every socket, and an idle connection's socket object fits malloc's 240-byte class
    // (`make bench`, idle scenario).

    /// The high-water mark in bytes, the same for both sides (the socket's `highWaterMark`).
    let highWaterMark: Int
    /// The readable high-water mark in bytes.
    var readableHighWaterMark: Int { highWaterMark }
    /// The writable high-water mark in bytes: `write` answers false at or above it.
    var writableHighWaterMark: Int { highWaterMark }
    /// Whether the writable side stays open after the peer ends.
    var allowHalfOpen: Bool

    // The state below is written only by the methods in `Stream/` (these files); drivers read
    // it and call the methods. (Swift's `private(set)` cannot span the three files.)

    /// Where the connection is.
    var connection = Connection.unconnected
    /// Whether data flows.
    var flow = Flow.initial
    /// The readable side's end.
    var readableEnd = ReadableEnd.open
    /// The writable side's end.
    var writableEnd = WritableEnd.open
    /// Deferred steps already queued.
    var pending: Pending = []
    /// Whether the peer's FIN ended a stream that is not half-open, so writes after our own
    /// `end()` fail with `EPIPE` (Node swaps `write` for `writeAfterFIN`).
    var peerEnded = false
    /// Whether a batch is with the kernel.
    var writeInFlight = false
    /// Whether `'drain'` is owed because `write` answered false (Node's `writableNeedDrain`).
    var needDrain = false
    /// How many `uncork()` calls release the held writes (Node's `writableCorked`).
    var corked: Int32 = 0

    /// Chunks read but not yet delivered, and their byte count (Node's `readableLength`).
    var readBuffer = Deque<Buffer>()
    var readableLength = 0
    /// Bytes received so far (Node's `bytesRead`).
    var bytesRead = 0

    /// Writes waiting to be submitted, and the bytes every write not yet called back counts for
    /// (Node's `writableLength`: a write partly taken by the kernel counts whole until then).
    var writeQueue = Deque<WriteChunk>()
    var writableLength = 0
    /// Bytes accepted for writing so far (Node's `bytesWritten`).
    var bytesWritten = 0
    /// What few streams ever have (`end()` callbacks, a destroy error, the idle timer's last
    /// look at the write queue), out of line: nil until one of them is set.
    var rare: StreamRare?

    /// `end()` callbacks, run just before the `'finish'` listeners (with nil), or with the error
    /// when the stream is destroyed first.
    var endCallbacks: [(NetError?) -> Void] {
        get { rare?.fields.endCallbacks ?? [] }
        set { updateRare { $0.endCallbacks = newValue } }
    }
    /// libuv's write queue size when the idle timer last fired during a write.
    var timeoutQueueSize: Int {
        get { rare?.fields.timeoutQueueSize ?? 0 }
        set { updateRare { $0.timeoutQueueSize = newValue } }
    }

    /// Changes the rare fields: a new box, or none when they are all back to their defaults.
    private mutating func updateRare(_ change: (inout StreamRare.Fields) -> Void) {
        var fields = rare?.fields ?? StreamRare.Fields()
        change(&fields)
        rare = fields.isEmpty ? nil : StreamRare(fields)
    }

    /// A fresh stream with the socket's options.
    init(highWaterMark: Int, allowHalfOpen: Bool) {
        self.highWaterMark = highWaterMark
        self.allowHalfOpen = allowHalfOpen
    }

    /// The state a destroyed stream connects again from (Node's `_undestroy`): everything fresh
    /// but the options and the flow, since a socket that was flowing keeps flowing.
    func revived() -> StreamState {
        var s = StreamState(highWaterMark: highWaterMark, allowHalfOpen: allowHalfOpen)
        s.flow = flow
        return s
    }

    // MARK: Reading the state (Node's getters)

    /// Whether a connect is in progress.
    var isConnecting: Bool { connection == .connecting }
    /// Whether the stream was destroyed.
    var isDestroyed: Bool {
        if case .destroyed = connection { return true }
        return false
    }
    /// The error the stream was destroyed with, if any (Node's `errored`).
    var destroyError: NetError? { rare?.fields.destroyError }
    /// Whether the stream was destroyed with an error.
    var isErrored: Bool { connection == .destroyed(errored: true) }
    /// Whether `'end'` was emitted.
    var readableEnded: Bool { readableEnd == .ended }
    /// Whether `end()` was called.
    var writableEnded: Bool { writableEnd != .open }
    /// Whether `'finish'` was emitted.
    var writableFinished: Bool { writableEnd == .finished }
    /// Whether the stream can still be read from (Node's `readable`).
    var readable: Bool { !isDestroyed && readableEnd != .ended }
    /// Whether the stream can still be written to (Node's `writable`).
    var writable: Bool { !isDestroyed && writableEnd == .open }
    /// `readableFlowing`: nil, true or false.
    var readableFlowing: Bool? {
        switch flow {
        case .initial: return nil
        case .flowing: return true
        case .paused: return false
        }
    }

    // MARK: Connection

    /// A connect starts. False when one is in progress or the stream is open (then nothing
    /// happens, as in Node); a destroyed stream must be `revived()` first.
    mutating func connectStarted() -> Bool {
        guard connection == .unconnected else { return false }
        connection = .connecting
        return true
    }

    /// The connect ended (either way) or a connected handle was adopted: the stream is open.
    /// A destroyed stream stays destroyed.
    mutating func opened() {
        if !isDestroyed { connection = .open }
    }

    /// The `allowHalfOpen` option changed (it may, until the peer ends).
    mutating func setAllowHalfOpen(_ on: Bool) { allowHalfOpen = on }

    /// A connect starts on the handle the stream already has (a Unix socket adopted with
    /// `Socket(fd:)` that has no peer yet). False unless the stream is open.
    mutating func connectStartedOnOwnHandle() -> Bool {
        guard connection == .open else { return false }
        connection = .connecting
        return true
    }

    /// A connect gave up before it had a handle: back to unconnected.
    mutating func connectAbandoned() {
        if connection == .connecting { connection = .unconnected }
    }

    /// Starts with the readable side ended (`Socket(fd:readable: false)`).
    mutating func startReadableEnded() { readableEnd = .ended }

    /// Starts with the writable side finished (`Socket(fd:writable: false)`).
    mutating func startWritableFinished() { writableEnd = .finished }

    /// How a stream was destroyed, for the driver: whether it was connecting (its `'close'` then
    /// waits for the next turn of the loop, as Node's handle would) and whether queued writes must
    /// be failed on the next tick (those behind a write in flight fail once it is called back,
    /// those made while connecting after `'close'`).
    struct Teardown {
        /// The stream was connecting.
        var wasConnecting: Bool
        /// Queued writes should be failed with `ERR_STREAM_DESTROYED`, then the waiting end
        /// callbacks called, on the next tick (Node's `errorBuffer`): there are some, and no
        /// write is in progress. While one is (with the kernel, or the first one queued while
        /// connecting), both wait until it is called back, as in Node.
        var failQueuedWrites: Bool
        /// Chunks are buffered: the driver queues `deliveryEnded()` for the next tick, after
        /// the error, so a flow until then still delivers them, as in Node.
        var endDeliveryNextTick: Bool
    }

    /// `destroy(error)`: nil when the stream was already destroyed (nothing happens again).
    mutating func destroy(_ error: NetError?) -> Teardown? {
        guard !isDestroyed else { return nil }
        let wasConnecting = connection == .connecting
        connection = .destroyed(errored: error != nil)
        if let error { updateRare { $0.destroyError = error } }
        pending = readBuffer.isEmpty ? [] : .deliveringAfterDestroy
        let writeInProgress = wasConnecting ? !writeQueue.isEmpty : writeInFlight
        let waiting = !writeQueue.isEmpty || !endCallbacks.isEmpty
        return Teardown(
            wasConnecting: wasConnecting, failQueuedWrites: !writeInProgress && waiting,
            endDeliveryNextTick: pending.contains(.deliveringAfterDestroy))
    }

    /// The tick after `destroy()` ran: buffered chunks are no longer delivered (Node's
    /// `closeEmitted`); a flow takes them without emitting them.
    mutating func deliveryEnded() { pending.remove(.deliveringAfterDestroy) }

    /// Whether buffered chunks are taken without being delivered: destroyed, and the tick after
    /// `destroy()` has run.
    var discardsBuffered: Bool { isDestroyed && !pending.contains(.deliveringAfterDestroy) }

    /// A write failed after the stream was destroyed: its error becomes the stream's (`errored`)
    /// unless it has one already, as Node's `onwrite` records it.
    mutating func recordWriteError(_ error: NetError) {
        if destroyError == nil { updateRare { $0.destroyError = error } }
    }

    /// The handle closed without `destroy()` (the loop closed every handle): the stream is
    /// destroyed all the same.
    mutating func handleClosed() {
        if !isDestroyed { connection = .destroyed(errored: false) }
    }

    /// Whether `'close'` ended the stream for good: destroyed and not connecting again.
    var isFinal: Bool { isDestroyed }
}

/// The parts of a stream's state that few streams ever set, kept by reference so the value that
/// holds them stays small (it sits inline in every socket). Immutable: a change makes a new one,
/// so copies of a `StreamState` stay independent values.
final class StreamRare {
    /// The fields themselves, changed as a value and boxed again.
    struct Fields {
        var endCallbacks: [(NetError?) -> Void] = []
        var destroyError: NetError?
        var timeoutQueueSize = 0
        var isEmpty: Bool { endCallbacks.isEmpty && destroyError == nil && timeoutQueueSize == 0 }
    }
    let fields: Fields
    init(_ fields: Fields) { self.fields = fields }
}
